// libFuzzer target for IngestSchema::FromJson: the input is "<schema JSON>\x01<table JSON>"
// (no \x01: schema only, empty table). Any text must give a schema or an error Status, never a
// crash, a hang or a sanitizer report; an accepted schema must be self-consistent (an "_id"
// column, decimal scale in range). Seeds: tests/fuzz/corpus/schema_load_fuzz/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stages/schema_map/ingest_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\x01');
  const std::string_view schema = input.substr(0, split);
  const std::string_view table = split == std::string_view::npos ? std::string_view() : input.substr(split + 1);
  auto loaded = sluice::stages::IngestSchema::FromJson(schema, table, "fuzz-schema", "fuzz-table");
  if (!loaded.ok()) {
    // An error must say something: an empty message would leave the user guessing.
    if (loaded.status().message().empty()) std::abort();
    return 0;
  }
  const sluice::stages::IngestSchema& s = loaded.value();
  if (s.columns().empty() || s.id_index() >= s.columns().size()) std::abort();
  if (s.id_column().name != "_id") std::abort();
  for (const auto& c : s.columns()) {
    if (c.scale < 0 || c.scale > 18) std::abort();
  }
  return 0;
}
