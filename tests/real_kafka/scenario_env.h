// File: tests/real_kafka/scenario_env.h
// The shared parts of the real-broker scenario tests (consumer groups, broker failover, the
// large backlog), over the test binary's one cluster (tests/testing/kafka_cluster.h; each test
// file registers its KafkaClusterEnvironment with the node count it needs):
//  - kScenarioAccount: the emulator's account (a distinctive password, passed only via env);
//  - ScenarioSuite<>: fixture with one sink emulator per suite and a fresh temp dir per test
//    (removed after it);
//    skips (or fails under SLUICE_REQUIRE_REAL_KAFKA) without a cluster;
//  - MemberArgs(): `sluice run` from a topic of the cluster into an emulator sink;
//  - MetricValue()/DeliveredSoFar(): a running member's counters from its /metrics;
//  - WaitFor(): polls a condition (the tests wait on conditions, never for a fixed time).
// Used by tests/real_kafka/{groups,failover,backlog}_test.cpp. Thread-safety: one test thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/kafka_cluster.h"
#include "tests/testing/process_env.h"
#include "tests/testing/subprocess.h"

namespace sluice::realkafka {

/// Distinctive, so that a leak into any output would be found by a substring search.
inline constexpr const char* kScenarioPassword = "pw-rkscenario-Lm3!SECRET-5521";
inline constexpr testing::TestAccount kScenarioAccount{"rkscenario", kScenarioPassword};

/// `sluice run` from `topic` (group `group`) of `brokers` into `emu`'s `sink` with the example
/// schema/table and -q, the credentials in the child's env; `extra` flags appended.
testing::ProcessOptions MemberArgs(const testing::EmulatorProcess& emu, const std::string& sink,
                                   const std::string& brokers, const std::string& topic, const std::string& group,
                                   const std::vector<std::string>& extra);

/// The unlabelled sample `name` (e.g. sluice_records_consumed_total) of a child started with
/// testing::MetricsArgs(); -1 while its metrics address is not printed yet, the endpoint does
/// not answer or the sample is absent.
int64_t MetricValue(testing::Subprocess& child, const std::string& name);
/// MetricValue(child, "sluice_records_delivered_total").
int64_t DeliveredSoFar(testing::Subprocess& child);

/// Polls `done` every 100 ms until it returns true (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout);

template <typename Suite>
class ScenarioSuite : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    std::string error;
    emulator_ = testing::EmulatorProcess::Start(kScenarioAccount, &error, Suite::EmulatorArgs());
    if (!emulator_) emulator_error_ = error;
  }
  static void TearDownTestSuite() { emulator_.reset(); }
  static std::vector<std::string> EmulatorArgs() { return {}; }

 protected:
  void SetUp() override {
    SLUICE_REQUIRE_KAFKA_CLUSTER(cluster);  // (the macro needs this very name)
    cluster_ = cluster;
    ASSERT_NE(emulator_, nullptr) << emulator_error_;
    dir_ = testing::MakeTempDir("real-scenario");
  }
  void TearDown() override {
    // Only a folder MakeTempDir made (reports of a failed test are printed by the test itself).
    if (dir_.find("/sluice-real-scenario-") != std::string::npos) std::filesystem::remove_all(dir_);
  }

  static inline std::unique_ptr<testing::EmulatorProcess> emulator_;
  static inline std::string emulator_error_;
  testing::KafkaCluster* cluster_ = nullptr;
  std::string dir_;
};

}  // namespace sluice::realkafka
