// File: tests/testing/kafka_cluster.h
// KafkaCluster: a real Apache Kafka (KRaft) cluster on loopback for the real-broker tests,
// started through devtools/kafka_broker/kafka-cluster (which owns the broker configuration,
// the throw-away CA and the users) and parsed from its KEY=VALUE output: the bootstrap list per
// listener (PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL), the CA, an untrusted CA and the SASL
// users. Stopping by PID is the script's job; the script also watches this process and stops
// the cluster when it dies without calling Stop().
//
// KafkaClusterEnvironment starts one cluster per test binary (a gtest Environment registered
// with AddGlobalTestEnvironment) and stops it after the last test. When Java, kcat, openssl or
// the resolved classpath is missing, the tests skip with the reason (RequireKafkaCluster()) -
// unless SLUICE_REQUIRE_REAL_KAFKA is set (CI sets it), in which case they fail.
//
// Used by tests/real_kafka. Thread-safety: one test thread; the environment's cluster is
// created before the first test and destroyed after the last.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::testing {

/// A SASL credential the cluster accepts.
struct KafkaUser {
  std::string mechanism;  ///< "SCRAM-SHA-512" or "PLAIN"
  std::string name;
  std::string password;
};

struct KafkaClusterOptions {
  int nodes = 1;               ///< 1, or 3 for failover
  int partitions_default = 1;  ///< num.partitions of auto-created topics
  int min_isr = 1;             ///< the brokers' min.insync.replicas
};

class KafkaCluster {
 public:
  /// Why no cluster can be started on this machine (java, kcat, openssl or the classpath is
  /// missing); empty when it can.
  static std::string Unavailable();
  /// Starts a cluster in a fresh temporary folder; nullptr and *error (with the broker's log
  /// tail, as the script prints it) on failure.
  static std::unique_ptr<KafkaCluster> Start(const KafkaClusterOptions& options, std::string* error);
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  /// Stops every node (SIGTERM, grace, SIGKILL) and removes the folder. Idempotent.
  void Stop();
  /// Stops / restarts node n (1..nodes); empty on success, else the script's message.
  std::string StopNode(int n);
  std::string StartNode(int n);

  /// Bootstrap list of a listener: "PLAINTEXT", "SASL_PLAINTEXT", "SSL" or "SASL_SSL".
  std::string Bootstrap(const std::string& listener) const;
  std::string plaintext() const { return Bootstrap("PLAINTEXT"); }
  /// The CA that signed the brokers' certificate, and one that signed nothing here.
  const std::string& ca_path() const { return ca_path_; }
  const std::string& untrusted_ca_path() const { return untrusted_ca_path_; }
  /// The user of a mechanism ("SCRAM-SHA-512", "PLAIN"); nullptr when none.
  const KafkaUser* User(const std::string& mechanism) const;
  const std::vector<KafkaUser>& users() const { return users_; }
  /// Wall time of the script's start, as it measured it.
  int64_t startup_ms() const { return startup_ms_; }
  const std::string& kafka_version() const { return kafka_version_; }
  const std::string& dir() const { return dir_; }

  /// Creates a topic with librdkafka's admin API (replication -1: the cluster's default);
  /// empty on success, else the error. `configs` are topic configs (min.insync.replicas, ...).
  std::string CreateTopic(const std::string& topic, int partitions, int replication = -1,
                          const std::map<std::string, std::string>& configs = {}) const;

 private:
  KafkaCluster() = default;
  std::string RunScript(const std::vector<std::string>& args, int timeout_ms, std::string* out) const;

  std::string dir_;
  std::map<std::string, std::string> values_;
  std::vector<KafkaUser> users_;
  std::string ca_path_;
  std::string untrusted_ca_path_;
  std::string kafka_version_;
  int64_t startup_ms_ = 0;
  bool stopped_ = false;
};

/// True when SLUICE_REQUIRE_REAL_KAFKA is set to anything but "" or "0".
bool RealKafkaRequired();

/// One cluster for the whole test binary. Register in main() or at namespace scope:
///   static auto* env = ::testing::AddGlobalTestEnvironment(new KafkaClusterEnvironment({}));
class KafkaClusterEnvironment : public ::testing::Environment {
 public:
  explicit KafkaClusterEnvironment(KafkaClusterOptions options) : options_(options) {}
  void SetUp() override;
  void TearDown() override;

  /// The running cluster, or nullptr (then skip_reason() or a recorded failure says why).
  static KafkaCluster* Current();
  static const std::string& skip_reason();

 private:
  KafkaClusterOptions options_;
};

}  // namespace sluice::testing

/// At the top of a test: skips (with the reason) when no cluster could be started because the
/// tools are missing and SLUICE_REQUIRE_REAL_KAFKA is unset; fails when a cluster is required
/// or failed to start. Leaves `cluster` pointing at the running cluster.
#define SLUICE_REQUIRE_KAFKA_CLUSTER(cluster)                                                       \
  ::sluice::testing::KafkaCluster* cluster = ::sluice::testing::KafkaClusterEnvironment::Current(); \
  do {                                                                                              \
    if (cluster == nullptr) {                                                                       \
      if (!::sluice::testing::KafkaClusterEnvironment::skip_reason().empty())                       \
        GTEST_SKIP() << ::sluice::testing::KafkaClusterEnvironment::skip_reason();                  \
      FAIL() << "the real Kafka cluster did not start (see the environment's failure above)";       \
    }                                                                                               \
  } while (false)
