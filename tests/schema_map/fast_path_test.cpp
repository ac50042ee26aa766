// Tests for the fast path of stages/schema_map/field_mapper.h: MapRecordFast must accept only
// records that the simdjson On-Demand walk (MapRecordFullWalk) accepts, with the same output,
// and MapRecord (fast path, then the full walk) must give exactly the full walk's verdict,
// output and reason. Checked on hand-written edge cases (duplicate and escaped keys, key
// order, nesting depth, numbers at their limits, UTF-8, whitespace, padding) and on a few
// thousand generated and mutated records, in both payload modes.
#include "stages/schema_map/field_mapper.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "engine/record_chunk.h"

namespace sluice::stages {
namespace {

constexpr const char* kSchema = R"([
  {"name":"_id","path":["id"],"type":"id"},
  {"name":"s","path":["s"],"type":"string"},
  {"name":"i","path":["i"],"type":"int"},
  {"name":"d","path":["d"],"type":"decimal","scale":2},
  {"name":"b","path":["b"],"type":"bool"},
  {"name":"t","path":["t"],"type":"timestamp"},
  {"name":"ss","path":["ss"],"type":"stringset"},
  {"name":"is","path":["is"],"type":"idset"},
  {"name":"city","path":["origin","loc","city"]},
  {"name":"iata","path":["origin","iata"]},
  {"name":"long","path":["a_key_longer_than_sixteen_bytes"]},
  {"name":"long2","path":["a_key_longer_than_sixteen_bytez"],"type":"int"},
  {"name":"clé","path":["clé"]},
  {"name":"quoted","path":["q\"k"]}
])";

struct Outcome {
  bool accepted = false;
  std::string text;  // output when accepted, reason when rejected
  bool operator==(const Outcome& o) const { return accepted == o.accepted && text == o.text; }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << (o.accepted ? "accepted: " : "rejected: ") << o.text;
}

class Harness {
 public:
  Harness() : mapper_(Load()), scratch_(mapper_.MakeScratch()) {}

  // Runs the record through the three entry points in `mode`; returns true when the fast path
  // accepted it. Every expectation is checked here.
  // `pad` fills the padding (what follows a record in a chunk may be the next record's bytes).
  bool Check(const std::string& record, PayloadMode mode, size_t padding = kInputPaddingBytes,
             char pad = ' ') {
    std::string input = record;
    input.append(padding, pad);
    const char* data = input.data();
    const size_t capacity = input.size();

    Outcome full;
    std::string reason;
    full.accepted = mapper_.MapRecordFullWalk(reader_, scratch_, data, record.size(), capacity,
                                              mode, &full.text, &reason);
    if (!full.accepted) full.text = reason;

    std::string fast_out = "prefix";  // appended to, never replaced
    const bool fast =
        mapper_.MapRecordFast(scratch_, data, record.size(), capacity, mode, &fast_out);
    if (fast) {
      EXPECT_TRUE(full.accepted) << "fast path accepted what the full walk rejects: " << record
                                 << "\n  full walk: " << full;
      EXPECT_EQ("prefix" + full.text, fast_out) << record;
    } else {
      EXPECT_EQ("prefix", fast_out) << "gave up but wrote output: " << record;
    }

    Outcome both;
    reason.clear();
    both.accepted = mapper_.MapRecord(reader_, scratch_, data, record.size(), capacity, mode,
                                      &both.text, &reason);
    if (!both.accepted) both.text = reason;
    EXPECT_EQ(full, both) << record;
    return fast;
  }

  // Both modes; returns whether the fast path accepted in mapped mode.
  bool CheckBoth(const std::string& record, char pad = ' ') {
    const bool mapped = Check(record, PayloadMode::kMapped, kInputPaddingBytes, pad);
    const bool raw = Check(record, PayloadMode::kRaw, kInputPaddingBytes, pad);
    EXPECT_EQ(mapped, raw) << record;
    return mapped;
  }

 private:
  static IngestSchema Load() {
    auto schema = IngestSchema::FromJson(kSchema, "", "schema.json");
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    return std::move(schema).value();
  }

