// Unit tests for IngestValidator (value normalization and per-record validation), in-process.
#include "devtools/sink_emulator/ingest_validator.h"
#include "devtools/sink_emulator/row_store.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::emulator {
namespace {

std::string Dec(std::string_view text, uint32_t scale) {
  std::string err;
  std::string out = IngestValidator::NormalizeDecimal(text, scale, &err);
  return err.empty() ? out : "error";
}

TEST(IngestValidator, NormalizesDecimalsToExactScale) {
  EXPECT_EQ(Dec("641", 2), "641.00");
  EXPECT_EQ(Dec("641.5", 2), "641.50");
  EXPECT_EQ(Dec("-0.10", 2), "-0.10");
  EXPECT_EQ(Dec("-0.00", 2), "0.00");
  EXPECT_EQ(Dec("1.2300", 2), "1.23");
  EXPECT_EQ(Dec("1e2", 2), "100.00");
  EXPECT_EQ(Dec("12345e-4", 4), "1.2345");
  EXPECT_EQ(Dec("7", 0), "7");
  EXPECT_EQ(Dec("007", 0), "error");  // not a JSON number
  EXPECT_EQ(Dec("1.234", 2), "error");
  EXPECT_EQ(Dec("1e-3", 2), "error");
  EXPECT_EQ(Dec("abc", 2), "error");
  EXPECT_EQ(Dec("99999999999999999999", 2), "error");
}

class ValidatorFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<TableColumn> table = {{"name", ColumnType::kString, 0},
                                      {"_id", ColumnType::kId, 0},
                                      {"n", ColumnType::kInt, 0},
                                      {"ok", ColumnType::kBool, 0},
                                      {"ids", ColumnType::kIdSet, 0},
                                      {"at", ColumnType::kTimestamp, 0}};
    std::vector<SchemaField> schema = {{"_id", {"meta", "id"}}, {"name", {"who", "name"}}};
    auto v = IngestValidator::Create(std::move(table), schema);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    validator_ = std::move(v.value());
  }

  Status Run(std::string body, IngestResult* out, std::vector<std::string> reject = {}) {
    body.reserve(body.size() + kBodyPadding);
    return validator_->Validate(scratch_, body.data(), body.size(), body.capacity(), reject, out);
  }

  std::unique_ptr<IngestValidator> validator_;
  ParseScratch scratch_;
};

TEST_F(ValidatorFixture, PutsIdFirstAndFollowsPaths) {
  IngestResult r;
  ASSERT_TRUE(Run(R"({"records":[{"value":{"meta":{"id":5},"who":{"name":"x"},"n":-3,"ok":true,
                     "ids":[3,1,3],"at":"2024-01-02T03:04:05Z","extra":{"deep":[1,2]}}}]})", &r).ok());
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.Key(0), "5");
  EXPECT_EQ(r.Line(0),
            R"({"_id":5,"name":"x","n":-3,"ok":true,"ids":[1,3],"at":"2024-01-02T03:04:05Z"})");
}

TEST_F(ValidatorFixture, RowsKeepValuesOfAnyLengthAndNullsInTheCompactForm) {
  // Rows are written as length-prefixed values (RowLayout): lengths of 1, 2 and 3 bytes, null
  // and missing columns, on both the fast path (compact body) and the full walk (spaces).
  for (size_t len : {size_t{0}, size_t{125}, size_t{126}, size_t{127}, size_t{128}, size_t{300},
                     size_t{16381}, size_t{16382}, size_t{20000}}) {
    const std::string name(len, 'a' + static_cast<char>(len % 26));
    for (const char* sep : {"", " "}) {
      IngestResult r;
      ASSERT_TRUE(Run(std::string(R"({"records":[{"value":{"_id":7,)") + sep + R"("name":")" + name +
                          R"(","n":null}},{"value":{"_id":8,"ok":false}}]})",
                      &r)
                      .ok());
      ASSERT_EQ(r.rows.size(), 2u) << len;
      EXPECT_EQ(r.Key(0), "7");
      EXPECT_EQ(r.Line(0), R"({"_id":7,"name":")" + name +
                               R"(","n":null,"ok":null,"ids":null,"at":null})")
          << len;
      EXPECT_EQ(r.Key(1), "8");
      EXPECT_EQ(r.Line(1), R"({"_id":8,"name":null,"n":null,"ok":false,"ids":null,"at":null})");
      ASSERT_NE(r.layout, nullptr);
      EXPECT_EQ(r.layout, validator_->layout().get());
      // Values only: the row is shorter than its line by at least the column names.
      EXPECT_LT(r.Row(0).size() + 20, r.Line(0).size());
    }
  }
}

