// File: stages/schema_map/field_mapper.cpp
// FieldMapper's construction (path trie, output order and column prefixes), the choice
// between the fast path (field_fast_path.cpp) and the full walk (field_walk.cpp) per record,
// and the mapped output both write from the scratch slots. See field_mapper.h and docs/schema.md.
// Thread-safety: see field_mapper.h.
#include "stages/schema_map/field_mapper.h"

#include <cstring>

#include "engine/json_string.h"

namespace sluice::stages {

namespace {

// After this many failed fast path attempts in a row, the next kFastSkipRecords records go
// straight to the full walk (then one attempt again).
constexpr uint32_t kFastMissesBeforeSkipping = 8;
constexpr uint32_t kFastSkipRecords = 15;

// AppendMapped copies each piece in whole blocks of this size (two 16-byte moves), which may
// read and write up to kCopyBlock - 1 bytes past the piece: one predictable loop per piece
// instead of a size switch or a call to memcpy.
constexpr size_t kCopyBlock = 32;

static_assert(simdjson::SIMDJSON_PADDING >= kCopyBlock, "AppendMapped reads past values");

}  // namespace

FieldMapper::FieldMapper(IngestSchema schema) : schema_(std::move(schema)), trie_(schema_) {
  const auto& columns = schema_.columns();
  std::vector<uint32_t> order{static_cast<uint32_t>(schema_.id_index())};
  for (uint32_t c = 0; c < columns.size(); ++c) {
    if (c != schema_.id_index()) order.push_back(c);
  }
  for (uint32_t c : order) {
    OutputColumn o;
    o.column = c;
    o.prefix_begin = static_cast<uint32_t>(prefix_block_.size());
    AppendJsonString(prefix_block_, columns[c].name);
    prefix_block_.push_back(':');
    o.prefix_length = static_cast<uint32_t>(prefix_block_.size() - o.prefix_begin);
    output_.push_back(o);
  }
  prefix_block_.append(kCopyBlock, '\0');
}

FieldMapper::Scratch FieldMapper::MakeScratch() const {
  Scratch s;
  s.buffer.reserve(4096);
  s.slots.resize(schema_.columns().size());
  s.quotes.resize(64);  // records up to 4 KiB; grows once for larger ones
  s.key_sequence.assign(kPredictedKeys, ~uint64_t{0});
  return s;
}

namespace {

inline void CopyBlocks(char* dst, const char* src, size_t n) {
  size_t i = 0;
  do {
    std::memcpy(dst + i, src + i, kCopyBlock);
    i += kCopyBlock;
  } while (i < n);
}

}  // namespace

bool FieldMapper::MapRecord(JsonReader& reader, Scratch& scratch, const char* data, size_t length,
                            size_t capacity, PayloadMode mode, std::string* out,
                            std::string* reason) const {
  if (scratch.fast_skip == 0) {
    if (MapRecordFast(scratch, data, length, capacity, mode, out)) {
      scratch.fast_misses = 0;
      return true;
    }
    if (++scratch.fast_misses >= kFastMissesBeforeSkipping) scratch.fast_skip = kFastSkipRecords;
  } else {
    --scratch.fast_skip;
  }
  return MapRecordFullWalk(reader, scratch, data, length, capacity, mode, out, reason);
}

void FieldMapper::AppendMapped(Scratch& scratch, const char* data, std::string* out) const {
  // Size first, then one resize (with a block of slack for the last copy, cut afterwards) and
  // block copies; the buffer gets a block of padding so its last value can be read whole.
  size_t total = 1;  // '{'
  for (const OutputColumn& o : output_) {
    const Scratch::Slot& slot = scratch.slots[o.column];
    const size_t piece = 1 + o.prefix_length + slot.length;  // ',' or '}' after each
    total += slot.source == Scratch::Source::kAbsent ? 0 : piece;
  }
  if (total == 1) {
    out->append("{}");
    return;
  }
  scratch.buffer.append(kCopyBlock, '\0');
  const char* buffer = scratch.buffer.data();
  const size_t old_size = out->size();
  out->resize(old_size + total + kCopyBlock);
  char* p = out->data() + old_size;
  *p++ = '{';
  for (const OutputColumn& o : output_) {
    const Scratch::Slot& slot = scratch.slots[o.column];
    if (slot.source == Scratch::Source::kAbsent) continue;
    CopyBlocks(p, prefix_block_.data() + o.prefix_begin, o.prefix_length);
    p += o.prefix_length;
    const char* src = slot.source == Scratch::Source::kInput ? data : buffer;
    CopyBlocks(p, src + slot.begin, slot.length);
    p += slot.length;
    *p++ = ',';
  }
  p[-1] = '}';
  out->resize(old_size + total);
}

}  // namespace sluice::stages