  FieldMapper mapper_;
  FieldMapper::Scratch scratch_;
  JsonReader reader_;
};

TEST(FieldMapperFastPath, TakesCompactRecords) {
  Harness h;
  EXPECT_TRUE(h.CheckBoth(R"({"id":1,"s":"x"})"));
  EXPECT_TRUE(h.CheckBoth(
      R"({"s":"Maya Island Air","origin":{"iata":"HAN","loc":{"city":"Hanoi"},"x":[1,{"y":null}]},)"
      R"("i":-12,"d":641.5,"b":true,"t":"2024-02-29T12:00:00.5+05:30","id":18446744073709551615})"));
  EXPECT_TRUE(h.CheckBoth(R"({"id":"7","s":12.5e3,"i":"-9","d":"1.5e2","b":"false","clé":"é"})"));
  EXPECT_TRUE(h.CheckBoth(R"({"id":1,"s":true,"b":0,"i":-0,"d":-0.00,"origin":null})"));
  EXPECT_TRUE(h.CheckBoth(R"({"id":1,"a_key_longer_than_sixteen_bytes":"l",)"
                          R"("a_key_longer_than_sixteen_bytez":3})"));
  EXPECT_FALSE(h.CheckBoth(R"({"id":1,"s":null,"unmapped":{},"u2":[],"u3":"\u0007"})"));
}

TEST(FieldMapperFastPath, GivesUpOnWhatItDoesNotDecide) {
  Harness h;
  // Each of these goes to the full walk (some are valid, some not); verdicts must match.
  const std::vector<std::string> records = {
      R"({"id":1, "s":"x"})",                 // whitespace
      R"( {"id":1})",                         // leading whitespace
      R"({"id":1} )",                         // trailing whitespace
      R"({"id":1}x)",                         // trailing content
      R"({"id":1}{"id":2})",                  // two documents
      R"({"id":1,"s":"a\"b"})",               // escape in a value
      R"({"id":1,"cl\u00e9":"e"})",           // escaped key matching a column
      R"({"id":1,"s":"x","s":"y"})",          // duplicate column
      R"({"id":1,"s":null,"s":"y"})",         // duplicate after null
      R"({"id":1,"u":1,"u":2})",              // duplicate unmapped key: accepted
      R"({"id":1,"origin":{"iata":"A"},"origin":{"iata":"B"}})",
      R"({"id":1,"origin":{"iata":"A"},"origin":{"loc":{"city":"C"}}})",
      R"({"id":1,"origin":"HAN"})",           // object expected
      R"({"id":1,"origin":[]})",
      R"({"id":1,"ss":["a","b"]})",           // sets always go the full way
      R"({"id":1,"is":7})",
      R"({"s":"x"})",                         // missing _id
      R"({"id":null})",
      R"({})",
      R"([])",
      R"("x")",
      R"()",
      R"({)",
      R"({"id":1,})",
      R"({"id":1,"x":[1,]})",
      R"({"id":1,"x":[,1]})",
      R"({"id":1 "s":"x"})",
      R"({"id":1,"s":"x"}})",
      R"({"id":1,"x":tru})",
      R"({"id":1,"x":truex})",
      R"({"id":1,"x":nul})",
      R"({"id":1,"x":falsy})",
      R"({"id":1,"b":2})",
      R"({"id":1,"b":"TRUE"})",
      R"({"id":1,"b":1.0})",
      R"({"id":1,"t":"2024-02-30T00:00:00Z"})",
      R"({"id":1,"t":"2024-01-01T00:00:60Z"})",
      R"({"id":1,"t":1700000000})",
      R"({"id":1,"x":01})",
      R"({"id":1,"x":1.})",
      R"({"id":1,"x":.5})",
      R"({"id":1,"x":+1})",
      R"({"id":1,"x":1e})",
      R"({"id":1,"x":-})",
      R"({"id":1,"x":1x})",
      R"({"id":1,"x":0x10})",
      R"({"id":1,"i":9223372036854775807})",
      R"({"id":1,"i":9223372036854775808})",
      R"({"id":1,"i":-9223372036854775808})",
      R"({"id":1,"i":-9223372036854775809})",
      R"({"id":1,"i":123456789012345678})",
      R"({"id":1,"i":1234567890123456789})",
      R"({"id":1,"i":1e3})",
      R"({"id":1,"i":42.0})",
      R"({"id":1,"i":"42.0"})",
      R"({"id":1,"i":" 42"})",
      R"({"id":18446744073709551616})",
      R"({"id":-1})",
      R"({"id":-0})",
      R"({"id":"18446744073709551615"})",
      R"({"id":1,"d":641.005})",
      R"({"id":1,"d":641.000})",
      R"({"id":1,"d":1e17})",
      R"({"id":1,"d":1e15})",
      R"({"id":1,"d":99999999999999999.99})",
      R"({"id":1,"d":"1,5"})",
      R"({"id":1,"d":1e-999999999999})",
      R"({"id":1,"s":123456789012345678901234567890})",
      R"({"id":1,"s":"tab	inside"})",          // raw control character
      "{\"id\":1,\"s\":\"nul\0inside\"}",
      "{\"id\":1,\"s\":\"\xc3\"}",             // truncated UTF-8
      "{\"id\":1,\"s\":\"\xc0\xaf\"}",         // overlong
      "{\"id\":1,\"s\":\"\xed\xa0\x80\"}",     // UTF-16 surrogate encoded
      "{\"id\":1,\"s\":\"\xf4\x90\x80\x80\"}", // beyond U+10FFFF
      "{\"id\":1,\"s\":\"\xf0\x9f\x98\x80\"}", // valid 4-byte sequence
      "{\"id\":1,\"\xc3\xa9\":\"\xe2\x82\xac\"}",
      "{\"id\":1,\"s\":\"x\"}\xc3\xa9",
      "{\"id\":1,\xc3\xa9:1}",
  };
  for (const std::string& r : records) h.CheckBoth(r);
  // Records cut at every length, and (keys in any order) a permutation of columns.
  const std::string whole =
      R"({"b":false,"origin":{"loc":{"city":"Lima"},"iata":"LIM"},"d":"3","id":"12","s":"x"})";
  for (size_t n = 0; n <= whole.size(); ++n) h.CheckBoth(whole.substr(0, n));
  EXPECT_TRUE(h.CheckBoth(whole));
}

