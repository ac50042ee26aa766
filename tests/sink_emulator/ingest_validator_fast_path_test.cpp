// Differential test of IngestValidator's byte-level fast path against the simdjson On-Demand
// walk: on generated bodies (the shapes sluice sends, and many that are not) and on random
// mutations of them, whenever the fast path takes a body its result must be byte-identical to
// the full walk's (counts, rows, row offsets, per-record errors) and the full walk must accept
// the body; Validate (fast path, then full walk) must always answer exactly as the full walk.
#include "devtools/sink_emulator/ingest_validator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace sluice::emulator {
namespace {

/// Everything a caller can observe of one validation, as text.
std::string Describe(const Status& st, const IngestResult& r) {
  if (!st.ok()) return "status " + st.ToString();
  std::string out = "received " + std::to_string(r.records_received) + "\n";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const RowRef& ref = r.rows[i];
    out += "row " + std::to_string(ref.line_offset) + " " + std::to_string(ref.line_bytes) + " " +
           std::to_string(ref.key_offset) + " " + std::to_string(ref.key_bytes) + " " +
           std::string(r.Line(i)) + "\n";
  }
  out += "text " + std::to_string(r.text.size()) + "\n";
  for (const RecordError& e : r.errors) {
    out += "error " + std::to_string(e.index) + " " + e.id_json + " " + e.message + "\n";
  }
  return out;
}

struct Case {
  std::unique_ptr<IngestValidator> validator;
  std::vector<std::string> keys;  ///< top-level keys of the schema, then unmapped ones
  std::vector<std::vector<std::string>> nested;  ///< per key in `keys`: sub-keys ({} = leaf)
  size_t mapped_keys = 0;  ///< keys[0, mapped_keys) are known to the validator
  std::vector<std::string> columns;  ///< table column names (the keys of "mapped" records)
};

Case MakeCase(std::vector<TableColumn> table, std::vector<SchemaField> schema,
                std::vector<std::string> extra_keys) {
  Case s;
  std::vector<std::pair<std::string, std::vector<std::string>>> tree;
  auto add = [&](const std::string& key, const std::string& sub) {
    for (auto& [k, subs] : tree) {
      if (k == key) {
        if (!sub.empty()) subs.push_back(sub);
        return;
      }
    }
    tree.push_back({key, sub.empty() ? std::vector<std::string>{} : std::vector<std::string>{sub}});
  };
  for (const TableColumn& c : table) {
    add(c.name, "");
    s.columns.push_back(c.name);
  }
  for (const SchemaField& f : schema) add(f.path[0], f.path.size() > 1 ? f.path[1] : "");
  s.mapped_keys = tree.size();
  for (const std::string& k : extra_keys) add(k, "");
  for (auto& [k, subs] : tree) {
    s.keys.push_back(k);
    s.nested.push_back(subs);
  }
  auto v = IngestValidator::Create(std::move(table), schema);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  s.validator = std::move(v.value());
  return s;
}

Case Flights() {
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0}, {"airline", ColumnType::kString, 0},
                                    {"stops", ColumnType::kString, 0}, {"price", ColumnType::kDecimal, 2},
                                    {"origin_airport", ColumnType::kString, 0},
                                    {"origin_iata", ColumnType::kString, 0},
                                    {"destination_iata", ColumnType::kString, 0}};
  std::vector<SchemaField> schema = {{"_id", {"flight_id"}},        {"airline", {"airline"}},
                                     {"stops", {"stops"}},          {"price", {"price"}},
                                     {"origin_airport", {"origin", "airport"}},
                                     {"origin_iata", {"origin", "iata"}},
                                     {"destination_iata", {"destination", "iata"}}};
  return MakeCase(std::move(table), std::move(schema), {"extra"});
}

Case AllTypes() {
  std::vector<TableColumn> table = {{"name", ColumnType::kString, 0},  {"_id", ColumnType::kId, 0},
                                    {"n", ColumnType::kInt, 0},         {"ok", ColumnType::kBool, 0},
                                    {"ids", ColumnType::kIdSet, 0},     {"at", ColumnType::kTimestamp, 0},
                                    {"d", ColumnType::kDecimal, 3},     {"tags", ColumnType::kStringSet, 0},
                                    {"copy", ColumnType::kString, 0}};
  std::vector<SchemaField> schema = {{"_id", {"meta", "id"}}, {"name", {"who", "name"}},
                                     {"copy", {"who", "name"}}, {"d", {"d"}}};
  return MakeCase(std::move(table), std::move(schema), {"x"});
}

/// Column "a" reads path ["b"], which is also column b's name: a "b" key feeds two columns.
Case Crossed() {
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0}, {"a", ColumnType::kString, 0},
                                    {"b", ColumnType::kString, 0}, {"c", ColumnType::kInt, 0}};
  return MakeCase(std::move(table), {{"a", {"b"}}}, {"zz"});
}

