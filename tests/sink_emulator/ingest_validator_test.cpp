// Unit tests for IngestValidator (value normalization and per-record validation), in-process.
#include "tools/sink_emulator/ingest_validator.h"

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
    auto v = IngestValidator::Create(std::move(table), std::move(schema));
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

TEST(IngestValidatorCreate, RejectsSchemaFieldMissingFromTable) {
  auto v = IngestValidator::Create({{"_id", ColumnType::kId, 0}}, {{"nope", {"a"}}});
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::emulator