TEST(FieldMapperFastPath, DeepNestingGoesToTheFullWalk) {
  Harness h;
  for (int depth : {1, 30, 31, 32, 33, 64, 254, 255, 256, 300}) {
    std::string r = R"({"id":1,"x":)";
    for (int i = 0; i < depth; ++i) r += (i % 2 == 0) ? "[" : R"({"k":)";
    r += "0";
    for (int i = depth - 1; i >= 0; --i) r += (i % 2 == 0) ? "]" : "}";
    r += "}";
    const bool fast = h.CheckBoth(r);
    EXPECT_EQ(fast, depth <= 31) << depth;  // root is depth 1, x's value 2; limit 32
  }
}

TEST(FieldMapperFastPath, NeedsTheSimdjsonPadding) {
  Harness h;
  const std::string r = R"({"id":1,"s":"x"})";
  // Without the padding the full walk rejects (INSUFFICIENT_PADDING); so must MapRecord.
  EXPECT_FALSE(h.Check(r, PayloadMode::kMapped, 8));
  EXPECT_FALSE(h.Check(r, PayloadMode::kRaw, 0));
  EXPECT_TRUE(h.Check(r, PayloadMode::kRaw, kInputPaddingBytes));
}

TEST(FieldMapperFastPath, StreamsThatAreNotCompactStillMapCorrectly) {
  // After many records that need the full walk, MapRecord skips fast path attempts for a while
  // (speed only): compact, spaced and bad records interleaved must still match the full walk.
  Harness h;
  for (int i = 0; i < 100; ++i) {
    const std::string id = std::to_string(i + 1);
    h.CheckBoth(R"({"id": )" + id + R"(, "s": "spaced"})");
    if (i % 7 == 0) h.CheckBoth(R"({"id":)" + id + R"(,"s":"compact"})");
    if (i % 11 == 0) h.CheckBoth(R"({"id":)" + id + R"(,"s":"bad)");
  }
  for (int i = 0; i < 40; ++i) h.CheckBoth(R"({"id":)" + std::to_string(i) + R"(,"i":"7"})");
}

