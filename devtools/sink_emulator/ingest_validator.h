// File: devtools/sink_emulator/ingest_validator.h
// IngestValidator: turns one POST /v2/sinks/{id} body ({"records":[{"value":{...}}]}) into
// normalized rows plus per-record errors, the way FeatureBase validates each record on its
// own. Values are found by the ingest schema path; when that path is absent but the column
// name is a top-level key of the value, that key is used (so both raw nested records and
// flattened "mapped" records are accepted). Compact bodies of known keys (what sluice sends)
// take a byte-level fast path; anything else, and every body the fast path doubts, is parsed
// with simdjson On-Demand. Both fill the same per-column slots and build rows with the same
// code, so the answer never depends on the path (tests/sink_emulator compares them). Neither
// takes a lock. simdjson stays out of this header on purpose: On-Demand types live in a namespace
// chosen by the compile flags of each translation unit, and only the validator's own files
// (ingest_validator.cpp: the path trie and the choice of walk; ingest_walk.cpp: the On-Demand
// walk; ingest_fast_path.cpp: the byte-level walk; ingest_rows.cpp: normalization and row
// building; ingest_slots.h / ingest_scratch.h: what they share) are built with the SIMD flags.
// The emulator is the oracle sluice is checked against, so these mapping and coercion rules are
// written here independently of the product's schema map (stages/schema_map) and of the
// expectation helper the demo and the tests use (app/demo/expected_rows.h): it shares no code
// with either, on purpose. Cost per row is kept low on purpose (the emulator shares the cores with
// the engine it measures): keys are matched as they stand in the body, strings without a
// backslash and numbers are kept as views into the body (never copied or re-escaped), and each
// valid row is written once, in the compact form of RowLayout (values only, no column names),
// into IngestResult::text, which the caller reuses across requests.
// Thread-safety: the validator is immutable and shared; each caller passes its own
// ParseScratch and IngestResult (one per thread / request).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "devtools/sink_emulator/table_schema.h"

namespace sluice::emulator {

/// A growable byte buffer that, unlike std::string, neither zeroes what it reserves nor checks
/// capacity per byte: the writer reserves an upper bound once per row and writes through a
/// pointer. Not thread-safe (one per request / thread).
class RowBuffer {
 public:
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::string_view view() const { return {data_.get(), size_}; }
  void clear() { size_ = 0; }
  /// Makes room for `n` bytes after size() and returns where they start. Nothing is committed
  /// until set_size(); the pointer is valid until the next Reserve.
  char* Reserve(size_t n) {
    if (capacity_ - size_ < n) Grow(n);
    return data_.get() + size_;
  }
  /// Sets the size (at most the reserved end).
  void set_size(size_t n) { size_ = n; }
  void Append(std::string_view s) {
    std::memcpy(Reserve(s.size()), s.data(), s.size());
    size_ += s.size();
  }

 private:
  void Grow(size_t n) {
    size_t cap = capacity_ ? capacity_ : 4096;
    while (cap - size_ < n) cap *= 2;
    std::unique_ptr<char[]> bigger(new char[cap]);
    if (size_) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = cap;
  }
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// The compact form in which the validator writes rows and the store keeps them: a row's
/// NDJSON line is `{"c0":v0,"c1":v1,...}` with the column names fixed by the table, so only
/// the values are kept, each as a LEB128 length then its normalized JSON bytes (length 0 =
/// null; no normalized value is empty). The key prefixes were two thirds of a flights row's
/// bytes, and every stored byte is new memory the kernel must fault in and zero.
/// Thread-safety: immutable after construction; shared by the validator and the stores.
class RowLayout {
 public:
  /// `prefixes[c]` is what precedes column c's value: "{\"_id\":" for column 0, then
  /// ",\"name\":" for the others.
  explicit RowLayout(std::vector<std::string> prefixes) : prefixes_(std::move(prefixes)) {}
  size_t columns() const { return prefixes_.size(); }
  /// Appends the NDJSON line (no newline) of the compact row `row` to `out`.
  void AppendLine(std::string_view row, std::string* out) const;
  std::string Line(std::string_view row) const {
    std::string out;
    AppendLine(row, &out);
    return out;
  }
  /// Bytes of the LEB128 length of a value of `n` bytes.
  static size_t LengthBytes(size_t n) {
    size_t k = 1;
    while (n >= 0x80) {
      n >>= 7;
      ++k;
    }
    return k;
  }
  /// Writes the LEB128 length `n` at p; returns the end.
  static char* WriteLength(char* p, size_t n) {
    while (n >= 0x80) {
      *p++ = static_cast<char>(0x80 | (n & 0x7f));
      n >>= 7;
    }
    *p++ = static_cast<char>(n);
    return p;
  }

