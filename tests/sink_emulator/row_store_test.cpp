// Unit tests for RowArena and SinkStore (upsert by _id, many rows, rows larger than a chunk,
// compaction, sorted dumps), in-process.
#include "devtools/sink_emulator/row_store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace sluice::emulator {
namespace {

/// A row shaped like the validator's output: {"_id":<key>,"v":<payload>}.
std::string Line(const std::string& key, const std::string& payload) {
  return "{\"_id\":" + key + ",\"v\":\"" + payload + "\"}";
}
constexpr size_t kKeyOffset = 7;  // strlen("{\"_id\":")

bool Put(RowArena& arena, const std::string& key, const std::string& payload) {
  const std::string line = Line(key, payload);
  return arena.Upsert(RowArena::KeyHash(key), key, kKeyOffset, line);
}

std::map<std::string, std::string> Contents(const RowArena& arena) {
  std::map<std::string, std::string> out;
  arena.ForEach([&](std::string_view key, std::string_view line) {
    EXPECT_TRUE(out.emplace(std::string(key), std::string(line)).second) << "key twice: " << key;
  });
  return out;
}

TEST(RowArena, LaterRowWithSameIdReplacesEarlier) {
  RowArena arena;
  EXPECT_FALSE(Put(arena, "1", "a"));
  EXPECT_FALSE(Put(arena, "2", "b"));
  EXPECT_TRUE(Put(arena, "1", "a much longer replacement than before"));  // appended
  EXPECT_TRUE(Put(arena, "2", ""));                                        // in place
  EXPECT_EQ(arena.size(), 2u);
  auto rows = Contents(arena);
  EXPECT_EQ(rows["1"], Line("1", "a much longer replacement than before"));
  EXPECT_EQ(rows["2"], Line("2", ""));
}

TEST(RowArena, KeepsManyDistinctRowsAndTheirLatestVersions) {
  RowArena arena;
  constexpr int kRows = 200000;
  for (int i = 0; i < kRows; ++i) ASSERT_FALSE(Put(arena, std::to_string(i), "first"));
  for (int i = 0; i < kRows; i += 2) ASSERT_TRUE(Put(arena, std::to_string(i), "second, longer"));
  EXPECT_EQ(arena.size(), static_cast<size_t>(kRows));
  auto rows = Contents(arena);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kRows));
  for (int i = 0; i < kRows; ++i) {
    ASSERT_EQ(rows[std::to_string(i)], Line(std::to_string(i), i % 2 ? "first" : "second, longer")) << i;
  }
}

TEST(RowArena, ReplacingRowsOverAndOverKeepsMemoryBounded) {
  RowArena arena;
  // Each round makes every row longer, so nothing fits in place and the old copies are dead.
  std::string payload;
  for (int round = 0; round < 40; ++round) {
    payload += "xxxxxxxxxxxxxxxx";
    for (int i = 0; i < 2000; ++i) Put(arena, std::to_string(i), payload);
  }
  EXPECT_EQ(arena.size(), 2000u);
  // Compaction keeps dead space below live space (plus one chunk of slack and the open chunk).
  EXPECT_LE(arena.reserved_bytes(), 2 * arena.live_bytes() + 3 * RowArena::kChunkBytes);
  for (const auto& [key, line] : Contents(arena)) EXPECT_EQ(line, Line(key, payload));
}

TEST(RowArena, FindsEveryKeyAcrossIndexGrowthsMovesAndClear) {
  // 8-byte index entries place rows by a 24-bit tag when the index doubles: every key must
  // still be found (as a duplicate) after many doublings, after its row moved to a new place
  // (a longer replacement) and after compaction; Clear starts over from an empty index.
  RowArena arena;
  constexpr int kKeys = 300000;
  for (int i = 0; i < kKeys; ++i) ASSERT_FALSE(Put(arena, std::to_string(i), "x")) << i;
  EXPECT_EQ(arena.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; i += 2) {
    ASSERT_TRUE(Put(arena, std::to_string(i), "a longer row than the first one")) << i;
  }
  for (int i = 0; i < kKeys; ++i) ASSERT_TRUE(Put(arena, std::to_string(i), "y")) << i;
  EXPECT_EQ(arena.size(), static_cast<size_t>(kKeys));
  const auto rows = Contents(arena);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kKeys));
  for (int i = 0; i < kKeys; i += 997) EXPECT_EQ(rows.at(std::to_string(i)), Line(std::to_string(i), "y"));
  arena.Clear();
  EXPECT_EQ(arena.size(), 0u);
  EXPECT_EQ(arena.reserved_bytes(), 0u);
  for (int i = 0; i < 5000; ++i) ASSERT_FALSE(Put(arena, std::to_string(i), "z")) << i;
  EXPECT_EQ(Contents(arena).size(), 5000u);
}