Case StringIds() {
  std::vector<TableColumn> table = {{"_id", ColumnType::kString, 0}, {"v", ColumnType::kInt, 0},
                                    {"caf\xc3\xa9", ColumnType::kString, 0}};
  return MakeCase(std::move(table), {}, {});
}

const char* const kStrings[] = {"\"abc\"", "\"Airline 7\"", "\"\"", "\"caf\xc3\xa9\"", "\" spaced \"",
                                "\"12\"", "\"-3\"", "\"2024-01-02T03:04:05Z\"", "\"2024-01-02\"",
                                "\"1.25\"", "\"a\\\"b\"", "\"\\u0041\"", "\"O07\"", "\"KD99\"",
                                "\"18446744073709551615\"", "\"x\xe2\x82\xac\""};
const char* const kNumbers[] = {"0",    "-0",   "5",     "-7",     "12",   "100.25", "1.5",  "1.234",
                                "1e2",  "1E-2", "2.50",  "007",    "-",    "1.",     "9223372036854775807",
                                "9223372036854775808", "18446744073709551615", "18446744073709551616",
                                "0.001", "123456789.5"};

std::string RandomScalar(std::mt19937& rng) {
  switch (rng() % 10) {
    case 0: case 1: case 2: case 3: return kStrings[rng() % std::size(kStrings)];
    case 4: case 5: case 6: return kNumbers[rng() % std::size(kNumbers)];
    case 7: return (rng() % 2) ? "true" : "false";
    case 8: return "null";
    default: return std::to_string(rng() % 1000);
  }
}

std::string RandomValue(std::mt19937& rng, const std::vector<std::string>& subs) {
  const unsigned r = rng() % 20;
  if (!subs.empty() && r < 12) {
    std::string obj = "{";
    const size_t n = rng() % (subs.size() + 2);
    for (size_t i = 0; i < n; ++i) {
      if (i) obj += ",";
      const std::string key = (rng() % 8 == 0) ? "zz" : subs[rng() % subs.size()];
      obj += "\"" + key + "\":" + RandomScalar(rng);
    }
    return obj + "}";
  }
  if (r < 15) {
    std::string arr = "[";
    const size_t n = rng() % 4;
    for (size_t i = 0; i < n; ++i) {
      if (i) arr += ",";
      arr += (rng() % 10 == 0) ? "[1]" : RandomScalar(rng);
    }
    return arr + "]";
  }
  if (r == 15) return "{}";
  return RandomScalar(rng);
}

std::string RandomBody(std::mt19937& rng, const Case& s) {
  std::string body = "{\"records\":[";
  const size_t records = rng() % 5;
  for (size_t i = 0; i < records; ++i) {
    if (i) body += ",";
    body += "{\"value\":{";
    if (rng() % 2 == 0) {
      // A "mapped" record: column names only, usually each once in table order.
      std::vector<std::string> cols = s.columns;
      if (rng() % 4 == 0) std::shuffle(cols.begin(), cols.end(), rng);
      if (rng() % 4 == 0) cols.resize(rng() % (cols.size() + 1));
      if (rng() % 8 == 0) cols.push_back(s.keys[rng() % s.keys.size()]);
      for (size_t k = 0; k < cols.size(); ++k) {
        if (k) body += ",";
        std::string value;
        if (rng() % 6 != 0) {
          value = cols[k] == "_id" ? std::to_string(rng() % 50)
                                   : ((rng() % 2) ? std::string(kStrings[rng() % 3]) : std::to_string(rng() % 300));
        } else {
          value = RandomValue(rng, {});
        }
        body += "\"" + cols[k] + "\":" + value;
      }
      body += "}}";
      continue;
    }
    // Usually every mapped key once in order (as sluice sends; now and then an unmapped one
    // too), sometimes a random selection.
    const bool ordered = rng() % 3 != 0;
    const size_t n = ordered ? (rng() % 10 == 0 ? s.keys.size() : s.mapped_keys)
                             : rng() % (s.keys.size() + 2);
    for (size_t k = 0; k < n; ++k) {
      if (k) body += ",";
      const size_t key = ordered ? k : rng() % s.keys.size();
      std::string value;
      if (ordered && s.nested[key].empty() && rng() % 4 != 0) {
        // Plausible values so many rows are valid: small ids and plain strings/numbers.
        value = (k == 0 || s.keys[key] == "_id" || s.keys[key] == "flight_id")
                    ? std::to_string(rng() % 50)
                    : ((rng() % 2) ? std::string(kStrings[rng() % 3]) : std::to_string(rng() % 300));
      } else {
        value = RandomValue(rng, s.nested[key]);
      }
      body += "\"" + s.keys[key] + "\":" + value;
    }
    body += "}}";
  }
  return body + "]}";
}

