// In-process tests of MockCluster, the watermark counters, the control protocol and
// ProduceFlights against a real librdkafka mock cluster on loopback.
#include "devtools/mock_kafka/mock_cluster.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "devtools/fake_flights/flight_producer.h"
#include "devtools/mock_kafka/control_commands.h"

namespace sluice {
namespace {

std::unique_ptr<MockCluster> MakeCluster(int brokers) {
  auto cluster = MockCluster::Create(brokers);
  EXPECT_TRUE(cluster.ok()) << cluster.status().ToString();
  return std::move(cluster).value();
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

TEST(MockCluster, CreateRejectsZeroBrokers) {
  EXPECT_EQ(MockCluster::Create(0).status().code(), StatusCode::kInvalidArgument);
}

TEST(MockCluster, BootstrapsListsEveryBrokerOnLoopback) {
  auto cluster = MakeCluster(3);
  const std::string bootstraps = cluster->Bootstraps();
  size_t entries = 0;
  size_t pos = 0;
  while (pos != std::string::npos) {
    const size_t comma = bootstraps.find(',', pos);
    const std::string entry = bootstraps.substr(pos, comma == std::string::npos ? comma : comma - pos);
    EXPECT_TRUE(StartsWith(entry, "127.0.0.1:")) << entry;
    ++entries;
    pos = comma == std::string::npos ? comma : comma + 1;
  }
  EXPECT_EQ(entries, 3u);
}

TEST(MockCluster, CountsEveryProducedFlightAcrossPartitions) {
  auto cluster = MakeCluster(1);
  ASSERT_TRUE(cluster->CreateTopic("flights", 4).ok());
  ASSERT_TRUE(ProduceFlights(cluster->Bootstraps(), "flights", 2000, 1, 1, {}).ok());
  auto counts = CountPartitionMessages(cluster->Bootstraps(), "flights", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 4u);
  int64_t total = 0;
  for (int64_t c : counts.value()) {
    EXPECT_GT(c, 0);
    total += c;
  }
  EXPECT_EQ(total, 2000);
  auto sum = CountTopicMessages(cluster->Bootstraps(), "flights", 10000);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum.value(), 2000);
}

TEST(MockCluster, CreateTopicTwiceFails) {
  auto cluster = MakeCluster(1);
  ASSERT_TRUE(cluster->CreateTopic("dup", 2).ok());
  EXPECT_EQ(cluster->CreateTopic("dup", 2).code(), StatusCode::kFailedPrecondition);
}

TEST(MockCluster, CreateTopicRejectsBadArguments) {
  auto cluster = MakeCluster(1);
  EXPECT_EQ(cluster->CreateTopic("", 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cluster->CreateTopic("t", 0).code(), StatusCode::kInvalidArgument);
}

TEST(MockCluster, CountOfMissingTopicIsNotFound) {
  auto cluster = MakeCluster(1);
  EXPECT_EQ(CountTopicMessages(cluster->Bootstraps(), "nope", 5000).status().code(), StatusCode::kNotFound);
}

TEST(MockCluster, UnknownBrokerIsNotFound) {
  auto cluster = MakeCluster(2);
  EXPECT_EQ(cluster->SetBrokerDown(3, true).code(), StatusCode::kNotFound);
  EXPECT_EQ(cluster->SetRtt(0, 10).code(), StatusCode::kNotFound);
  EXPECT_TRUE(cluster->SetRtt(2, 10).ok());
  EXPECT_TRUE(cluster->SetRtt(-1, 0).ok());
}

TEST(MockCluster, DownBrokerFailsQueriesUntilItIsUpAgain) {
  auto cluster = MakeCluster(1);
  ASSERT_TRUE(cluster->CreateTopic("t", 2).ok());
  ASSERT_TRUE(cluster->SetBrokerDown(1, true).ok());
  auto down = CountTopicMessages(cluster->Bootstraps(), "t", 1500);
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.status().code() == StatusCode::kDeadlineExceeded || down.status().code() == StatusCode::kUnavailable)
      << down.status().ToString();
  ASSERT_TRUE(cluster->SetBrokerDown(1, false).ok());
  auto up = CountTopicMessages(cluster->Bootstraps(), "t", 10000);
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(up.value(), 0);
}

TEST(MockCluster, PushedPermanentProduceErrorsFailDeliveries) {
  auto cluster = MakeCluster(1);
  ASSERT_TRUE(cluster->CreateTopic("t", 1).ok());
  auto code = ParseErrorCode("TOPIC_AUTHORIZATION_FAILED");
  ASSERT_TRUE(code.ok());
  ASSERT_TRUE(cluster->PushRequestErrors(0, code.value(), 1000).ok());
  Status st = ProduceFlights(cluster->Bootstraps(), "t", 50, 1, 1, {{"message.timeout.ms", "5000"}});
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
}

TEST(MockCluster, RetriableProduceErrorsAreRetriedWithoutLoss) {
  auto cluster = MakeCluster(1);
  ASSERT_TRUE(cluster->CreateTopic("t", 2).ok());
  ASSERT_TRUE(cluster->PushRequestErrors(0, ParseErrorCode("NOT_ENOUGH_REPLICAS").value(), 3).ok());
  ASSERT_TRUE(ProduceFlights(cluster->Bootstraps(), "t", 500, 1, 1, {}).ok());
  EXPECT_EQ(CountTopicMessages(cluster->Bootstraps(), "t", 10000).value(), 500);
}

TEST(ProduceFlights, RejectsUnknownPropertyWithoutEchoingSecrets) {
  Status st = ProduceFlights("127.0.0.1:1", "t", 1, 1, 1, {{"sasl.password", "hunter2"}, {"no.such.property", "x"}});
  // sasl.password is a valid property, so the failure is the unknown one.
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message().find("hunter2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("no.such.property"), std::string::npos) << st.message();
}

TEST(ParseApiKey, AcceptsNamesAnyCaseAndNumbers) {
  EXPECT_EQ(ParseApiKey("Produce").value(), 0);
  EXPECT_EQ(ParseApiKey("fetch").value(), 1);
  EXPECT_EQ(ParseApiKey("OffsetCommit").value(), 8);
  EXPECT_EQ(ParseApiKey("JoinGroup").value(), 11);
  EXPECT_EQ(ParseApiKey("3").value(), 3);
  EXPECT_EQ(ParseApiKey("Frobnicate").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseApiKey("-1").status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseErrorCode, AcceptsLibrdkafkaNamesAndNumbers) {
  EXPECT_EQ(ParseErrorCode("NOT_LEADER_FOR_PARTITION").value(), 6);
  EXPECT_EQ(ParseErrorCode("not_leader_for_partition").value(), 6);
  EXPECT_EQ(ParseErrorCode("RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT").value(), 7);
  EXPECT_EQ(ParseErrorCode("_TRANSPORT").value(), -195);
  EXPECT_EQ(ParseErrorCode("-195").value(), -195);
  EXPECT_EQ(ParseErrorCode("NO_SUCH_ERROR").status().code(), StatusCode::kInvalidArgument);
}

TEST(ExecuteControlCommand, AnswersOkOrErrorForEachCommand) {
  auto cluster = MakeCluster(2);
  bool quit = false;
  EXPECT_EQ(ExecuteControlCommand(*cluster, "broker-down 2", &quit), "ok broker 2 down");
  EXPECT_EQ(ExecuteControlCommand(*cluster, "  broker-up 2 ", &quit), "ok broker 2 up");
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "broker-down 7", &quit), "error "));
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "broker-down x", &quit), "error "));
  EXPECT_EQ(ExecuteControlCommand(*cluster, "rtt 1 25", &quit), "ok broker 1 rtt 25 ms");
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "push-errors Fetch NOT_LEADER_FOR_PARTITION 2", &quit),
                         "ok pushed 2"));
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "push-errors Nope 6 1", &quit), "error "));
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "push-errors Fetch", &quit), "error usage"));
  EXPECT_EQ(ExecuteControlCommand(*cluster, "create-topic extra 3", &quit), "ok topic extra partitions 3");
  EXPECT_TRUE(StartsWith(ExecuteControlCommand(*cluster, "dance", &quit), "error unknown command"));
  EXPECT_EQ(ExecuteControlCommand(*cluster, "   ", &quit), "");
  EXPECT_FALSE(quit);
  EXPECT_EQ(ExecuteControlCommand(*cluster, "quit", &quit), "ok bye");
  EXPECT_TRUE(quit);

  auto counts = CountPartitionMessages(cluster->Bootstraps(), "extra", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->size(), 3u);
}

}  // namespace
}  // namespace sluice