TEST_F(ValidatorFixture, IdsAndStringsAreNormalizedTheSameOnTheirShortcuts) {
  // BuildRow copies canonical digit ids and plain strings as they stand; everything else
  // goes through the general normalization. Both must give the same texts.
  struct Case {
    const char* id;    // JSON text of the _id value
    const char* want;  // normalized _id, or "" when the record is rejected
  };
  for (const Case& c : {Case{"0", "0"}, Case{"7", "7"}, Case{"\"7\"", "7"}, Case{"\"007\"", "7"},
                        Case{"1234567890123456789", "1234567890123456789"},
                        Case{"\"9999999999999999999\"", "9999999999999999999"},
                        Case{"18446744073709551615", "18446744073709551615"},
                        Case{"18446744073709551616", ""}, Case{"\"\"", ""}, Case{"-1", ""},
                        Case{"1.0", ""}, Case{"\"1a\"", ""}, Case{"true", ""}}) {
    for (const char* sep : {"", " "}) {  // fast path and full walk
      IngestResult r;
      ASSERT_TRUE(Run(std::string(R"({"records":[{"value":{"_id":)") + c.id + "," + sep +
                          R"("name":12.50}}]})",
                      &r)
                      .ok())
          << c.id;
      if (*c.want == '\0') {
        EXPECT_EQ(r.rows.size(), 0u) << c.id;
        EXPECT_EQ(r.errors.size(), 1u) << c.id;
        continue;
      }
      ASSERT_EQ(r.rows.size(), 1u) << c.id;
      EXPECT_EQ(r.Key(0), c.want);
      EXPECT_EQ(r.Line(0), std::string(R"({"_id":)") + c.want +
                               R"(,"name":"12.50","n":null,"ok":null,"ids":null,"at":null})");
    }
  }
}

TEST_F(ValidatorFixture, StoreKeepsCompactRowsAndDumpsTheirLines) {
  SinkStore store(validator_->numeric_id(), validator_->layout());
  IngestResult r;
  const std::string long_name(200, 'z');
  ASSERT_TRUE(Run(R"({"records":[{"value":{"_id":10,"name":"a"}},{"value":{"_id":9,"n":5}}]})", &r).ok());
  store.Apply(r, 1);
  // Same _id again, once with a longer row (moves) and once shorter (in place).
  ASSERT_TRUE(Run(R"({"records":[{"value":{"_id":10,"name":")" + long_name +
                      R"("}},{"value":{"_id":9,"ok":true}},{"value":{"_id":11}}]})",
                  &r)
                  .ok());
  store.Apply(r, 1);
  EXPECT_EQ(store.Stats().distinct_ids, 3u);
  EXPECT_EQ(store.Stats().duplicates, 2u);
  EXPECT_EQ(store.RowsNdjson(),
            R"({"_id":9,"name":null,"n":null,"ok":true,"ids":null,"at":null})"
            "\n"
            R"({"_id":10,"name":")" +
                long_name + R"(","n":null,"ok":null,"ids":null,"at":null})"
                            "\n"
                            R"({"_id":11,"name":null,"n":null,"ok":null,"ids":null,"at":null})"
                            "\n");
}

TEST_F(ValidatorFixture, RejectsWrongTypesPerRecord) {
  IngestResult r;
  ASSERT_TRUE(Run(R"({"records":[{"value":{"_id":1,"n":1.5}},{"value":{"_id":2,"ok":"yes"}},
                     {"value":{"_id":3,"at":"yesterday"}},{"value":{"_id":4.5}},{"value":{"_id":6}}]})", &r)
                  .ok());
  ASSERT_EQ(r.errors.size(), 4u);
  EXPECT_EQ(r.errors[0].index, 0u);
  EXPECT_EQ(r.errors[0].id_json, "1");
  EXPECT_EQ(r.errors[3].id_json, "null");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(r.Key(0), "6");
}

TEST_F(ValidatorFixture, RejectIdsComeFromFaultInjection) {
  IngestResult r;
  ASSERT_TRUE(Run(R"({"records":[{"value":{"_id":"7"}},{"value":{"_id":8}}]})", &r, {"7"}).ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message, "rejected by fault injection");
}