void Mutate(std::mt19937& rng, std::string* body) {
  static const char kBytes[] = {'"', ',', ':', '{', '}', '[', ']', '\\', ' ', '\n', '0', '-', 'e',
                                '.', 'a', '\x01', '\xc3', '\xff', 't', 'n'};
  const size_t count = 1 + rng() % 3;
  for (size_t m = 0; m < count && !body->empty(); ++m) {
    const size_t at = rng() % body->size();
    switch (rng() % 5) {
      case 0: body->erase(at, 1); break;
      case 1: body->insert(at, 1, kBytes[rng() % sizeof(kBytes)]); break;
      case 2: (*body)[at] = kBytes[rng() % sizeof(kBytes)]; break;
      case 3: body->insert(at, body->substr(at, rng() % 12)); break;
      default: body->resize(at); break;
    }
  }
}

struct Counts {
  size_t bodies = 0;
  size_t fast_taken = 0;
};

/// Runs one body through all three entry points and compares them.
void Check(const Case& s, const std::string& text, const std::vector<std::string>& reject, Counts* counts) {
  std::string body = text;
  body.reserve(body.size() + kBodyPadding);
  ParseScratch full_scratch, fast_scratch, both_scratch;
  IngestResult full, fast, both;
  const Status full_st = s.validator->ValidateFullWalk(full_scratch, body.data(), body.size(),
                                                       body.capacity(), reject, &full);
  const std::string want = Describe(full_st, full);
  ++counts->bodies;
  if (s.validator->TryValidateFast(fast_scratch, body.data(), body.size(), reject, &fast)) {
    ++counts->fast_taken;
    ASSERT_EQ(Describe(Status::Ok(), fast), want) << "body: " << text;
  }
  const Status both_st = s.validator->Validate(both_scratch, body.data(), body.size(), body.capacity(),
                                               reject, &both);
  ASSERT_EQ(Describe(both_st, both), want) << "body: " << text;
}

