// Tests for stages/schema_map/record_scan.h: ScanRecord over every scan width this build has
// (Swar always, Sse2 and Avx2 when the compile flags allow them) gives the same verdict, high
// flag and quote bits as a byte-at-a-time reference, on random records of every length up to
// a few blocks, with the bytes that matter ('"', '\\', controls, high bytes) placed at every
// position of a block and garbage in the padding past the end.
#include "stages/schema_map/record_scan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace sluice::stages {
namespace {

struct Reference {
  bool ok = true;
  bool high = false;
  std::vector<uint64_t> quotes;
};

Reference Scan(const std::string& record) {
  Reference r;
  r.quotes.assign((record.size() + 63) / 64, 0);
  for (size_t i = 0; i < record.size(); ++i) {
    const auto b = static_cast<unsigned char>(record[i]);
    if (b < 0x20 || b == '\\') r.ok = false;
    if (b >= 0x80) r.high = true;
    if (b == '"') r.quotes[i / 64] |= uint64_t{1} << (i % 64);
  }
  return r;
}

template <typename W>
void ExpectMatches(const std::string& record, const std::string& padding, const char* width) {
  std::string buffer = record + padding;  // ScanRecord reads whole blocks past the end
  const Reference want = Scan(record);
  std::vector<uint64_t> quotes(want.quotes.size() + 1, ~uint64_t{0});
  bool high = false;
  const bool ok = ScanRecord<W>(buffer.data(), record.size(), quotes.data(), &high);
  ASSERT_EQ(ok, want.ok) << width << " length " << record.size();
  if (!ok) return;
  EXPECT_EQ(high, want.high) << width << " length " << record.size();
  for (size_t w = 0; w < want.quotes.size(); ++w) {
    ASSERT_EQ(quotes[w], want.quotes[w]) << width << " length " << record.size() << " word " << w;
  }
}

void ExpectAllWidths(const std::string& record, const std::string& padding) {
  ExpectMatches<SwarScanWidth>(record, padding, "swar");
#if defined(__SSE2__)
  ExpectMatches<Sse2ScanWidth>(record, padding, "sse2");
#endif
#if defined(__AVX2__)
  ExpectMatches<Avx2ScanWidth>(record, padding, "avx2");
#endif
}

TEST(RecordScanTest, EveryWidthAgreesWithTheReference) {
  std::mt19937 rng(14);
  // Mostly plain bytes, with the bytes the scan looks for mixed in.
  const std::string special = std::string("\"\\\x01\x1f\x20\x7f\x80\xc3\xff\t\n", 11) + '\0';
  for (size_t length = 0; length <= 200; ++length) {
    for (int round = 0; round < 20; ++round) {
      std::string record(length, 'a');
      const int kind = round % 4;  // 0: plain, 1: quotes only, 2: + high bytes, 3: anything
      for (char& c : record) {
        const uint32_t r = rng() % 16;
        if (kind == 0 || r > 3) {
          c = static_cast<char>(' ' + rng() % 90);  // printable, may include '"' and '\\'
          if (kind != 3 && c == '\\') c = 'x';
        } else if (kind == 1) {
          c = '"';
        } else if (kind == 2) {
          c = r % 2 ? '"' : static_cast<char>(0x80 + rng() % 128);
        } else {
          c = special[rng() % special.size()];
        }
      }
      std::string padding(64, '\0');
      for (char& c : padding) c = special[rng() % special.size()];
      ExpectAllWidths(record, padding);
    }
  }
}

TEST(RecordScanTest, EachSpecialByteAtEveryPositionOfTwoBlocks) {
  const std::string special = std::string("\"\\\x01\x1f\x20\x7f\x80\xff", 8) + '\0';
  for (size_t length : {size_t{63}, size_t{64}, size_t{65}, size_t{128}}) {
    for (size_t at = 0; at < length; ++at) {
      for (char b : special) {
        std::string record(length, 'a');
        record[at] = b;
        ExpectAllWidths(record, std::string(64, '\\'));  // bad bytes past the end don't count
      }
    }
  }
}

}  // namespace
}  // namespace sluice::stages
