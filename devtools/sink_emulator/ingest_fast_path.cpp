// File: devtools/sink_emulator/ingest_fast_path.cpp
// IngestValidator's byte-level fast path (TryValidateFast, FastScan): compact bodies of known
// keys, what sluice sends, are walked without simdjson, record after record replaying the
// shape of the first (ShapeStep), filling the same Slots as the full walk and building rows
// with the same BuildRow; anything it doubts makes it give up for the whole body. Built with
// the WESTMERE flags (it includes ingest_scratch.h).
// Thread-safety: the validator is immutable; each caller passes its own ParseScratch.
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

#include "devtools/sink_emulator/ingest_scratch.h"
#include "devtools/sink_emulator/ingest_slots.h"
#include "devtools/sink_emulator/ingest_validator.h"
#include "devtools/sink_emulator/json_text.h"

namespace sluice::emulator {

namespace {

using ingest::Scalar;
using ingest::ShapeStep;
using ingest::WordsEqual;
using Slot = IngestValidator::Slot;

}  // namespace

/// The fast path. It accepts a strict subset of JSON: exactly {"records":[...]} with records
/// exactly {"value":{...}}, no whitespace outside strings, no backslash or control byte
/// anywhere, every key a child of its trie node, and leaves that are scalars or arrays of
/// scalars (objects only where the trie goes deeper). Within that subset it fills the same
/// Slots as Walker (same target choice, same copies to columns sharing a path, same Scalar
/// fields) and calls the same BuildRow, so rows and per-record errors are the full walk's.
/// Everything outside the subset, including anything simdjson would refuse (bad UTF-8, bad
/// numbers, control bytes, trailing bytes), makes it give up for the whole request.
struct IngestValidator::FastScan {
  const IngestValidator& v;
  const char* p;    ///< next byte to read
  const char* end;  ///< end of the body (the padding after it is readable)
  std::vector<Slot>* primary;
  std::vector<Slot>* fallback;
  /// While a record is walked with recording on: its leaf captures so far (else null), where
  /// the bytes before the next leaf begin, and whether the record can serve as a shape.
  std::vector<ShapeStep>* recording = nullptr;
  const char* recorded_end = nullptr;
  bool shape_ok = false;

  /// True (and advances) if the body continues with `lit`.
  template <size_t kSize>
  bool Expect(const char (&lit)[kSize]) {
    constexpr size_t kLength = kSize - 1;  // without the literal's terminating NUL
    if (static_cast<size_t>(end - p) < kLength || std::memcmp(p, lit, kLength) != 0) return false;
    p += kLength;
    return true;
  }
  /// The first '"' in [s, end), or nullptr. Reads up to 15 bytes past end (padding).
  static const char* FindQuote(const char* s, const char* end) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    for (; s < end; s += 16) {
      const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
      const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(block, quote)));
      if (mask != 0) {
        const char* q = s + __builtin_ctz(mask);
        return q < end ? q : nullptr;
      }
    }
    return nullptr;
#else
    return static_cast<const char*>(std::memchr(s, '"', static_cast<size_t>(end - s)));
