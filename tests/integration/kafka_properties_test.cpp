// Where librdkafka properties (and the secrets among them) come from, with the real executables:
// the --config file's [kafka] table, "@PATH" values, SLUICE_KAFKA_<PROPERTY>[_FILE] variables and
// -X, in that order of precedence. A bad value for a real property must come back as librdkafka's
// complaint naming the property (proof that the value reached librdkafka), and no error may
// print a value: the suite's password is used as the offending value wherever it can be.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/integration/integration_env.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 100000;
constexpr uint64_t kCount = 300;
const char* const kTopic = "props";

class KafkaProperties : public IntegrationSuite<KafkaProperties> {
 protected:
  static void SetUpTestSuite() { StartShared({.topic = kTopic, .partitions = 2, .count = kCount, .seed = 77}); }

  /// A bounded run of the topic into `sink` with group "g-" + sink.
  SluiceRun Run(const std::string& sink) {
    SluiceRun run = KafkaRun(*emulator_, sink, kafka_->bootstrap(), kTopic, "g-" + sink);
    run.args.insert(run.args.end(), {"--until-caught-up", "-X", kShortSession});
    return run;
  }

  /// Writes `text` to a file of this test's directory and returns its path.
  std::string File(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    WriteFileText(path, text);
    return path;
  }

  /// Exit 2 (configuration error), every string of `expect` on stderr, the password nowhere,
  /// nothing sent.
  void ExpectRefused(const SluiceRun& run, const std::string& sink, const std::vector<std::string>& expect) {
    testing::ProcessResult r = testing::RunProcess(run.Options(), 30000);
    ASSERT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 2) << r.all();
    for (const auto& want : expect)
      EXPECT_NE(r.err.find(want), std::string::npos) << "expected \"" << want << "\" in:\n" << r.err;
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "a value was echoed:\n" << r.all();
    EXPECT_EQ(emulator_->Stats(sink).requests, 0u);
  }

  /// Exit 0 with every record delivered; returns stderr.
  std::string ExpectDelivered(const SluiceRun& run, const std::string& sink) {
    testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    EXPECT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.all();
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "a secret leaked:\n" << r.all();
    EXPECT_EQ(emulator_->Stats(sink).distinct_ids, kCount) << r.err;
    return r.err;
  }
};

TEST_F(KafkaProperties, KafkaTableOfTheConfigFileReachesLibrdkafka) {
  // socket.timeout.ms takes a number: librdkafka's own refusal names it, without the value.
  const std::string config =
      File("bad.toml", std::string("[kafka]\n\"socket.timeout.ms\" = \"") + kPassword + "\"\n");
  SluiceRun run = Run("table-bad");
  run.args.insert(run.args.end(), {"--config", config});
  ExpectRefused(run, "table-bad", {"socket.timeout.ms", "[kafka]", "invalid value"});
}

TEST_F(KafkaProperties, KafkaTableAppliesAndTheCommandLineWins) {
  // The table's bad socket.timeout.ms would stop the run; -X replaces it. The table's
  // client.id and secret reach the effective settings that --debug prints, the secret redacted.
  const std::string config = File("good.toml", std::string("batch-size = 100\n[kafka]\n"
                                                           "\"socket.timeout.ms\" = \"not-a-number\"\n"
                                                           "client.id = \"from-config-file\"\n"
                                                           "\"sasl.password\" = \"") +
                                                   kPassword + "\"\n");
  SluiceRun run = Run("table-good");
  run.args.insert(run.args.end(), {"--config", config, "-X", "socket.timeout.ms=45000", "--debug"});
  const std::string err = ExpectDelivered(run, "table-good");
  EXPECT_NE(err.find("client.id=from-config-file  (--config [kafka] table)"), std::string::npos) << err;
  EXPECT_NE(err.find("socket.timeout.ms=45000  (-X)"), std::string::npos) << err;
  EXPECT_NE(err.find("sasl.password=[redacted]"), std::string::npos) << err;
}

TEST_F(KafkaProperties, AtPathReadsTheValueFromAFile) {
  // With the file form the value is 45000 (newline stripped); read literally, "@/..." is no number.
  const std::string value_file = File("timeout", "45000\n");
  const std::string secret_file = File("secret", std::string(kPassword) + "\n");
  SluiceRun run = Run("at-file");
  run.args.insert(run.args.end(),
                  {"-X", "socket.timeout.ms=@" + value_file, "-X", "sasl.password=@" + secret_file, "--debug"});
  const std::string err = ExpectDelivered(run, "at-file");
  EXPECT_NE(err.find("socket.timeout.ms=45000  (-X)"), std::string::npos) << err;
}

