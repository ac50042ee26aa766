// File: devtools/sink_emulator/ingest_slots.h
// What the parts of IngestValidator share (private to devtools/sink_emulator/ingest_*.cpp):
// ValueKind and Scalar (one captured value: a view into the body or the parser's string
// buffer), IngestValidator::Slot (a column's captured value, with array elements), which slot
// a path node fills (PathNode::TargetSlot), and the padded-buffer helpers WordsEqual and
// CopyPadded. Both walks (ingest_walk.cpp, ingest_fast_path.cpp) fill Slots; ingest_rows.cpp
// turns them into rows. No simdjson here.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "devtools/sink_emulator/ingest_validator.h"

namespace sluice::emulator {

enum class ValueKind : uint8_t { kNone, kNull, kString, kNumber, kBool, kObject, kArray };

namespace ingest {

/// One scalar as captured: views into the body (numbers, strings without escapes) or into the
/// parser's string buffer (unescaped strings); both live until the next iterate().
struct Scalar {
  ValueKind kind = ValueKind::kNone;
  std::string_view text;  ///< string: unescaped; number: raw token; bool: "true"/"false"
  /// text is a view into the padded body and can be written between quotes as is (no
  /// escaping needed, and it may be copied with CopyPadded)
  bool plain = false;
};

/// True if the first `len` bytes of a and b are equal; reads up to 7 bytes past `len` of both.
inline bool WordsEqual(const char* a, const char* b, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) return false;
  }
  if (i == len) return true;
  uint64_t x, y;
  std::memcpy(&x, a + i, 8);
  std::memcpy(&y, b + i, 8);
  const uint64_t mask = (uint64_t{1} << (8 * (len - i))) - 1;  // little-endian: low bytes first
  return ((x ^ y) & mask) == 0;
}

/// Copies n bytes 16 at a time: may read up to 15 bytes past src + n and write up to 15 past
/// dst + n, so both sides need that much spare room (padded body / prefix buffer; rows
/// reserve kCopySlack extra).
inline void CopyPadded(char* dst, const char* src, size_t n) {
  for (size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
}
constexpr size_t kCopySlack = 16;

}  // namespace ingest

struct IngestValidator::Slot : ingest::Scalar {
  std::vector<ingest::Scalar> elems;  ///< array elements
};

inline IngestValidator::Slot* IngestValidator::PathNode::TargetSlot(std::vector<Slot>* primary,
                                                                    std::vector<Slot>* fallback) const {
  if (!primary_columns.empty()) return &(*primary)[primary_columns[0]];
  if (!fallback_columns.empty()) return &(*fallback)[fallback_columns[0]];
  return nullptr;
}

}  // namespace sluice::emulator