#endif
  }
  /// A string at p (its opening quote): the text between the quotes; p moves past the closing
  /// quote. The pre-scan has ruled out backslashes, so the next quote closes it.
  bool ReadString(std::string_view* text) {
    const char* q = FindQuote(p + 1, end);
    if (q == nullptr) return false;
    *text = std::string_view(p + 1, static_cast<size_t>(q - p - 1));
    p = q + 1;
    return true;
  }
  /// True if p is at a byte that may end a scalar value.
  bool AtValueEnd() const { return p < end && (*p == ',' || *p == '}' || *p == ']'); }
  /// A scalar at p, read into `out` the way ReadScalar does (only the fields it sets).
  bool ReadScalarFast(Scalar* out) {
    const char c = *p;
    if (c == '"') {
      std::string_view text;
      if (!ReadString(&text) || !AtValueEnd()) return false;
      out->kind = ValueKind::kString;
      out->text = text;
      out->plain = true;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      const char* start = p;
      while (p < end && *p != ',' && *p != '}' && *p != ']') ++p;
      std::string_view raw(start, static_cast<size_t>(p - start));
      if (p == end || !IsJsonNumber(raw)) return false;
      out->kind = ValueKind::kNumber;
      out->text = raw;
      out->plain = true;
      return true;
    }
    if (c == 't' || c == 'f') {
      const bool b = c == 't';
      if (b ? !Expect("true") : !Expect("false")) return false;
      if (!AtValueEnd()) return false;
      out->kind = ValueKind::kBool;
      out->text = b ? "true" : "false";
      out->plain = false;
      return true;
    }
    if (c == 'n') {
      if (!Expect("null") || !AtValueEnd()) return false;
      out->kind = ValueKind::kNull;
      out->text = {};
      return true;
    }
    return false;
  }
  /// The value of a key that matched trie node `node` (Walker::Capture).
  bool Capture(int node) {
    const PathNode& pn = v.nodes_[node];
    std::optional<Slot> captured;  // only for an intermediate node (no column of its own)
    Slot* target = pn.TargetSlot(primary, fallback);
    if (target == nullptr) target = &captured.emplace();
    target->elems.clear();
    if (p >= end) return false;
    const bool leaf = *p != '{';
    if (recording != nullptr) {
      if (leaf) {
        const bool single = pn.children.empty() && pn.primary_columns.size() + pn.fallback_columns.size() == 1;
        recording->push_back(
            ShapeStep{recorded_end, static_cast<size_t>(p - recorded_end), node, single ? target : nullptr});
      } else if (!pn.primary_columns.empty() || !pn.fallback_columns.empty()) {
        shape_ok = false;  // Replay skips the Capture of objects: only unobservable ones may go
      }
    }
    if (*p == '[') {
      target->kind = ValueKind::kArray;
      target->text = {};
      target->plain = false;
      ++p;
      if (p < end && *p == ']') {
        ++p;
      } else {
        for (;;) {
          if (p >= end) return false;
          Scalar item;
          if (!ReadScalarFast(&item)) return false;
          target->elems.push_back(item);
          if (*p == ']') {
            ++p;
            break;
          }
          if (*p != ',') return false;
          ++p;
        }
      }
      if (!AtValueEnd()) return false;
    } else if (*p == '{') {
      // Objects are taken only where the trie goes deeper (an unmapped object would have to
      // be validated while skipped, which the full walk leaves to simdjson).
      if (pn.children.empty()) return false;
      target->kind = ValueKind::kObject;
      if (!WalkObject(node) || !AtValueEnd()) return false;
    } else if (!ReadScalarFast(target)) {
      return false;
    }
    for (int c : pn.primary_columns) {
      if (&(*primary)[c] != target) (*primary)[c] = *target;
    }
    for (int c : pn.fallback_columns) {
      if (&(*fallback)[c] != target) (*fallback)[c] = *target;
    }
    if (recording != nullptr && leaf) recorded_end = p;
    return true;
  }

  /// Records of one feed have the same keys in the same order, so the bytes between their
  /// values repeat: `{"flight_id":`, `,"airline":`, ..., `,"origin":{"airport":`, ... `}}`.
  /// A record walked by WalkObject(0) is recorded as such a shape: per leaf value (a scalar
  /// or array, whatever Capture read without recursing), the bytes since the previous leaf
  /// and the trie node the value went to. Replay checks that the next record has exactly those
  /// bytes between its values and captures each value into its node with the same Capture.
  /// That is what WalkObject would do on the same bytes: it reads the same keys at the same
  /// places, finds the same children and calls Capture on the same nodes; the only Captures
  /// it skips are of objects whose node has no column (their slot is a temporary, which the
  /// recording refuses otherwise). Key search and key scanning are replaced by one compare.
  /// Returns 1 if the record matched and was captured, 0 if the bytes differ (p back at the
  /// record's '{'; slots may hold partial captures, so the caller resets them), -1 when a
  /// Capture failed (WalkObject would have failed at the same place).
  int Replay(const std::vector<ShapeStep>& shape, const char* tail, size_t tail_len) {
    const char* const start = p;
    for (const ShapeStep& st : shape) {
      // WordsEqual reads up to 7 bytes past both: body or padding on either side.
      if (static_cast<size_t>(end - p) < st.len || !WordsEqual(p, st.lit, st.len)) {
        p = start;
        return 0;
      }
      p += st.len;
      if (st.target != nullptr && p < end && *p != '[' && *p != '{') {
        st.target->elems.clear();
        if (!ReadScalarFast(st.target)) return -1;
      } else if (!Capture(st.node)) {
        return -1;
      }
    }
    if (static_cast<size_t>(end - p) < tail_len || !WordsEqual(p, tail, tail_len)) {
      p = start;
      return 0;
    }
    p += tail_len;
    return 1;
  }
  /// A record value at p ('{') whose keys are distinct column names with direct_ok_ and whose
  /// values are scalars: each value goes into direct[column] and p moves past the '}'. Such a
  /// record fills, on the full walk, primary and/or fallback slots of exactly those columns
  /// with those values and nothing else, so BuildRow(direct, none) writes the same row.
  /// Returns false with p back at the '{' for any other record (the caller walks it).
  bool DirectRecord(std::vector<Slot>* direct) {
    const char* const start = p;
    const size_t n = v.table_.size();
    for (auto& s : *direct) s.kind = ValueKind::kNone;
    uint64_t seen = 0;
    size_t hint = 0;
    ++p;  // '{'
    for (;;) {
      if (p >= end || *p != '"') break;
      const char* key = p + 1;
      const char* q = FindQuote(key, end);
      if (q == nullptr) break;
      const size_t key_len = static_cast<size_t>(q - key);
      size_t col = n;
      for (size_t k = 0, j = hint; k < n; ++k, ++j) {
        if (j >= n) j = 0;
        // WordsEqual reads up to 7 bytes past the key's end: body or padding.
        if (v.table_[j].name.size() == key_len && WordsEqual(key, v.padded_column_names_[j].data(), key_len)) {
          col = j;
          hint = j + 1;
          break;
        }
      }
      if (col == n || !v.direct_ok_[col] || ((seen >> col) & 1) != 0) break;
      seen |= uint64_t{1} << col;
      p = q + 1;
      if (p >= end || *p != ':') break;
      ++p;
      if (p >= end || *p == '[' || *p == '{' || !ReadScalarFast(&(*direct)[col])) break;
      if (*p == '}') {
        ++p;
        return true;
      }
      if (*p != ',') break;
      ++p;
    }
    p = start;
    return false;
  }

  /// An object at p whose keys are children of `node` (Walker::Walk); p moves past its '}'.
  bool WalkObject(int node) {
    ++p;  // '{'
    if (p < end && *p == '}') {
      ++p;
      return true;
    }
    const PathNode& pn = v.nodes_[node];
    const size_t n = pn.children.size();
    size_t hint = 0;
    for (;;) {
      if (p >= end || *p != '"') return false;
      const char* key = p + 1;
      std::string_view key_text;
      if (!ReadString(&key_text) || p >= end || *p != ':') return false;
      ++p;
      int child = -1;
      for (size_t k = 0, j = hint; k < n; ++k, ++j) {
        if (j >= n) j = 0;
        const size_t len = pn.children[j].first.size();
        // The key lies inside the body, so the 7 bytes WordsEqual may read past it are
        // within the body or its padding.
        if (len == key_text.size() && WordsEqual(key, pn.padded_names[j].data(), len)) {
          hint = j + 1;
          child = pn.children[j].second;
          break;
        }
      }
      if (child < 0) return false;  // unmapped key: the full walk skips it
      if (!Capture(child)) return false;
      if (*p == '}') {
        ++p;
        return true;
      }
      if (*p != ',') return false;  // Capture left p at ',', '}' or ']'
      ++p;
    }
  }

  /// True if no byte of the body is a control byte or a backslash; sets *high when some byte
  /// is >= 0x80 (then the caller validates UTF-8 as simdjson's stage 1 would).
  static bool PreScan(const char* data, size_t size, bool* high) {
#if defined(__SSE2__)
    // 16 bytes at a time, exactly: a byte <= 0x1f (unsigned min with 0x1f leaves it as is) or
    // equal to '\\' marks `bad`; high bits are OR-ed together.
    size_t i = 0;
    const __m128i k1f = _mm_set1_epi8(0x1f);
    const __m128i backslash = _mm_set1_epi8('\\');
    __m128i bad = _mm_setzero_si128(), any = _mm_setzero_si128();
    for (; i + 16 <= size; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, k1f), v), _mm_cmpeq_epi8(v, backslash)));
      any = _mm_or_si128(any, v);
    }
    if (_mm_movemask_epi8(bad) != 0) return false;
    if (_mm_movemask_epi8(any) != 0) *high = true;
    for (; i < size; ++i) {
      const unsigned char c = static_cast<unsigned char>(data[i]);
      if (c < 0x20 || c == '\\') return false;
      if (c >= 0x80) *high = true;
    }
    return true;