TEST(FieldMapperFastPath, KeyOrderPredictionNeverChangesResults) {
  // The fast path first compares the k-th key of a record with the k-th key of the previous
  // one (Scratch::key_sequence). Train it on one order, then feed records where the guess is
  // wrong, nearly right (a key that extends or shortens the guess), in another object,
  // repeated, or cut short.
  Harness h;
  const std::string trained =
      R"({"id":1,"s":"x","origin":{"iata":"HAN","loc":{"city":"Hanoi"}},"i":5,"d":1.5,"b":true})";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h.CheckBoth(trained));
  const std::vector<std::string> records = {
      R"({"s":"x","id":1,"origin":{"loc":{"city":"Hanoi"},"iata":"HAN"},"b":true,"d":1.5,"i":5})",
      R"({"id":1,"s":"x","s":"y"})",                       // repeated key (guess: origin)
      R"({"id":1,"s":"x","origin":{"iata":"A","iata":"B"}})",
      R"({"id":1,"s":"x","origin":{"iata":"A"},"origin":{"iata":"B"}})",
      R"({"id":1,"s":"x","origin":null,"i":5})",
      R"({"id":1,"s":"x","origin":"HAN"})",
      R"({"id":1,"s":"x","origi":{},"i":5})",              // shorter than the guess
      R"({"id":1,"s":"x","originx":{},"i":5})",            // longer than the guess
      R"({"id":1,"s":"x","origin" :{}})",
      R"({"id":1,"s":"x","origin"})",
      R"({"id":1,"s":"x","origin":)",
      R"({"id":1,"s":"x","origin":{"iata")",
      R"({"id":1,"s":"x","origin":{"iata":)",
      R"({"id":1,"s":"x","origin":{"iata":"HAN","loc":{"city":"Hanoi"}},"i":5,"d":1.5,"b")",
      R"({"id":1,"s":"x","u":0,"origin":{"u":[],"iata":"HAN","loc":{"city":"Hanoi"}},"i":5})",
      R"({"id":1,"q"k":"x"})",                             // a schema key holding a quote
      R"({"id":1,"q\"k":"x"})",
      R"({"idx":1,"s":"x"})",
      R"({"id":1,"s":"x","iata":"HAN","loc":{"city":"Hanoi"},"i":5})",  // same keys, other objects
      R"({"id":1,"s":"x","origin":{"loc":{"iata":"HAN","city":"Hanoi"}},"i":5})",
      R"({"id":1,"s":"x","origin":{"iata":"HAN","loc":{"city":"Hanoi","x":{"city":1}}},"i":5})",
      R"({"i":1,"s":"x"})",
      R"({"id":1,"a_key_longer_than_sixteen_bytes":"l","a_key_longer_than_sixteen_bytez":3})",
      R"({"id":1,"a_key_longer_than_sixteen_bytez":3,"a_key_longer_than_sixteen_bytes":"l"})",
      R"({"id":1,"a_key_longer_than_sixteen_bytes":"l","a_key_longer_than_sixteen_bytes":"m"})",
      R"({"id":1,"a_key_longer_than_sixteen_bytes_":"l","a_key_longer_than_sixteen_bytez":3})",
      R"({"id":1,"a_key_longer_than_sixteen_bytes")",
  };
  // Each record after the trained one (guess right up to where it differs), after itself
  // (guess right everywhere), and in a cycle (every guess from the previous record).
  for (const std::string& r : records) {
    h.CheckBoth(trained);
    h.CheckBoth(r);
    h.CheckBoth(r);
    for (size_t n = 0; n <= r.size(); ++n) h.CheckBoth(r.substr(0, n));
  }
  for (int round = 0; round < 3; ++round) {
    for (const std::string& r : records) h.CheckBoth(r);
  }
  EXPECT_TRUE(h.CheckBoth(trained));
}

