// When the environment is wrong at startup, `sluice run` says so and ends instead of waiting
// forever or ending "successfully" (the real executables, sluice-mock-kafka and the sink
// emulator in their own processes):
//  - unresolvable broker, refused port, a group that never lets the member join:
//    --startup-timeout ends the run with exit 1, naming the brokers and librdkafka's last error;
//  - SIGTERM to an --until-caught-up run that never reached its caught-up point: exit 3;
//  - a topic that does not exist: exit 1 naming it (the mock here honours the client's
//    allow.auto.create.topics, as a broker with auto.create.topics.enable=true does), and
//    -X allow.auto.create.topics=true is refused;
//  - an empty topic and a group already at the end: exit 0 with a last line that says so.
// Readiness comes from the child's own output or the sink's stats, never from a sleep; the
// timeouts are short and only the exit status and the message are asserted.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/integration_env.h"
#include "tests/testing/loopback_port.h"

namespace sluice::it {
namespace {

class StartupFailures : public IntegrationSuite<StartupFailures> {
 protected:
  static void SetUpTestSuite() {
    ASSERT_NO_FATAL_FAILURE(
        StartShared({.honour_allow_auto_create = true, .topic = "present", .partitions = 2, .count = 200, .seed = 77}));
    ASSERT_EQ(kafka_->CreateTopic("empty", 2), "");
  }

  /// `sluice run` from `brokers`/`topic` into emulator sink `sink`, group "g-" + sink.
  static SluiceRun Run(const std::string& sink, const std::string& brokers, const std::string& topic,
                       const std::vector<std::string>& extra) {
    SluiceRun run = KafkaRun(*emulator_, sink, brokers, topic, "g-" + sink);
    run.args.insert(run.args.end(), {"-X", kShortSession});
    run.args.insert(run.args.end(), extra.begin(), extra.end());
    return run;
  }

  static testing::ProcessResult RunToEnd(const SluiceRun& run) { return testing::RunProcess(run.Options(), 120000); }