void RunDifferential(const Case& s, uint32_t seed, size_t iterations, Counts* plain, Counts* mutated) {
  std::mt19937 rng(seed);
  for (size_t i = 0; i < iterations; ++i) {
    std::string body = RandomBody(rng, s);
    std::vector<std::string> reject;
    if (rng() % 4 == 0) reject = {std::to_string(rng() % 50), "abc"};
    Check(s, body, reject, plain);
    if (::testing::Test::HasFatalFailure()) return;
    Mutate(rng, &body);
    Check(s, body, reject, mutated);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(IngestFastPath, MatchesTheFullWalkOnGeneratedAndMutatedBodies) {
  const Case cases[] = {Flights(), AllTypes(), Crossed(), StringIds()};
  uint32_t seed = 1;
  for (const Case& s : cases) {
    Counts plain, mutated;
    RunDifferential(s, seed++, 20000, &plain, &mutated);
    if (HasFatalFailure()) return;
    std::printf("seed %u: fast path took %zu of %zu bodies, %zu of %zu mutated\n", seed - 1,
                plain.fast_taken, plain.bodies, mutated.fast_taken, mutated.bodies);
    // The comparison means something only if the fast path takes many bodies.
    EXPECT_GT(plain.fast_taken, plain.bodies / 8) << "seed " << seed - 1;
    EXPECT_GT(mutated.fast_taken, size_t{50}) << "seed " << seed - 1;
  }
}

/// Mostly values the fast path takes (plain strings, numbers), now and then any scalar.
std::string PlainValue(std::mt19937& rng) {
  switch (rng() % 12) {
    case 0: return RandomScalar(rng);
    case 1: case 2: case 3: return std::to_string(rng() % 300);
    case 4: return "null";
    default: return kStrings[rng() % 3];
  }
}

/// A body whose records mostly share one key layout (as a feed sends them), so the fast path
/// replays a recorded record shape: the values vary (scalars, now and then arrays, objects,
/// nulls), and some records change a key, drop one or nest differently, which must send the
/// fast path back to its key-by-key walk with the same answer.
std::string ShapedBody(std::mt19937& rng, const Case& s) {
  std::vector<size_t> keys;
  for (size_t k = 0; k < s.keys.size(); ++k) {
    if (k < s.mapped_keys ? rng() % 6 != 0 : rng() % 4 == 0) keys.push_back(k);
  }
  std::vector<std::vector<std::string>> subs(s.keys.size());
  for (size_t k : keys) {
    for (const std::string& sub : s.nested[k]) {
      if (rng() % 5 != 0) subs[k].push_back(sub);
    }
  }
  std::string body = "{\"records\":[";
  const size_t records = 1 + rng() % 12;
  for (size_t i = 0; i < records; ++i) {
    if (i) body += ",";
    body += "{\"value\":{";
    const bool odd = rng() % 8 == 0;  // this record leaves the shape
    for (size_t j = 0; j < keys.size(); ++j) {
      const size_t k = keys[j];
      if (odd && rng() % 3 == 0) continue;
      if (j) body += ",";
      const std::string& name = (odd && rng() % 4 == 0) ? s.keys[rng() % s.keys.size()] : s.keys[k];
      body += "\"" + name + "\":";
      if (rng() % 30 == 0) {
        body += RandomValue(rng, s.nested[k]);
      } else if (!subs[k].empty() || !s.nested[k].empty()) {
        body += "{";
        for (size_t m = 0; m < subs[k].size(); ++m) {
          if (m) body += ",";
          body += "\"" + subs[k][m] + "\":" + PlainValue(rng);
        }
        body += "}";
      } else if (name == "_id" || name == "flight_id" || rng() % 3 == 0) {
        body += std::to_string(rng() % 60);
      } else {
        body += PlainValue(rng);
      }
    }
    body += "}}";
  }
  return body + "]}";
}

TEST(IngestFastPath, ReplayedRecordShapesMatchTheFullWalk) {
  const Case cases[] = {Flights(), AllTypes(), Crossed(), StringIds()};
  uint32_t seed = 100;
  for (const Case& s : cases) {
    std::mt19937 rng(seed++);
    Counts plain, mutated;
    ParseScratch reused;  // one scratch across bodies, as a server thread keeps it
    IngestResult reused_result;
    for (int i = 0; i < 6000; ++i) {
      std::string body = ShapedBody(rng, s);
      std::vector<std::string> reject;
      if (rng() % 4 == 0) reject = {std::to_string(rng() % 60)};
      for (int round = 0; round < 2; ++round) {
        Check(s, body, reject, round == 0 ? &plain : &mutated);
        if (HasFatalFailure()) return;
        std::string padded = body;
        padded.reserve(padded.size() + kBodyPadding);
        ParseScratch fresh;
        IngestResult want;
        const Status want_st = s.validator->Validate(fresh, padded.data(), padded.size(),
                                                     padded.capacity(), reject, &want);
        const Status got_st = s.validator->Validate(reused, padded.data(), padded.size(),
                                                    padded.capacity(), reject, &reused_result);
        ASSERT_EQ(Describe(got_st, reused_result), Describe(want_st, want)) << "body: " << body;
        Mutate(rng, &body);
      }
    }
    std::printf("shapes seed %u: fast path took %zu of %zu bodies, %zu of %zu mutated\n", seed - 1,
                plain.fast_taken, plain.bodies, mutated.fast_taken, mutated.bodies);
    EXPECT_GT(plain.fast_taken, plain.bodies / 4) << "seed " << seed - 1;
  }
}

TEST(IngestFastPath, TakesTheBodiesSluiceSends) {
  const Case s = Flights();
  const std::string mapped =
      R"({"records":[{"value":{"_id":1,"airline":"Airline 3","stops":"1","price":101.05,)"
      R"("origin_airport":"Origin Airport 4","origin_iata":"O04","destination_iata":"D09"}},)"
      R"({"value":{"_id":2,"airline":"Airline 4","stops":"0","price":99,"origin_airport":"X",)"
      R"("origin_iata":"O05","destination_iata":"D10"}}]})";
  const std::string nested =
      R"({"records":[{"value":{"flight_id":7,"airline":"A","stops":"2","price":5.5,)"
      R"("origin":{"airport":"P","iata":"O01"},"destination":{"iata":"D02"}}}]})";
  for (const std::string& text : {mapped, nested}) {
    std::string body = text;
    body.reserve(body.size() + kBodyPadding);
    ParseScratch scratch;
    IngestResult r;
    ASSERT_TRUE(s.validator->TryValidateFast(scratch, body.data(), body.size(), {}, &r)) << text;
    Counts counts;
    Check(s, text, {}, &counts);
  }
}

TEST(IngestFastPath, GivesUpOnWhitespaceEscapesAndUnknownKeys) {
  const Case s = Flights();
  for (const char* text : {R"({"records":[ {"value":{"_id":1}}]})",
                           R"({"records":[{"value":{"_id":1,"airline":"a\"b"}}]})",
                           R"({"records":[{"value":{"_id":1,"unmapped":2}}]})",
                           R"({"records":[{"value":{"_id":1}}]} )",
                           R"({"records":[{"value":{"_id":1,"airline":{}}}]})",
                           R"({"records":[{"value":{"_id":01}}]})"}) {
    std::string body = text;
    body.reserve(body.size() + kBodyPadding);
    ParseScratch scratch;
    IngestResult r;
    EXPECT_FALSE(s.validator->TryValidateFast(scratch, body.data(), body.size(), {}, &r)) << text;
    Counts counts;
    Check(s, text, {}, &counts);
  }
}

}  // namespace
}  // namespace sluice::emulator
