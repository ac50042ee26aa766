// File: stages/schema_map/record_scan.h
// ScanRecord: the fast path's one pass over a record before its walk (backslashes, control
// bytes, bytes >= 0x80, and a bit per '"'). Written once over per-width primitives, in the
// manner of simdjson's generic kernels: Avx2 (32 bytes), Sse2 (16 bytes) and Swar (8 bytes
// in a uint64_t, any CPU) each provide Load, EqualTo, Control, | and HighBits, and the scan is
// a template over them. NativeScanWidth is the widest one the compile flags allow
// (SLUICE_SIMDJSON_FLAGS: AVX2 by default, SSE2 on a portable x86-64 build, Swar elsewhere
// or with SLUICE_SCAN_FORCE_SWAR).
// Used by field_fast_path.cpp; tests/schema_map/record_scan_test.cpp checks every width the
// build has against a byte-at-a-time reference.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::stages {

// Each width: a vector of kBytes bytes. EqualTo and Control return a mask with the top bit of
// each matching byte set; HighBits gathers the top bit of every byte (bit i for byte i).

#if defined(__AVX2__)
struct Avx2ScanWidth {
  static constexpr size_t kBytes = 32;
  __m256i v;
  static Avx2ScanWidth Zero() { return {_mm256_setzero_si256()}; }
  static Avx2ScanWidth Load(const char* p) {
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))};
  }
  Avx2ScanWidth EqualTo(char c) const { return {_mm256_cmpeq_epi8(v, _mm256_set1_epi8(c))}; }
  /// Bytes below 0x20.
  Avx2ScanWidth Control() const {
    return {_mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v)};
  }
  friend Avx2ScanWidth operator|(Avx2ScanWidth a, Avx2ScanWidth b) {
    return {_mm256_or_si256(a.v, b.v)};
  }
  uint64_t HighBits() const { return static_cast<uint32_t>(_mm256_movemask_epi8(v)); }
};
#endif

#if defined(__SSE2__)
struct Sse2ScanWidth {
  static constexpr size_t kBytes = 16;
  __m128i v;
  static Sse2ScanWidth Zero() { return {_mm_setzero_si128()}; }
  static Sse2ScanWidth Load(const char* p) {
    return {_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))};
  }
  Sse2ScanWidth EqualTo(char c) const { return {_mm_cmpeq_epi8(v, _mm_set1_epi8(c))}; }
  /// Bytes below 0x20.
  Sse2ScanWidth Control() const { return {_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v)}; }
  friend Sse2ScanWidth operator|(Sse2ScanWidth a, Sse2ScanWidth b) { return {_mm_or_si128(a.v, b.v)}; }
  uint64_t HighBits() const { return static_cast<uint32_t>(_mm_movemask_epi8(v)); }
};
#endif

/// Eight bytes in a general-purpose register; the compares are exact (no carry crosses a byte).
struct SwarScanWidth {
  static constexpr size_t kBytes = 8;
  static constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  static constexpr uint64_t kTop = 0x8080808080808080ULL;
  uint64_t v;
  static SwarScanWidth Zero() { return {0}; }
  static SwarScanWidth Load(const char* p) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    return {x};
  }
  SwarScanWidth EqualTo(char c) const {
    // t's byte is 0 exactly where v's equals c; (t & 0x7F) + 0x7F sets the top bit for any
    // other value below 0x80, and t itself for the rest.
    const uint64_t t = v ^ (0x0101010101010101ULL * static_cast<unsigned char>(c));
    return {~(((t & kLow7) + kLow7) | t) & kTop};
  }
  /// Bytes below 0x20: (b & 0x7F) + 0x60 reaches 0x80 exactly when b & 0x7F >= 0x20.
  SwarScanWidth Control() const {
    return {~(((v & kLow7) + 0x6060606060606060ULL) | v) & kTop};
  }
  friend SwarScanWidth operator|(SwarScanWidth a, SwarScanWidth b) { return {a.v | b.v}; }
  uint64_t HighBits() const {
    // Top bits moved to bits 0, 8, ..., 56, then gathered into the top byte by one multiply
    // (the partial products land on distinct bits, so nothing carries).
    return (((v & kTop) >> 7) * 0x0102040810204080ULL) >> 56;
  }
};

// SLUICE_SCAN_FORCE_SWAR (a test build's define) runs the product on the portable width, so
// the whole fast path can be tested with it on an x86 machine.
#if defined(SLUICE_SCAN_FORCE_SWAR)
using NativeScanWidth = SwarScanWidth;
#elif defined(__AVX2__)
using NativeScanWidth = Avx2ScanWidth;
#elif defined(__SSE2__)
using NativeScanWidth = Sse2ScanWidth;
#else
using NativeScanWidth = SwarScanWidth;
#endif

/// Whole 64-byte blocks: the quote bits of each are returned; backslashes, control bytes and
/// high bytes are only OR-ed together (one check per record, not per block).
template <typename W>
class ScanAccumulator {
 public:
  static_assert(64 % W::kBytes == 0);

  uint64_t Block(const char* bytes) {
    uint64_t quote_bits = 0;
    for (size_t i = 0; i < 64; i += W::kBytes) {
      const W v = W::Load(bytes + i);
      bad_ = bad_ | v.Control() | v.EqualTo('\\');
      high_ = high_ | v;
      quote_bits |= v.EqualTo('"').HighBits() << i;
    }
    return quote_bits;
  }
  /// The last, partial block: bits past the record (outside `valid`) are cleared.
  uint64_t Tail(const char* bytes, uint64_t valid) {
    uint64_t quote_bits = 0;
    uint64_t bad_bits = 0;
    uint64_t high_bits = 0;
    for (size_t i = 0; i < 64; i += W::kBytes) {
      const W v = W::Load(bytes + i);
      quote_bits |= v.EqualTo('"').HighBits() << i;
      bad_bits |= (v.Control() | v.EqualTo('\\')).HighBits() << i;
      high_bits |= v.HighBits() << i;
    }
    tail_bad_ = (bad_bits & valid) != 0;
    tail_high_ = (high_bits & valid) != 0;
    return quote_bits & valid;
  }
  bool AnyBad() const { return tail_bad_ || bad_.HighBits() != 0; }
  bool AnyHigh() const { return tail_high_ || high_.HighBits() != 0; }

 private:
  W bad_ = W::Zero();
  W high_ = W::Zero();
  bool tail_bad_ = false;
  bool tail_high_ = false;
};

/// One pass over the record before the walk: false when it has a backslash or a byte below 0x20
/// anywhere (escapes, raw control characters and whitespace other than ' ' all go to the full
/// walk); sets `*high` when it has a byte >= 0x80; writes the positions of its '"' bytes to
/// `quotes` ((length + 63) / 64 words; with no backslash, every quote opens or closes a string).
/// Reads whole 64-byte blocks, up to 63 bytes past the record (inside the padding the caller
/// checked); the last block's bits past the end are cleared.
template <typename W = NativeScanWidth>
[[nodiscard]] bool ScanRecord(const char* data, size_t length, uint64_t* quotes, bool* high) {
  ScanAccumulator<W> acc;
  const size_t whole = length / 64;
  for (size_t block = 0; block < whole; ++block) quotes[block] = acc.Block(data + block * 64);
  const size_t rest = length % 64;
  if (rest != 0) {
    const uint64_t valid = (uint64_t{1} << rest) - 1;
    quotes[whole] = acc.Tail(data + whole * 64, valid);
  }
  if (acc.AnyBad()) return false;
  *high = acc.AnyHigh();
  return true;
}

}  // namespace sluice::stages