TEST_F(ValidatorFixture, MalformedBodyIsInvalidArgument) {
  IngestResult r;
  EXPECT_EQ(Run(R"({"records":[{"value":{"_id":1}})", &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Run(R"({"records":{}})", &r).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Run(R"({"records":[{"value":{"_id":01}}]})", &r).code(), StatusCode::kInvalidArgument);
}

/// Validates `body` against `table` (no schema) and returns the lines and error messages.
std::string RunOnce(std::vector<TableColumn> table, std::vector<SchemaField> schema, std::string body) {
  auto v = IngestValidator::Create(std::move(table), schema);
  if (!v.ok()) return "create: " + v.status().ToString();
  ParseScratch scratch;
  IngestResult r;
  body.reserve(body.size() + kBodyPadding);
  Status st = v.value()->Validate(scratch, body.data(), body.size(), body.capacity(), {}, &r);
  if (!st.ok()) return "status: " + st.ToString();
  std::string out;
  for (size_t i = 0; i < r.rows.size(); ++i) out += std::string(r.Line(i)) + "\n";
  for (const RecordError& e : r.errors) out += "error " + std::to_string(e.index) + ": " + e.message + "\n";
  return out;
}

TEST(IngestValidatorKeys, EscapedKeysMatchTheirUnescapedNames) {
  const std::string long_name(70, 'n');  // longer than the word-wise compare handles
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0},
                                    {"caf\xc3\xa9", ColumnType::kString, 0},
                                    {long_name, ColumnType::kString, 0}};
  EXPECT_EQ(RunOnce(table, {},
                    R"({"records":[{"value":{"\u005fid":1,"caf\u00e9":"x",")" + long_name + R"(":"y"}},)"
                    R"({"value":{"_id":2,"caf)" "\xc3\xa9" R"(":"a\\\"b\u0001","cafe":"no"}}]})"),
            R"({"_id":1,"café":"x",")" + long_name + R"(":"y"})" "\n"
            R"({"_id":2,"café":"a\\\"b\u0001",")" + long_name + R"(":null})" "\n");
}

TEST(IngestValidatorKeys, NamesWithQuotesStillMatch) {
  // A name a JSON key must escape turns the raw key match off; results are the same.
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0}, {"a\"b", ColumnType::kString, 0}};
  EXPECT_EQ(RunOnce(table, {{"_id", {"k\\"}}}, R"({"records":[{"value":{"k\\":3,"a\"b":"v"}}]})"),
            R"({"_id":3,"a\"b":"v"})" "\n");
}

TEST(IngestValidatorKeys, UnescapesStringsOnlyWhenTheyHaveEscapes) {
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0},
                                    {"s", ColumnType::kString, 0},
                                    {"t", ColumnType::kString, 0},
                                    {"set", ColumnType::kStringSet, 0}};
  EXPECT_EQ(RunOnce(table, {},
                    R"({"records":[{"value":{"_id":"4","s":"\u0041\/","t":12.50,"set":["b","\u0061","b"]}}]})"),
            R"({"_id":4,"s":"A/","t":"12.50","set":["a","b"]})" "\n");
}

TEST(IngestValidatorDecimal, FastPathAgreesWithTheGeneralRoutine) {
  std::vector<TableColumn> table = {{"_id", ColumnType::kId, 0}, {"d", ColumnType::kDecimal, 2}};
  for (const char* text : {"0", "-0", "-0.00", "1", "1.5", "1.50", "1.500", "1.234", "0.05", "-0.05",
                           "12345678901234567", "1234567890123456", "123456789012345678", "1e2", "1E-2",
                           "0.5e1", "9223372036854775807", "92233720368547758.07", "92233720368547758.08"}) {
    std::string err;
    const std::string want = IngestValidator::NormalizeDecimal(text, 2, &err);
    const std::string got = RunOnce(table, {}, std::string(R"({"records":[{"value":{"_id":1,"d":)") + text + "}}]}");
    if (err.empty()) {
      EXPECT_EQ(got, R"({"_id":1,"d":)" + want + "}\n") << text;
    } else {
      EXPECT_EQ(got, "error 0: column d: " + err + "\n") << text;
    }
    // The same text as a JSON string takes the same path.
    const std::string quoted = RunOnce(table, {}, std::string(R"({"records":[{"value":{"_id":1,"d":")") + text + "\"}}]}");
    EXPECT_EQ(quoted, got) << text;
  }
}

TEST(IngestValidatorCreate, RejectsSchemaFieldMissingFromTable) {
  auto v = IngestValidator::Create({{"_id", ColumnType::kId, 0}}, {{"nope", {"a"}}});
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::emulator