  /// Waits (at most 60 s) until the child's stderr contains `text`.
  static bool WaitForStderr(testing::Subprocess& p, const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && p.Running()) {
      if (p.StderrSoFar().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
};

TEST_F(StartupFailures, UnresolvableBrokerEndsAtTheStartupTimeoutNamingBrokerAndError) {
  testing::ProcessResult r = RunToEnd(
      Run("nosuchhost", "nosuchhost.invalid:9092", "present", {"--until-caught-up", "--startup-timeout", "1s"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--startup-timeout 1 s"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("brokers nosuchhost.invalid:9092"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("librdkafka's last error: _RESOLVE"), std::string::npos) << r.err;
}

TEST_F(StartupFailures, RefusedPortEndsAtTheStartupTimeoutNamingBrokerAndError) {
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  const std::string broker = "127.0.0.1:" + std::to_string(port);
  // A streaming run (no --until-caught-up) must end too: it would otherwise wait forever.
  testing::ProcessResult r = RunToEnd(Run("refused", broker, "present", {"--startup-timeout", "1s"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("brokers " + broker), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
}

TEST_F(StartupFailures, GroupThatNeverLetsTheMemberJoinEndsAtTheStartupTimeout) {
  // A cluster of its own: every JoinGroup (api key 11) of the next many is answered
  // COORDINATOR_LOAD_IN_PROGRESS (14). The brokers answer and the metadata is there, but the
  // member never gets into the group.
  std::string error;
  std::unique_ptr<MockKafkaProcess> kafka =
      MockKafkaProcess::Start({.topic = "present", .partitions = 2, .honour_allow_auto_create = true}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  ASSERT_EQ(kafka->Command("push-errors 11 14 100000").rfind("ok", 0), 0u);
  testing::ProcessResult r =
      RunToEnd(Run("nojoin", kafka->bootstrap(), "present", {"--until-caught-up", "--startup-timeout", "2s"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("group g-nojoin"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no partition assigned within --startup-timeout 2 s"), std::string::npos) << r.err;
  EXPECT_EQ(emulator_->Stats("nojoin").records_received, 0u);
}

TEST_F(StartupFailures, SigtermBeforeAnyPartitionWasAssignedIsNotASuccess) {
  // Nothing consumed, nothing delivered, stopped by SIGTERM: a bounded run that never reached
  // its caught-up point exits 3, never 0.
  const int port = testing::UnusedLoopbackPort();
  ASSERT_GT(port, 0);
  SluiceRun run = Run("sigterm-early", "127.0.0.1:" + std::to_string(port), "present", {"--until-caught-up"});
  std::string error;
  std::unique_ptr<testing::Subprocess> p = testing::Subprocess::Start(run.Options(), &error);
  ASSERT_NE(p, nullptr) << error;
  ASSERT_TRUE(WaitForStderr(*p, "Connection refused")) << p->StderrSoFar();
  p->Signal(SIGTERM);
  testing::ProcessResult r = p->Wait(60000);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(StartupFailures, MissingTopicIsAnErrorNamingIt) {
  testing::ProcessResult r = RunToEnd(Run("missing", kafka_->bootstrap(), "no-such-topic", {"--until-caught-up"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("topic \"no-such-topic\" does not exist"), std::string::npos) << r.err;
}

TEST_F(StartupFailures, MissingTopicEndsAStreamingRunToo) {
  testing::ProcessResult r = RunToEnd(Run("missing-streaming", kafka_->bootstrap(), "no-such-topic-2", {}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("topic \"no-such-topic-2\" does not exist"), std::string::npos) << r.err;
}

TEST_F(StartupFailures, AllowingTopicAutoCreationIsRefused) {
  testing::ProcessResult r = RunToEnd(
      Run("autocreate", kafka_->bootstrap(), "present", {"--until-caught-up", "-X", "allow.auto.create.topics=true"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("allow.auto.create.topics"), std::string::npos) << r.err;
}

TEST_F(StartupFailures, MissingDeadLetterTopicIsAnErrorNamingIt) {
  // One line that is not JSON must be dead-lettered to a topic that does not exist: the
  // producer must not create it, and the run fails naming it (after librdkafka's message
  // timeout, 30 s) instead of committing the record.
  const std::string dir = MakeTempDir();
  const std::string path = dir + "/one-bad.ndjson";
  WriteFileText(path, "{not json\n");
  SluiceRun run = FileRun(*emulator_, "dlq-missing", "file:" + path);
  run.args.insert(run.args.end(), {"--brokers", kafka_->bootstrap(), "--dlq", "kafka:no-such-dlq"});
  testing::ProcessResult r = RunToEnd(run);
  RemoveTree(dir);
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("dead-letter kafka topic \"no-such-dlq\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the topic does not exist"), std::string::npos) << r.err;
  EXPECT_EQ(kafka_->Command("create-topic no-such-dlq 1"), "ok topic no-such-dlq partitions 1")
      << "the dead-letter producer created the topic";
}

TEST_F(StartupFailures, EmptyTopicEndsWithALineSayingSo) {
  testing::ProcessResult r = RunToEnd(Run("empty", kafka_->bootstrap(), "empty", {"--until-caught-up"}));
  ASSERT_FALSE(r.timed_out) << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::LastLogMessage(r.err), "run: topic empty is empty") << r.err;
}

TEST_F(StartupFailures, GroupAlreadyAtTheEndEndsWithALineSayingSo) {
  SluiceRun run = Run("at-end", kafka_->bootstrap(), "present", {"--until-caught-up"});
  testing::ProcessResult first = RunToEnd(run);
  ASSERT_FALSE(first.timed_out) << first.err;
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(emulator_->Stats("at-end").distinct_ids, 200u) << first.err;
  EXPECT_EQ(first.err.find("already at the end"), std::string::npos) << first.err;
  testing::ProcessResult second = RunToEnd(run);
  ASSERT_FALSE(second.timed_out) << second.err;
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(testing::LastLogMessage(second.err), "run: group g-at-end is already at the end of present") << second.err;
}

}  // namespace
}  // namespace sluice::it
