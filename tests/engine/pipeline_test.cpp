#include "engine/pipeline.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "stages/batcher/micro_batcher.h"
#include "tests/testing/fake_parts.h"

namespace sluice {
namespace {

using testing::BracketFormat;
using testing::IdentityTransform;
using testing::ManualSender;
using testing::ScriptedSource;

struct Rig {
  explicit Rig(uint64_t records, uint32_t streams, PipelineConfig cfg = {}) : source(records, streams) {
    cfg.progress = false;
    stages::BatchPolicy policy;
    policy.max_records = 100;
    policy.linger_ms = 5;
    policy.per_stream = cfg.ordered;
    batcher = std::move(stages::MicroBatcher::Create(policy, std::make_shared<BracketFormat>())).value();
    PipelineParts parts{&source, &transform, batcher.get(), &sender, nullptr};
    pipeline = std::move(Pipeline::Create(cfg, parts)).value();
  }
  ScriptedSource source;
  IdentityTransform transform;
  ManualSender sender;
  std::unique_ptr<stages::MicroBatcher> batcher;
  std::unique_ptr<Pipeline> pipeline;
};

TEST(Pipeline, DeliversEveryRecordAndCommitsTheEnd) {
  Rig rig(10000, 4);
  std::atomic<int> stop{0};
  ASSERT_TRUE(rig.pipeline->Run(&stop).ok());
  const RunSummary s = rig.pipeline->Summary();
  EXPECT_EQ(s.consumed, 10000u);
  EXPECT_EQ(s.delivered, 10000u);
  EXPECT_EQ(s.unacknowledged, 0u);
  ASSERT_EQ(rig.source.stored.size(), 4u);
  for (auto& [stream, next] : rig.source.stored) EXPECT_EQ(next, 2500) << "stream " << stream;
  EXPECT_TRUE(rig.source.closed);
  // Every record appears exactly once across the bodies.
  size_t values = 0;
  for (const auto& b : rig.sender.bodies) values += std::count(b.begin(), b.end(), ',') + 1;
  EXPECT_EQ(values, 10000u);
}

TEST(Pipeline, RejectedRecordWithoutDeadLetterStopsBeforeCommittingIt) {
  Rig rig(1000, 1);
  rig.transform.bad = {"r500"};
  std::atomic<int> stop{0};
  Status s = rig.pipeline->Run(&stop);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("offset 500"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("bad r500"), std::string::npos) << s.message();
  if (rig.source.stored.count(0)) {
    EXPECT_LE(rig.source.stored[0], 500) << "nothing at or past the rejected record may be committed";
  }
  EXPECT_LT(rig.pipeline->Summary().delivered, 1000u);
}

TEST(Pipeline, SkipRejectedAcknowledgesAndCounts) {
  PipelineConfig cfg;
  cfg.skip_rejected = true;
  Rig rig(1000, 2, cfg);
  rig.transform.bad = {"r10", "r11"};
  std::atomic<int> stop{0};
  ASSERT_TRUE(rig.pipeline->Run(&stop).ok());
  const RunSummary s = rig.pipeline->Summary();
  EXPECT_EQ(s.delivered, 998u);
  EXPECT_EQ(s.rejected, 2u);
  EXPECT_EQ(s.skipped, 2u);
  EXPECT_EQ(rig.source.stored[0], 500);
  EXPECT_EQ(rig.source.stored[1], 500);
}

TEST(Pipeline, StalledSinkPausesTheSourceWithinTheBudget) {
  PipelineConfig cfg;
  cfg.chunk_max_records = 100;
  cfg.max_inflight_records = 1000;
  Rig rig(5000, 1, cfg);
  rig.sender.auto_ack = false;
  std::atomic<int> stop{0};
  std::thread releaser([&] {
    // Let the pipeline hit the budget, then acknowledge repeatedly until done.
    for (int i = 0; i < 2000 && rig.pipeline->counters().delivered.load() < 5000; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      EXPECT_LE(rig.pipeline->InFlightRecords(), 1000u + 100u);
      if (i > 20) rig.sender.ReleaseAll();
    }
  });
  Status s = rig.pipeline->Run(&stop);
  releaser.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GE(rig.source.pauses, 1);
  EXPECT_EQ(rig.pipeline->Summary().delivered, 5000u);
}

TEST(Pipeline, SecondStopAbandonsAndCommitsOnlyAcknowledged) {
  Rig rig(100000, 1);
  rig.sender.auto_ack = false;
  std::atomic<int> stop{2};
  Status s = rig.pipeline->Run(&stop);
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(rig.source.stored.count(0), 0u) << "nothing was acknowledged, nothing may be stored";
}

TEST(Pipeline, OrderedKeepsOneBatchPerPartitionInFlightAndOffsetOrder) {
  PipelineConfig cfg;
  cfg.ordered = true;
  cfg.chunk_max_records = 50;
  Rig rig(6000, 3, cfg);
  rig.sender.auto_ack = false;
  std::atomic<int> stop{0};
  std::atomic<bool> done{false};
  std::thread releaser([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      EXPECT_LE(rig.sender.Held(), 3u) << "at most one batch per partition may be in flight";
      rig.sender.ReleaseAll();
    }
  });
  Status s = rig.pipeline->Run(&stop);
  done.store(true);
  releaser.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Per partition, the bodies list its records in offset order: r<i> with i % 3 == stream.
  std::map<int, int> last_seen;
  for (const std::string& body : rig.sender.bodies) {
    size_t pos = 0;
    while ((pos = body.find("\"r", pos)) != std::string::npos) {
      const int i = std::stoi(body.substr(pos + 2));
      auto it = last_seen.find(i % 3);
      if (it != last_seen.end()) {
        EXPECT_GT(i, it->second) << "partition " << i % 3 << " out of order";
      }
      last_seen[i % 3] = i;
      pos += 2;
    }
  }
  EXPECT_EQ(rig.pipeline->Summary().delivered, 6000u);
}

TEST(Pipeline, RevokeDrainsInFlightAndReturnsCommitPoints) {
  Rig rig(4000, 2);
  rig.source.revoke_at = 2000;
  std::atomic<int> stop{0};
  ASSERT_TRUE(rig.pipeline->Run(&stop).ok());
  // Everything of stream 0 read before the revoke was acknowledged before the revoke completed.
  ASSERT_EQ(rig.source.revoked_points.size(), 1u);
  EXPECT_EQ(rig.source.revoked_points[0].stream, 0u);
  EXPECT_EQ(rig.source.revoked_points[0].next_offset, 1000);
}

}  // namespace
}  // namespace sluice