TEST(FieldMapperFastPath, NumbersOfEveryLengthInEveryColumnType) {
  // The fast path splits plain numbers itself (eight digits at a time) before ParseJsonNumber;
  // digits on both sides of every 8-byte boundary, in every position of the record, followed
  // by the record's end and by padding that looks like more digits.
  Harness h;
  for (const char* key : {"i", "d", "id", "s", "x"}) {
    for (size_t digits = 1; digits <= 24; ++digits) {
      for (const char* sign : {"", "-"}) {
        for (const char* frac : {"", ".5", ".25", ".123456789", ".", ".x", "e2", "E-1", "+"}) {
          for (const char* first : {"1", "0", "9"}) {
            std::string number = std::string(sign) + first + std::string(digits - 1, '7') + frac;
            const std::string value = std::string("\"") + key + "\":" + number;
            const std::string id = std::string(key) == "id" ? "" : R"("id":3,)";
            h.CheckBoth("{" + id + value + "}");
            h.CheckBoth("{" + id + value + R"(,"s2":1})");
            const std::string cut = "{" + id + value;  // the record ends inside the number
            h.CheckBoth(cut, '7');
            h.CheckBoth(cut + "}", '7');
          }
        }
      }
    }
  }
}

TEST(FieldMapperFastPath, StringsAcrossQuoteWords) {
  // Strings are closed from ScanRecord's quote bits, 64 bytes to a word: keys and values that
  // start anywhere in a word and end in the same one, the next, or several words later.
  Harness h;
  for (size_t shift = 0; shift < 64; shift += 7) {
    for (size_t length : {0, 1, 55, 63, 64, 65, 127, 128, 129, 200}) {
      const std::string pad(shift, 'p');
      const std::string text(length, 'v');
      EXPECT_TRUE(h.CheckBoth(R"({"id":1,"u":")" + pad + R"(","s":")" + text + R"("})"));
      EXPECT_TRUE(h.CheckBoth(R"({"id":1,"u":")" + pad + R"(",")" + text + R"(":"s"})"));
      h.CheckBoth(R"({"id":1,"u":")" + pad + R"(","s":")" + text);  // never closed
    }
  }
}

// Deterministic generator of records around the schema's keys, then byte mutations.
class Generator {
 public:
  explicit Generator(uint64_t seed) : x_(seed | 1) {}

  uint64_t Next() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

  std::string Scalar() {
    static const char* const kScalars[] = {
        "0", "-0", "1", "-1", "2", "42", "42.0", "1.5", "641.005", "1e3", "1.5e2", "-2.50e3",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
        "1E+2", "0.000001", "true", "false", "null", "\"\"", "\"x\"", "\"42\"", "\"-7\"",
        "\"1.5e2\"", "\"true\"", "\"false\"", "\"2024-01-01T00:00:00Z\"",
        "\"2024-02-29T23:59:59.123456789-08:00\"", "\"2023-02-29T00:00:00Z\"",
        "\"S\xc3\xa3o Paulo\xe2\x80\x93Guarulhos\"", "\"M\xc3\xbcnchen\"", "\"\\u00e9\"",
        "\"a\\\"b\"", "\"1,5\""};
    return Pick(kScalars);
  }

  std::string Value(int depth) {
    const size_t kind = depth > 3 ? 0 : Below(8);
    if (kind <= 4) return Scalar();
    if (kind == 5) {
      std::string a = "[";
      const size_t n = Below(4);
      for (size_t i = 0; i < n; ++i) a += (i ? "," : "") + Value(depth + 1);
      return a + "]";
    }
    return Object(depth + 1);
  }

