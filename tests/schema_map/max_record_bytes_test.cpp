// File: tests/schema_map/max_record_bytes_test.cpp
// SchemaMapConfig::max_record_bytes: records over the limit are rejected before parsing with a
// reason naming both sizes; records at the limit and records around them are unaffected.
#include <gtest/gtest.h>

#include <string>

#include "stages/schema_map/schema_map_transform.h"

namespace sluice::stages {
namespace {

constexpr const char* kSchema = R"([
  {"name":"_id","path":["id"],"type":"id"},
  {"name":"s","path":["s"],"type":"string"}
])";

std::unique_ptr<SchemaMapTransform> MakeTransform(size_t max_record_bytes, PayloadMode mode) {
  auto schema = IngestSchema::FromJson(kSchema, "", "schema.json");
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  SchemaMapConfig config;
  config.payload_mode = mode;
  config.max_record_bytes = max_record_bytes;
  auto t = SchemaMapTransform::Create(config, std::move(schema).value());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

// {"id":N,"s":"xxx..."} padded to exactly `size` bytes.
std::string RecordOfSize(int id, size_t size) {
  std::string head = "{\"id\":" + std::to_string(id) + ",\"s\":\"";
  const size_t fixed = head.size() + 2;  // closing quote and brace
  EXPECT_GE(size, fixed);
  return head + std::string(size - fixed, 'x') + "\"}";
}

TEST(SchemaMapMaxRecordBytes, DefaultIsOneMebibyte) {
  EXPECT_EQ(SchemaMapConfig{}.max_record_bytes, size_t{1} << 20);
}

TEST(SchemaMapMaxRecordBytes, RejectsOnlyRecordsLongerThanTheLimit) {
  for (PayloadMode mode : {PayloadMode::kMapped, PayloadMode::kRaw}) {
    auto t = MakeTransform(100, mode);
    auto state = t->MakeState();
    RecordChunk chunk;
    const std::string at_limit = RecordOfSize(1, 100);
    const std::string over = RecordOfSize(2, 101);
    const std::string small = RecordOfSize(3, 30);
    chunk.AddInput(at_limit, SourcePosition{0, 0, 0});
    chunk.AddInput(over, SourcePosition{0, 0, 1});
    chunk.AddInput(small, SourcePosition{0, 0, 2});
    chunk.FinishInput();
    t->Apply(*state, chunk);
    ASSERT_EQ(chunk.outputs.size(), 3u);
    EXPECT_EQ(chunk.outputs[0].verdict, RecordVerdict::kAccepted);
    ASSERT_EQ(chunk.outputs[1].verdict, RecordVerdict::kRejected);
    EXPECT_EQ(chunk.reasons.at(chunk.outputs[1].reason_index),
              "record of 101 bytes exceeds --max-record-bytes (100)");
    EXPECT_EQ(chunk.outputs[2].verdict, RecordVerdict::kAccepted);
    if (mode == PayloadMode::kRaw) {
      EXPECT_EQ(chunk.Output(2), small);
    }
  }
}

TEST(SchemaMapMaxRecordBytes, OversizeIsCheckedBeforeParsing) {
  // Invalid JSON over the limit gets the size reason, not a parse error: it was never parsed.
  auto t = MakeTransform(16, PayloadMode::kMapped);
  auto state = t->MakeState();
  RecordChunk chunk;
  chunk.AddInput("{{{{{{{{{{{{{{{{{{{{not json", SourcePosition{0, 0, 0});
  chunk.FinishInput();
  t->Apply(*state, chunk);
  ASSERT_EQ(chunk.outputs[0].verdict, RecordVerdict::kRejected);
  EXPECT_EQ(chunk.reasons.at(chunk.outputs[0].reason_index),
            "record of 28 bytes exceeds --max-record-bytes (16)");
}

TEST(SchemaMapMaxRecordBytes, ZeroMeansNoLimit) {
  auto t = MakeTransform(0, PayloadMode::kMapped);
  auto state = t->MakeState();
  RecordChunk chunk;
  chunk.AddInput(RecordOfSize(7, 2u << 20), SourcePosition{0, 0, 0});
  chunk.FinishInput();
  t->Apply(*state, chunk);
  EXPECT_EQ(chunk.outputs[0].verdict, RecordVerdict::kAccepted);
}

}  // namespace
}  // namespace sluice::stages