TEST(RowArena, StoresRowsLargerThanAChunk) {
  RowArena arena;
  const std::string big(3 * RowArena::kChunkBytes + 5, 'q');
  Put(arena, "1", "small");
  Put(arena, "7", big);
  Put(arena, "2", "small too");
  auto rows = Contents(arena);
  EXPECT_EQ(rows["7"], Line("7", big));
  EXPECT_EQ(rows["1"], Line("1", "small"));
  Put(arena, "7", "shrunk");  // fits in the big row's space
  EXPECT_EQ(Contents(arena)["7"], Line("7", "shrunk"));
  arena.Clear();
  EXPECT_EQ(arena.size(), 0u);
  EXPECT_EQ(arena.reserved_bytes(), 0u);
}

/// "r<n>" (a helper: GCC 12 warns falsely on "r" + std::to_string(n) with -Wrestrict).
std::string Round(int n) {
  std::string out = "r";
  out += std::to_string(n);
  return out;
}

/// Builds the IngestResult the validator would produce for these (key, payload) rows.
IngestResult Result(const std::vector<std::pair<std::string, std::string>>& rows, size_t rejected = 0) {
  IngestResult r;
  for (const auto& [key, payload] : rows) {
    const std::string line = Line(key, payload);
    r.rows.push_back(RowRef{r.text.size(), line.size(), kKeyOffset, key.size()});
    r.text.Append(line);
  }
  for (size_t i = 0; i < rejected; ++i) r.errors.push_back(RecordError{i, "null", "bad"});
  r.records_received = rows.size() + rejected;
  return r;
}

TEST(SinkStore, UpsertsAcrossRequestsAndWithinOneRequest) {
  SinkStore store(/*numeric_keys=*/true);
  store.Apply(Result({{"10", "a"}, {"9", "b"}, {"10", "c"}}, 1), 100);
  store.Apply(Result({{"9", "d"}, {"100", "e"}}), 50);
  SinkStats s = store.Stats();
  EXPECT_EQ(s.requests, 2u);
  EXPECT_EQ(s.records_received, 6u);
  EXPECT_EQ(s.records_stored, 5u);
  EXPECT_EQ(s.distinct_ids, 3u);
  EXPECT_EQ(s.duplicates, 2u);
  EXPECT_EQ(s.rejected, 1u);
  EXPECT_EQ(s.bytes_received, 150u);
  // Numeric order, latest version of each row.
  EXPECT_EQ(store.RowsNdjson(), Line("9", "d") + "\n" + Line("10", "c") + "\n" + Line("100", "e") + "\n");
  store.Clear();
  EXPECT_EQ(store.RowsNdjson(), "");
  EXPECT_EQ(store.Stats().distinct_ids, 0u);
}

TEST(SinkStore, StringKeysSortLexicographically) {
  SinkStore store(/*numeric_keys=*/false);
  store.Apply(Result({{"\"b\"", "1"}, {"\"a\"", "2"}, {"\"ab\"", "3"}}), 10);
  EXPECT_EQ(store.RowsNdjson(),
            Line("\"a\"", "2") + "\n" + Line("\"ab\"", "3") + "\n" + Line("\"b\"", "1") + "\n");
}

TEST(SinkStore, ManyRowsOverManyRequests) {
  SinkStore store(/*numeric_keys=*/true);
  for (int req = 0; req < 200; ++req) {
    std::vector<std::pair<std::string, std::string>> rows;
    for (int i = 0; i < 500; ++i) rows.emplace_back(std::to_string(req * 500 + i), Round(req));
    store.Apply(Result(rows), 1);
  }
  // The same ids again: every row replaced.
  std::vector<std::pair<std::string, std::string>> again;
  for (int i = 0; i < 100000; i += 3) again.emplace_back(std::to_string(i), "again");
  store.Apply(Result(again), 1);
  SinkStats s = store.Stats();
  EXPECT_EQ(s.distinct_ids, 100000u);
  EXPECT_EQ(s.duplicates, again.size());
  const std::string dump = store.RowsNdjson();
  size_t pos = 0;
  for (int i = 0; i < 100000; ++i) {
    const std::string want = Line(std::to_string(i), i % 3 == 0 ? "again" : Round(i / 500)) + "\n";
    ASSERT_EQ(dump.compare(pos, want.size(), want), 0) << "row " << i;
    pos += want.size();
  }
  EXPECT_EQ(pos, dump.size());
}

}  // namespace
}  // namespace sluice::emulator