  // A value the column at `key` (quoted) usually accepts, so that records get through.
  std::string Plausible(const std::string& key) {
    static const char* const kIds[] = {"1", "\"7\"", "18446744073709551615", "0"};
    static const char* const kStrings[] = {"\"x\"", "12", "-2.50e3", "true", "\"M\xc3\xbcnchen\""};
    static const char* const kInts[] = {"-12", "\"9\"", "123456789012345678", "-0", "1e2"};
    static const char* const kDecimals[] = {"641.5", "\"1.5e2\"", "-0.00", "641.000", "1e-2"};
    static const char* const kBools[] = {"true", "false", "0", "1", "\"false\""};
    static const char* const kTimes[] = {"\"2024-02-29T12:00:00.5+05:30\"", "\"2024-01-01t00:00:00z\""};
    if (key == "\"id\"") return Pick(kIds);
    if (key == "\"i\"" || key == "\"a_key_longer_than_sixteen_bytez\"") return Pick(kInts);
    if (key == "\"d\"") return Pick(kDecimals);
    if (key == "\"b\"") return Pick(kBools);
    if (key == "\"t\"") return Pick(kTimes);
    return Pick(kStrings);
  }

  std::string Key() {
    static const char* const kKeys[] = {
        "id", "s", "i", "d", "b", "t", "ss", "is", "origin", "loc", "city", "iata", "x", "",
        "a_key_longer_than_sixteen_bytes", "a_key_longer_than_sixteen_bytez",
        "a_key_longer_than_sixteen_bytes_", "cl\xc3\xa9", "cl\\u00e9", "idx", "I"};
    return std::string("\"") + Pick(kKeys) + "\"";
  }

  std::string Object(int depth) {
    std::string o = "{";
    const size_t n = depth == 0 ? 3 + Below(8) : Below(4);
    std::vector<std::string> used;  // mostly distinct keys, so that duplicates stay a minority
    for (size_t i = 0; i < n; ++i) {
      if (i) o += ",";
      std::string key = Key();
      for (int retry = 0; retry < 3 && std::find(used.begin(), used.end(), key) != used.end();
           ++retry) {
        key = Key();
      }
      used.push_back(key);
      o += key + ":";
      if (key == "\"origin\"" || key == "\"loc\"") {
        o += Below(4) == 0 ? Value(depth) : Object(depth + 1);
      } else {
        o += Below(8) != 0 ? Plausible(key) : Value(depth);
      }
    }
    const bool has_id = std::find(used.begin(), used.end(), "\"id\"") != used.end();
    if (depth == 0 && (has_id ? Below(16) == 0 : Below(8) != 0)) {
      o += std::string(n ? "," : "") + "\"id\":" + Plausible("\"id\"");
    }
    return o + "}";
  }

  void Mutate(std::string* r) {
    static const char kBytes[] = {'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '0', '-',
                                  'e', '.', '+', 't', 'n', 'x', '\x01', '\x7f', '\xc3', '\xa9',
                                  '\xff', '\xed', '\0'};
    if (r->empty()) return;
    const size_t at = Below(r->size());
    switch (Below(4)) {
      case 0: (*r)[at] = Pick(kBytes); break;
      case 1: r->insert(r->begin() + static_cast<long>(at), Pick(kBytes)); break;
      case 2: r->erase(at, 1); break;
      default: r->resize(at); break;
    }
  }

 private:
  uint64_t x_;
};

TEST(FieldMapperFastPath, AgreesWithTheFullWalkOnGeneratedRecords) {
  Harness h;
  Generator g(0x5EED);
  int fast = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string r = g.Object(0);
    const size_t mutations = g.Below(4) == 0 ? 1 + g.Below(3) : 0;
    for (size_t m = 0; m < mutations; ++m) g.Mutate(&r);
    if (h.CheckBoth(r)) ++fast;
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "first failing record #" << i << ": " << r;
      return;
    }
  }
  // The generator must exercise both paths.
  std::printf("fast path accepted %d of 40000 records\n", fast);
  EXPECT_GT(fast, 4000);
  EXPECT_LT(fast, 36000);
}

}  // namespace
}  // namespace sluice::stages