#else
    size_t i = 0;
    uint64_t flagged = 0;
    // 8 bytes at a time: a byte < 0x20, >= 0x80 or == '\\' sets its high bit in `bad`.
    for (; i + 8 <= size; i += 8) {
      uint64_t w;
      std::memcpy(&w, data + i, 8);
      constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
      const uint64_t lt20 = (w - kOnes * 0x20) & ~w;
      const uint64_t bs = w ^ (kOnes * '\\');
      const uint64_t is_bs = (bs - kOnes) & ~bs;
      flagged |= (lt20 | is_bs | w) & kHigh;
    }
    if (flagged != 0 || i < size) {
      // Exact pass (rare: non-ASCII or trouble, or the last few bytes).
      for (size_t k = flagged != 0 ? 0 : i; k < size; ++k) {
        const unsigned char c = static_cast<unsigned char>(data[k]);
        if (c < 0x20 || c == '\\') return false;
        if (c >= 0x80) *high = true;
      }
    }
    return true;
#endif
  }
};

bool IngestValidator::TryValidateFast(ParseScratch& scratch, const char* data, size_t size,
                                      const std::vector<std::string>& reject_ids, IngestResult* out) const {
  if (!raw_keys_) return false;
  bool high = false;
  if (!FastScan::PreScan(data, size, &high)) return false;
  if (high && !simdjson::validate_utf8(data, size)) return false;
  out->records_received = 0;
  out->text.clear();
  out->rows.clear();
  out->errors.clear();
  out->layout = layout_.get();
  std::vector<Slot>& primary = scratch.impl()->primary;
  std::vector<Slot>& fallback = scratch.impl()->fallback;
  std::vector<Slot>& direct = scratch.impl()->direct;
  std::vector<Slot>& none = scratch.impl()->none;
  primary.resize(table_.size());
  fallback.resize(table_.size());
  direct.resize(table_.size());
  none.resize(table_.size());  // never written: every kind stays kNone
  ParseScratch::Impl& sc = *scratch.impl();
  sc.has_shape = false;
  FastScan scan{*this, data, data + size, &primary, &fallback};
  if (!scan.Expect("{\"records\":[")) return false;
  size_t index = 0;
  if (scan.p < scan.end && *scan.p == ']') {
    ++scan.p;
  } else {
    for (;;) {
      if (!scan.Expect("{\"value\":") || scan.p >= scan.end || *scan.p != '{') return false;
      int replayed = 0;
      if (sc.has_shape) {
        for (auto& s : primary) s.kind = ValueKind::kNone;
        for (auto& s : fallback) s.kind = ValueKind::kNone;
        replayed = scan.Replay(sc.shape, sc.shape_tail, sc.shape_tail_len);
        if (replayed < 0) return false;
      }
      const bool is_direct = replayed == 0 && direct_columns_ && scan.DirectRecord(&direct);
      if (replayed == 0 && !is_direct) {
        for (auto& s : primary) s.kind = ValueKind::kNone;
        for (auto& s : fallback) s.kind = ValueKind::kNone;
        const char* const record = scan.p;
        sc.recording.clear();
        scan.recording = &sc.recording;
        scan.recorded_end = record;
        scan.shape_ok = true;
        const bool walked = scan.WalkObject(0);
        scan.recording = nullptr;
        if (!walked) return false;
        if (scan.shape_ok) {
          sc.shape.swap(sc.recording);
          sc.shape_tail = scan.recorded_end;
          sc.shape_tail_len = static_cast<size_t>(scan.p - scan.recorded_end);
          sc.has_shape = true;
        }
      }
      if (!scan.Expect("}") || scan.p >= scan.end) return false;
      const char sep = *scan.p++;
      // The row is built before the rest of the body is checked: if the body turns out to be
      // outside the subset, the caller throws `out` away and runs the full walk.
      if (is_direct) {
        BuildRow(index, direct, none, reject_ids, out);
      } else {
        BuildRow(index, primary, fallback, reject_ids, out);
      }
      ++index;
      if (sep == ']') break;
      if (sep != ',') return false;
    }
  }
  if (!scan.Expect("}") || scan.p != scan.end) return false;
  out->records_received = index;
  return true;
}

}  // namespace sluice::emulator