 private:
  std::vector<std::string> prefixes_;
};

/// A record that passed validation: where its row lies in IngestResult::text.
struct RowRef {
  size_t line_offset = 0;  ///< start of the row in text (compact, see RowLayout, unless layout is null)
  size_t line_bytes = 0;   ///< its length
  size_t key_offset = 0;   ///< start of the normalized _id within the row
  size_t key_bytes = 0;    ///< its length: digits for id columns, a JSON string otherwise
};

/// A record that failed validation.
struct RecordError {
  size_t index = 0;      ///< position in the request's "records" array
  std::string id_json;   ///< normalized _id as JSON, or "null" when it is missing/invalid
  std::string message;   ///< human-readable reason
};

/// The outcome of one body. Reusable: Validate() clears it but keeps the buffers' capacity, so
/// a caller that keeps one per thread allocates nothing per row.
struct IngestResult {
  size_t records_received = 0;
  RowBuffer text;                    ///< the valid rows, back to back
  std::vector<RowRef> rows;          ///< in request order
  std::vector<RecordError> errors;   ///< in request order
  /// How the rows in text are encoded: set by Validate (compact rows of its table); null means
  /// text holds the NDJSON lines themselves (results built by hand, in tests).
  const RowLayout* layout = nullptr;

  /// The stored bytes of valid row `i` (a view into text).
  std::string_view Row(size_t i) const {
    return text.view().substr(rows[i].line_offset, rows[i].line_bytes);
  }
  /// The NDJSON line of valid row `i`.
  std::string Line(size_t i) const {
    return layout != nullptr ? layout->Line(Row(i)) : std::string(Row(i));
  }
  /// The normalized _id of valid row `i` (a view into its row).
  std::string_view Key(size_t i) const {
    return text.view().substr(rows[i].line_offset + rows[i].key_offset, rows[i].key_bytes);
  }
};

/// Bytes that must be readable after a body passed to Validate() (simdjson padding).
inline constexpr size_t kBodyPadding = 64;

/// A reusable On-Demand parser (its buffers grow to the largest body). Opaque on purpose.
class ParseScratch {
 public:
  ParseScratch();
  ~ParseScratch();
  ParseScratch(const ParseScratch&) = delete;
  ParseScratch& operator=(const ParseScratch&) = delete;
  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

class IngestValidator {
 public:
  /// `schema` may be empty (every column is then read from the top-level key of its name).
  /// Fails if a schema field names a column the table does not have.
  [[nodiscard]] static StatusOr<std::unique_ptr<IngestValidator>> Create(std::vector<TableColumn> table,
                                                                         const std::vector<SchemaField>& schema);

  /// Validates a whole body into `out` (cleared first; its buffers keep their capacity):
  /// TryValidateFast first, and ValidateFullWalk when that gives up, so answers and rows never
  /// depend on which of the two ran. The
  /// rows in `out` stay valid until the next Validate with the same `out`. `data` must stay readable for `capacity` bytes, and capacity
  /// must be >= size + kBodyPadding (the padding is read: by simdjson, and by word-wise key
  /// compares and 16-byte copies). `reject_ids` lists _id texts (digits or raw
  /// string) that are rejected per record (fault injection). Returns InvalidArgument when the
  /// body itself is malformed (the caller answers 400 and stores nothing).
  [[nodiscard]] Status Validate(ParseScratch& scratch, const char* data, size_t size,
                                size_t capacity, const std::vector<std::string>& reject_ids,
                                IngestResult* out) const;

