// Authentication against a real broker: SASL_SSL with PLAIN and the CA checked
// (ssl.ca.location), SASL_PLAINTEXT with SCRAM-SHA-512, each through -X, the --config file's
// [kafka] table and the environment, with the password always from a file or the environment.
// A wrong password and a CA that did not sign the broker's certificate each end the run at once
// (exit 1) with a message naming what to check. No secret appears in any output or report.
//
// SCRAM: librdkafka before 2.6.1 (Debian 12 ships 2.0.2) sends a SCRAM nonce that Kafka 4.x
// rejects, so there the SCRAM cases check the fast, explained failure instead of a delivery;
// with a newer librdkafka they must deliver.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "tests/real_kafka/real_kafka_env.h"

namespace sluice::realkafka {
namespace {

constexpr uint64_t kCount = 2000;
constexpr uint64_t kSeed = 31337;
constexpr const char* kTopic = "auth-flights";
constexpr int kPartitions = 2;
constexpr int kFailFastTimeoutMs = 60000;  // a bound against a hang, not a speed claim

bool ScramWorksWithKafka4() { return rd_kafka_version() >= 0x020601ff; }

/// A --config file's [kafka] table: "name" = "value" lines.
std::string KafkaTable(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string text = "[kafka]\n";
  for (const auto& [name, value] : properties) text += "\"" + name + "\" = \"" + value + "\"\n";
  return text;
}

class RealKafkaAuthentication : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_REQUIRE_KAFKA_CLUSTER(cluster);
    cluster_ = cluster;
    static bool produced = false;
    if (!produced) {
      ASSERT_EQ(cluster_->CreateTopic(kTopic, kPartitions), "");
      ProcessResult p = testing::ProduceFlights(cluster_->plaintext(), kTopic, kCount, kSeed);
      ASSERT_EQ(p.exit_code, 0) << p.err;
      produced = true;
    }
    plain_ = cluster_->User("PLAIN");
    scram_ = cluster_->User("SCRAM-SHA-512");
    ASSERT_NE(plain_, nullptr);
    ASSERT_NE(scram_, nullptr);
    std::string error;
    emulator_ = testing::EmulatorProcess::Start(kAccount, &error);
    ASSERT_NE(emulator_, nullptr) << error;
    dir_ = it::MakeTempDir();
  }
  void TearDown() override { it::RemoveTree(dir_); }

  /// Writes `secret` to a file of the test's folder and returns its path.
  std::string SecretFile(const std::string& name, const std::string& secret) {
    const std::string path = dir_ + "/" + name;
    testing::WriteFileText(path, secret + "\n");
    return path;
  }

  /// `sluice run --until-caught-up` on `bootstrap` with `extra` arguments and environment.
  ProcessResult Run(const std::string& bootstrap, const std::string& group, const std::vector<std::string>& extra,
                    const std::vector<std::string>& env, int timeout_ms) {
    it::SluiceRun run = it::KafkaRun(*emulator_, "s-" + group, bootstrap, kTopic, group);
    run.args.insert(run.args.end(), {"--until-caught-up", "--report", dir_ + "/report.json"});
    run.args.insert(run.args.end(), extra.begin(), extra.end());
    run.env.insert(run.env.end(), env.begin(), env.end());
    return testing::RunProcess(run.Options(), timeout_ms);
  }

  /// Neither the cluster's passwords nor the sink's nor `also` in the output or the report.
  void ExpectNoSecret(const ProcessResult& r, const std::string& also = "") {
    const std::string report = testing::ReadFileText(dir_ + "/report.json");
    for (const std::string& secret : {plain_->password, scram_->password, std::string(kPassword), also}) {
      if (secret.empty()) continue;
      EXPECT_EQ(r.all().find(secret), std::string::npos) << "a secret leaked into sluice's output";
      EXPECT_EQ(report.find(secret), std::string::npos) << "a secret leaked into the report";
    }
  }

  /// Exit 0, every row exact in the sink, the group committed to the end.
  void ExpectDelivered(const ProcessResult& r, const std::string& group) {
    ASSERT_FALSE(r.timed_out) << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err;
    it::ExpectedRows expected;
    ASSERT_TRUE(expected.ok()) << expected.error();
    ASSERT_TRUE(expected.AddGenerated(kSeed, kCount)) << expected.error();
    EXPECT_EQ(it::CompareRows(emulator_->Rows("s-" + group), expected.rows()), "");
    EXPECT_EQ(CommittedAtEnd(*cluster_, group, kTopic, kPartitions), "");
  }

  /// Exit 1 without hanging, with `words` in the message; nothing delivered.
  void ExpectFailedFast(const ProcessResult& r, const std::string& group, const std::vector<std::string>& words) {
    ASSERT_FALSE(r.timed_out) << "sluice hung instead of failing: " << r.err;
    EXPECT_EQ(r.exit_code, 1) << r.err;
    for (const auto& w : words) EXPECT_NE(r.err.find(w), std::string::npos) << "missing \"" << w << "\" in:\n" << r.err;
    testing::SinkStats stats = emulator_->Stats("s-" + group);
    EXPECT_EQ(stats.distinct_ids, 0u);
  }

  std::vector<std::string> SaslSsl(const std::string& password_file) const {
    return XArgs({"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=" + plain_->name,
                  "sasl.password=@" + password_file, "ssl.ca.location=" + cluster_->ca_path()});
  }

