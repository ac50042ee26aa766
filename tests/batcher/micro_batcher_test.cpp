#include "stages/batcher/micro_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include "tests/testing/fake_parts.h"

namespace sluice::stages {
namespace {

RecordChunk Chunk(int first, int count) {
  RecordChunk c;
  for (int i = first; i < first + count; ++i) {
    const std::string v = "v" + std::to_string(i);
    c.AddInput(v, SourcePosition{0, 0, i});
  }
  c.FinishInput();
  sluice::testing::IdentityTransform t;
  TransformState s;
  t.Apply(s, c);
  return c;
}

struct Collector {
  std::vector<std::unique_ptr<Batch>> batches;
  BatchAssembler::Emit emit() {
    return [this](std::unique_ptr<Batch> b) { batches.push_back(std::move(b)); };
  }
};

std::unique_ptr<MicroBatcher> Make(BatchPolicy p) {
  return std::move(MicroBatcher::Create(p, std::make_shared<sluice::testing::BracketFormat>())).value();
}

TEST(MicroBatcher, FlushesWhenCountReached) {
  BatchPolicy p;
  p.max_records = 3;
  auto b = Make(p);
  Collector out;
  b->Add(Chunk(0, 7), BatchAssembler::Clock::now(), out.emit());
  ASSERT_EQ(out.batches.size(), 2u);
  EXPECT_EQ(out.batches[0]->payload, R"(["v0","v1","v2"])");
  EXPECT_EQ(out.batches[1]->payload, R"(["v3","v4","v5"])");
  b->Flush(out.emit());
  ASSERT_EQ(out.batches.size(), 3u);
  EXPECT_EQ(out.batches[2]->payload, R"(["v6"])");
  EXPECT_EQ(out.batches[2]->records[0].position.offset, 6);
  EXPECT_EQ(out.batches[2]->Value(0), "v6");
}

TEST(MicroBatcher, FlushesBeforeExceedingBytes) {
  BatchPolicy p;
  p.max_records = 1000;
  p.max_bytes = 256;
  auto b = Make(p);
  Collector out;
  b->Add(Chunk(0, 100), BatchAssembler::Clock::now(), out.emit());
  b->Flush(out.emit());
  ASSERT_GT(out.batches.size(), 1u);
  size_t records = 0;
  for (auto& batch : out.batches) {
    EXPECT_LE(batch->payload.size(), 256u);
    records += batch->records.size();
  }
  EXPECT_EQ(records, 100u);
}

TEST(MicroBatcher, FlushesWhenLingerExpires) {
  BatchPolicy p;
  p.linger_ms = 1000;
  auto b = Make(p);
  Collector out;
  const auto t0 = BatchAssembler::Clock::now();
  RecordChunk c = Chunk(0, 2);
  c.created = t0;
  b->Add(c, t0, out.emit());
  b->Tick(t0 + std::chrono::milliseconds(999), out.emit());
  EXPECT_TRUE(out.batches.empty());
  b->Tick(t0 + std::chrono::milliseconds(1000), out.emit());
  ASSERT_EQ(out.batches.size(), 1u);
  EXPECT_EQ(out.batches[0]->records.size(), 2u);
}

TEST(MicroBatcher, SkipsRejectedRecords) {
  BatchPolicy p;
  auto b = Make(p);
  RecordChunk c;
  c.AddInput("good", {0, 0, 0});
  c.AddInput("bad", {0, 0, 1});
  c.FinishInput();
  sluice::testing::IdentityTransform t;
  t.bad = {"bad"};
  TransformState s;
  t.Apply(s, c);
  Collector out;
  b->Add(c, BatchAssembler::Clock::now(), out.emit());
  b->Flush(out.emit());
  ASSERT_EQ(out.batches.size(), 1u);
  EXPECT_EQ(out.batches[0]->payload, R"(["good"])");
}

TEST(MicroBatcher, MaxBytesHintRisesBackToTheConfiguredCap) {
  BatchPolicy p;
  p.max_records = 1000;
  p.max_bytes = 2000;
  auto b = Make(p);
  b->SetMaxBytesHint(300);
  b->SetMaxBytesHint(SIZE_MAX);  // the sender no longer knows a limit: the policy's cap again
  Collector out;
  b->Add(Chunk(0, 200), BatchAssembler::Clock::now(), out.emit());
  b->Flush(out.emit());
  size_t largest = 0;
  for (auto& batch : out.batches) {
    EXPECT_LE(batch->payload.size(), 2000u);
    largest = std::max(largest, batch->payload.size());
  }
  EXPECT_GT(largest, 300u);
}

TEST(MicroBatcher, LowerMaxBytesTakesEffect) {
  BatchPolicy p;
  p.max_records = 1000;
  auto b = Make(p);
  b->SetMaxBytesHint(300);
  Collector out;
  b->Add(Chunk(0, 200), BatchAssembler::Clock::now(), out.emit());
  b->Flush(out.emit());
  for (auto& batch : out.batches) EXPECT_LE(batch->payload.size(), 300u);
}

TEST(MicroBatcher, RejectsZeroBatchSize) {
  BatchPolicy p;
  p.max_records = 0;
  auto r = MicroBatcher::Create(p, std::make_shared<sluice::testing::BracketFormat>());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluice::stages

namespace sluice::stages {
namespace {

TEST(MicroBatcher, PerStreamKeepsPartitionsInSeparateBatches) {
  BatchPolicy p;
  p.max_records = 2;
  p.per_stream = true;
  auto b = Make(p);
  RecordChunk c;
  for (int i = 0; i < 6; ++i) c.AddInput("v" + std::to_string(i), SourcePosition{static_cast<uint32_t>(i % 2), 0, i / 2});
  c.FinishInput();
  sluice::testing::IdentityTransform t;
  TransformState s;
  t.Apply(s, c);
  Collector out;
  b->Add(c, BatchAssembler::Clock::now(), out.emit());
  b->Flush(out.emit());
  ASSERT_EQ(out.batches.size(), 4u);
  for (auto& batch : out.batches) {
    for (auto& r : batch->records) EXPECT_EQ(r.position.stream, batch->records[0].position.stream);
  }
  EXPECT_EQ(out.batches[0]->payload, R"(["v0","v2"])");
  EXPECT_EQ(out.batches[1]->payload, R"(["v1","v3"])");
}

}  // namespace
}  // namespace sluice::stages
