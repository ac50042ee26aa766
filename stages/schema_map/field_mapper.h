// File: stages/schema_map/field_mapper.h
// FieldMapper: maps one JSON record to the schema's columns in a single pass. The record's
// object is iterated once; each key is looked up in a trie built from the schema's paths
// (nested objects are descended, everything else is validated and skipped), so the cost does
// not depend on the order of keys and no key is searched twice. Values are coerced to their
// column type (rules in docs/schema.md) into per-worker scratch, then written out in schema
// order (mapped mode) or the original record is minified (raw mode; copied as is when the walk
// proves it has no insignificant whitespace). Keys are matched in place, unescaped only when
// they hold a backslash, through a per-object perfect hash on (length, first and last 8 bytes);
// the byte-level fast path (compact records) first tries the key found at the same position in
// the previous record (Scratch::key_sequence).
// Files: field_mapper.cpp (construction, per-record choice of path, output), field_walk.cpp
// (the On-Demand walk), field_fast_path.cpp (the byte-level fast path), field_path_trie.h
// (the key trie), number_coercion.h (rules both paths share), record_scan.h (the SIMD scan).
// Thread-safety: a FieldMapper is immutable and shared; a FieldMapper::Scratch and a
// JsonReader belong to one worker. No heap allocation per accepted record once the scratch
// buffers have grown; rejection reasons allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "stages/json_parse/json_reader.h"
#include "stages/schema_map/field_path_trie.h"
#include "stages/schema_map/ingest_schema.h"
#include "stages/schema_map/schema_map_config.h"

namespace sluice::stages {

class FieldMapper {
 public:
  explicit FieldMapper(IngestSchema schema);

  /// Per-worker buffers reused across records.
  struct Scratch {
    enum class Source : uint8_t { kAbsent, kInput, kBuffer };
    struct Slot {
      uint32_t begin = 0;
      uint32_t length = 0;
      Source source = Source::kAbsent;
      bool seen = false;  ///< key met (even if null): a second one is a duplicate
    };
    std::string buffer;       ///< coerced values that differ from their input text
    std::vector<Slot> slots;  ///< one per column
    /// Fast path attempts that failed in a row, and records left to send straight to the full
    /// walk: a stream that is not compact (a producer that pretty-prints) pays for a failed
    /// attempt only on every 16th record. Affects speed only, never results.
    uint32_t fast_misses = 0;
    uint32_t fast_skip = 0;
    std::vector<uint64_t> quotes;  ///< fast path: bit i set when byte i of the record is '"'
    /// Fast path key-order prediction: the k-th key met in the mapped objects of the last
    /// record, as (trie node << 32 | child index), ~0 for a key not in the schema. Records of
    /// one producer repeat their keys in the same order, so the k-th key of the next record is
    /// first compared with that guess alone (its whole `"key":` in two 8-byte compares; the
    /// guesses do not depend on each other, unlike a hash lookup per key). A wrong guess only
    /// costs the compare: affects speed only, never results.
    std::vector<uint64_t> key_sequence;
  };
  Scratch MakeScratch() const;

  /// Maps the record [data, data+length) (readable up to data+capacity). On success appends
  /// the output value to `*out` and returns true; otherwise leaves `*out` as it was, sets
  /// `*reason` and returns false.
  bool MapRecord(JsonReader& reader, Scratch& scratch, const char* data, size_t length,
                 size_t capacity, PayloadMode mode, std::string* out, std::string* reason) const;

  /// MapRecord without the fast path (the simdjson On-Demand walk only); same results. Public
  /// so that tests can compare the two paths.
  bool MapRecordFullWalk(JsonReader& reader, Scratch& scratch, const char* data, size_t length,
                         size_t capacity, PayloadMode mode, std::string* out,
                         std::string* reason) const;

  /// The fast path alone. True when it accepted the record (output appended to `*out`, as
  /// MapRecord would); false when it gave up: nothing appended and nothing decided (the record
  /// may still be valid). Public for tests.
  bool MapRecordFast(Scratch& scratch, const char* data, size_t length, size_t capacity,
                     PayloadMode mode, std::string* out) const;

  const IngestSchema& schema() const { return schema_; }

 private:
  using Child = FieldPathTrie::Child;
  using Node = FieldPathTrie::Node;
  /// Keys per record whose position Scratch::key_sequence remembers (later ones: no guess).
  static constexpr uint32_t kPredictedKeys = 256;
  /// Points `slot` at scratch.buffer[begin, end): a coerced value that differs from its input
  /// text. Returns true (the success of the coercion that wrote it).
  static bool SetBufferSlot(Scratch::Slot& slot, size_t begin, size_t end) {
    slot.source = Scratch::Source::kBuffer;
    slot.begin = static_cast<uint32_t>(begin);
    slot.length = static_cast<uint32_t>(end - begin);
    return true;
  }
  struct Context;
  struct FastCursor;

  bool WalkObject(simdjson::ondemand::object& object, uint32_t node, int depth,
                  Context& ctx) const;
  bool Coerce(uint32_t column, simdjson::ondemand::value& value, int depth, Context& ctx) const;
  bool AppendSetElement(const Column& column, simdjson::ondemand::value& value, Context& ctx) const;
  /// Writes the mapped output (schema order) from the scratch slots. Copies whole 32-byte
  /// blocks: reads up to 31 bytes past a value in the record (inside simdjson's padding, which
  /// both paths have checked) and pads scratch.buffer for the same reason.
  void AppendMapped(Scratch& scratch, const char* data, std::string* out) const;
  // Fast path pieces: false means "give up" (never "reject"). FastObject<true> walks an object
  // of the trie (`node`), FastObject<false> any other object (checked, not stored).
  template <bool kMapped>
  bool FastObject(FastCursor& cursor, uint32_t node, int depth) const;
  bool FastSkipValue(FastCursor& cursor, int depth) const;
  bool FastColumn(FastCursor& cursor, uint32_t index) const;

  IngestSchema schema_;
  FieldPathTrie trie_;  ///< built from schema_ (declared after it)
  /// A column in output order (_id first, then schema order) and its `"name":` (JSON-escaped)
  /// inside prefix_block_.
  struct OutputColumn {
    uint32_t column = 0;
    uint32_t prefix_begin = 0;
    uint32_t prefix_length = 0;
  };
  std::vector<OutputColumn> output_;
  std::string prefix_block_;  ///< every column's prefix, then kCopyBlock bytes of padding
};

}  // namespace sluice::stages