  KafkaCluster* cluster_ = nullptr;
  const testing::KafkaUser* plain_ = nullptr;
  const testing::KafkaUser* scram_ = nullptr;
  std::unique_ptr<testing::EmulatorProcess> emulator_;
  std::string dir_;
};

// The README's SASL_SSL quick start (-X, the password from a file) plus the private CA.
TEST_F(RealKafkaAuthentication, SaslSslPlainThroughXWithTheCaCheckedDeliversEverything) {
  const std::string group = "g-sasl-ssl-x";
  ProcessResult r =
      Run(cluster_->Bootstrap("SASL_SSL"), group, SaslSsl(SecretFile("pw", plain_->password)), {}, kRunTimeoutMs);
  ExpectDelivered(r, group);
  ExpectNoSecret(r);
}

TEST_F(RealKafkaAuthentication, SaslSslPlainThroughTheConfigFileDeliversEverything) {
  const std::string group = "g-sasl-ssl-config";
  const std::string config = dir_ + "/sluice.toml";
  testing::WriteFileText(config, KafkaTable({{"security.protocol", "SASL_SSL"},
                                             {"sasl.mechanism", "PLAIN"},
                                             {"sasl.username", plain_->name},
                                             {"sasl.password", "@" + SecretFile("pw", plain_->password)},
                                             {"ssl.ca.location", cluster_->ca_path()}}));
  ProcessResult r = Run(cluster_->Bootstrap("SASL_SSL"), group, {"--config", config}, {}, kRunTimeoutMs);
  ExpectDelivered(r, group);
  ExpectNoSecret(r);
}

TEST_F(RealKafkaAuthentication, SaslSslPlainWithThePasswordFileInTheEnvironmentDeliversEverything) {
  const std::string group = "g-sasl-ssl-env";
  ProcessResult r = Run(cluster_->Bootstrap("SASL_SSL"), group,
                        XArgs({"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=" + plain_->name,
                               "ssl.ca.location=" + cluster_->ca_path()}),
                        {"SLUICE_KAFKA_SASL_PASSWORD_FILE=" + SecretFile("pw", plain_->password)}, kRunTimeoutMs);
  ExpectDelivered(r, group);
  ExpectNoSecret(r);
}

TEST_F(RealKafkaAuthentication, ScramSha512ThroughXDeliversOrExplainsTheOldLibrdkafka) {
  const std::string group = "g-scram-x";
  ProcessResult r =
      Run(cluster_->Bootstrap("SASL_PLAINTEXT"), group,
          XArgs({"security.protocol=SASL_PLAINTEXT", "sasl.mechanism=SCRAM-SHA-512", "sasl.username=" + scram_->name,
                 "sasl.password=@" + SecretFile("scram-pw", scram_->password)}),
          {}, ScramWorksWithKafka4() ? kRunTimeoutMs : kFailFastTimeoutMs);
  if (ScramWorksWithKafka4()) {
    ExpectDelivered(r, group);
  } else {
    ExpectFailedFast(r, group, {"authentication with the broker failed", "SCRAM", "2.6.1"});
  }
  ExpectNoSecret(r);
}

TEST_F(RealKafkaAuthentication, ScramSha512ThroughTheConfigFileDeliversOrExplainsTheOldLibrdkafka) {
  const std::string group = "g-scram-config";
  const std::string config = dir_ + "/sluice.toml";
  testing::WriteFileText(config, KafkaTable({{"security.protocol", "SASL_PLAINTEXT"},
                                             {"sasl.mechanism", "SCRAM-SHA-512"},
                                             {"sasl.username", scram_->name},
                                             {"sasl.password", "@" + SecretFile("scram-pw", scram_->password)}}));
  ProcessResult r = Run(cluster_->Bootstrap("SASL_PLAINTEXT"), group, {"--config", config}, {},
                        ScramWorksWithKafka4() ? kRunTimeoutMs : kFailFastTimeoutMs);
  if (ScramWorksWithKafka4()) {
    ExpectDelivered(r, group);
  } else {
    ExpectFailedFast(r, group, {"authentication with the broker failed", "SCRAM", "2.6.1"});
  }
  ExpectNoSecret(r);
}

TEST_F(RealKafkaAuthentication, AWrongPasswordFailsFastNamingTheCredentials) {
  const std::string group = "g-wrong-password";
  const std::string wrong = "wrong-Pw-7f3e9a1c";
  ProcessResult r =
      Run(cluster_->Bootstrap("SASL_SSL"), group, SaslSsl(SecretFile("wrong-pw", wrong)), {}, kFailFastTimeoutMs);
  ExpectFailedFast(r, group, {"authentication with the broker failed", "sasl.password"});
  ExpectNoSecret(r, wrong);
}

TEST_F(RealKafkaAuthentication, ACaThatDidNotSignTheBrokerFailsFastNamingTheCa) {
  const std::string group = "g-wrong-ca";
  std::vector<std::string> args = XArgs(
      {"security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.username=" + plain_->name,
       "sasl.password=@" + SecretFile("pw", plain_->password), "ssl.ca.location=" + cluster_->untrusted_ca_path()});
  ProcessResult r = Run(cluster_->Bootstrap("SASL_SSL"), group, args, {}, kFailFastTimeoutMs);
  ExpectFailedFast(r, group, {"TLS handshake with the broker failed", "ssl.ca.location", "certificate verify failed"});
  ExpectNoSecret(r);
}

}  // namespace
}  // namespace sluice::realkafka