TEST_F(KafkaProperties, MissingValueFileNamesThePropertyAndThePath) {
  const std::string missing = dir_ + "/no-such-dir/kafka-password";
  SluiceRun run = Run("at-missing");
  run.args.insert(run.args.end(), {"-X", "sasl.password=@" + missing});
  ExpectRefused(run, "at-missing", {"sasl.password", missing});
}

TEST_F(KafkaProperties, EnvironmentVariablesSetProperties) {
  const std::string value_file = File("timeout", "45000\n");
  SluiceRun run = Run("env-good");
  run.env.push_back("SLUICE_KAFKA_SOCKET_TIMEOUT_MS_FILE=" + value_file);
  run.env.push_back("SLUICE_KAFKA_CLIENT_ID=from-env");
  run.env.push_back(std::string("SLUICE_KAFKA_SASL_PASSWORD=") + kPassword);
  run.args.push_back("--debug");
  const std::string err = ExpectDelivered(run, "env-good");
  EXPECT_NE(err.find("socket.timeout.ms=45000  (SLUICE_KAFKA_SOCKET_TIMEOUT_MS_FILE)"), std::string::npos) << err;
  EXPECT_NE(err.find("client.id=from-env  (SLUICE_KAFKA_CLIENT_ID)"), std::string::npos) << err;
  EXPECT_NE(err.find("sasl.password=[redacted]  (SLUICE_KAFKA_SASL_PASSWORD)"), std::string::npos) << err;
}

TEST_F(KafkaProperties, EnvironmentValueReachesLibrdkafka) {
  SluiceRun run = Run("env-bad");
  run.env.push_back(std::string("SLUICE_KAFKA_SOCKET_TIMEOUT_MS=") + kPassword);
  ExpectRefused(run, "env-bad", {"SLUICE_KAFKA_SOCKET_TIMEOUT_MS", "socket.timeout.ms", "invalid value"});
}

TEST_F(KafkaProperties, MissingSecretFileFromTheEnvironmentNamesThePath) {
  const std::string missing = dir_ + "/no-such-secret";
  SluiceRun run = Run("env-missing");
  run.env.push_back("SLUICE_KAFKA_SASL_PASSWORD_FILE=" + missing);
  ExpectRefused(run, "env-missing", {"SLUICE_KAFKA_SASL_PASSWORD_FILE", "sasl.password", missing});
}

TEST_F(KafkaProperties, BadValueOfAnyPropertyIsNotEchoed) {
  // librdkafka quotes the value it refuses for an enumerated property such as this one.
  SluiceRun run = Run("x-bad");
  run.args.insert(run.args.end(), {"-X", std::string("security.protocol=") + kPassword});
  ExpectRefused(run, "x-bad", {"security.protocol", "invalid value"});
}

TEST_F(KafkaProperties, RefusedConfigLinesDoNotEchoSecrets) {
  // -X written into the file, the way it was once the only way.
  const std::string x_line = File("x.toml", std::string("X = [\"sasl.password=") + kPassword + "\"]\n");
  SluiceRun run = Run("cfg-x");
  run.args.insert(run.args.end(), {"--config", x_line});
  ExpectRefused(run, "cfg-x", {"\"X\"", "[kafka]"});

  // A misspelt key holding a secret.
  const std::string typo = File("typo.toml", std::string("sasl-password = \"") + kPassword + "\"\n");
  SluiceRun run2 = Run("cfg-typo");
  run2.args.insert(run2.args.end(), {"--config", typo});
  ExpectRefused(run2, "cfg-typo", {"unknown key \"sasl-password\""});

  // A known key with a value CLI11 refuses (a secret pasted into the wrong line).
  const std::string url = File("url.toml", std::string("request-timeout-ms = \"") + kPassword + "\"\n");
  SluiceRun run3 = Run("cfg-value");
  run3.args.insert(run3.args.end(), {"--config", url});
  ExpectRefused(run3, "cfg-value", {"request-timeout-ms"});
}

TEST_F(KafkaProperties, KafkaDeadLetterProducerTakesTheSameProperties) {
  // A file source with a Kafka DLQ: the properties are resolved and checked for the producer too.
  const std::string input = File("in.ndjson", "{\"flight_id\": 1}\n");
  SluiceRun run = FileRun(*emulator_, "dlq-props", "file:" + input);
  run.args.insert(run.args.end(), {"--dlq", "kafka:props-dlq", "--brokers", kafka_->bootstrap()});
  run.env.push_back(std::string("SLUICE_KAFKA_SOCKET_TIMEOUT_MS=") + kPassword);
  ExpectRefused(run, "dlq-props", {"SLUICE_KAFKA_SOCKET_TIMEOUT_MS", "socket.timeout.ms"});
}

}  // namespace
}  // namespace sluice::it