  /// Only the simdjson On-Demand walk (what Validate falls back to). Same contract as
  /// Validate; exposed so tests can compare it with the fast path.
  [[nodiscard]] Status ValidateFullWalk(ParseScratch& scratch, const char* data, size_t size,
                                        size_t capacity, const std::vector<std::string>& reject_ids,
                                        IngestResult* out) const;

  /// Only the byte-level fast path: a compact body (no whitespace outside strings, no
  /// backslash, no control byte, every key a path of the schema, scalars or arrays of scalars
  /// as leaves) is walked without simdjson and its rows built by the same code as the full
  /// walk. Returns true if it took the body: `out` then holds exactly what ValidateFullWalk
  /// would produce and that would return Ok. Returns false when it gave up (anything else);
  /// `out` is then unspecified. Same buffer contract as Validate.
  bool TryValidateFast(ParseScratch& scratch, const char* data, size_t size,
                       const std::vector<std::string>& reject_ids, IngestResult* out) const;

  const std::vector<TableColumn>& columns() const { return table_; }
  /// The encoding of the rows Validate writes (hand it to the stores that keep them).
  const std::shared_ptr<const RowLayout>& layout() const { return layout_; }
  /// True if _id is an id column (keys are digit strings and sort numerically).
  bool numeric_id() const { return numeric_id_; }

  /// Writes the normalized decimal at *p (which must have room for 24 + scale bytes) and
  /// advances it; returns an error message or "" (success). Plain "-?digits[.digits]" texts
  /// are written directly; others go through NormalizeDecimal.
  static std::string WriteDecimal(char** p, std::string_view text, uint32_t scale);

  /// Normalizes a decimal number text with at most `scale` significant fractional digits to
  /// exactly `scale` digits ("641" -> "641.00"). Exposed for tests. Empty `error` = success.
  static std::string NormalizeDecimal(std::string_view text, uint32_t scale, std::string* error);

  struct Slot;  // captured raw value of one column (defined in the .cpp)

 private:
  struct PathNode {
    std::vector<std::pair<std::string, int>> children;  ///< key -> node index
    /// children[j].first followed by 8 NUL bytes, so keys compare a word at a time.
    std::vector<std::string> padded_names;
    std::vector<int> primary_columns;   ///< columns whose schema path ends here
    std::vector<int> fallback_columns;  ///< columns whose name is this top-level key
    /// The slot a value captured here fills, the same for both walks: its first primary
    /// column's, else its first fallback column's; null for an intermediate node (no column of
    /// its own). Defined in ingest_slots.h, where Slot is complete.
    Slot* TargetSlot(std::vector<Slot>* primary, std::vector<Slot>* fallback) const;
  };

  IngestValidator() = default;
  int ChildOf(int node, std::string_view key) const;
  /// As above, starting the search at *hint and leaving it after the match.
  int ChildOf(int node, std::string_view key, size_t* hint) const;
  int AddChild(int node, const std::string& key);
  struct Walker;    // On-Demand traversal, defined in the .cpp
  struct FastScan;  // byte-level walk of compact bodies, defined in the .cpp
  void BuildRow(size_t index, const std::vector<Slot>& primary, const std::vector<Slot>& fallback,
                const std::vector<std::string>& reject_ids, IngestResult* out) const;

  std::vector<TableColumn> table_;       ///< _id moved to position 0
  /// Per column, pre-rendered: "{\"_id\":" for column 0, ",\"name\":" for the others.
  std::vector<std::string> key_prefix_;
  std::shared_ptr<const RowLayout> layout_;  ///< built from key_prefix_
  std::vector<PathNode> nodes_;          ///< trie of paths; node 0 is the record value
  bool numeric_id_ = true;
  bool raw_keys_ = true;  ///< no path name holds '"', '\\' or a control byte (see Walker)
  /// Fast path for records whose keys are column names ("mapped" records): per column, its
  /// name followed by 8 NUL bytes, and whether the name's trie node feeds that column alone
  /// (then such a record's row can be built from one slot per column, see FastScan).
  std::vector<std::string> padded_column_names_;
  std::vector<char> direct_ok_;
  bool direct_columns_ = false;  ///< raw_keys_, at most 64 columns and some direct_ok_
};

}  // namespace sluice::emulator
