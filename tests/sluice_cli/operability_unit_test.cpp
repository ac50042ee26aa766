// The operator-facing pieces that need no process: the config file's line scan and path rules,
// SLUICE_<FLAG> names, the metrics address and readiness rule, requests by status, the shared
// report members and the redaction of the effective settings.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>

#include "app/config/config_lines.h"
#include "app/config/config_paths.h"
#include "app/config/env_options.h"
#include "app/metrics/metrics_server.h"
#include "app/metrics/readiness.h"
#include "app/pipeline_setup/effective_settings.h"
#include "app/report/report_common.h"
#include "stages/http_sink/status_counts.h"

namespace sluice {
namespace {

using cli::ScanConfigLines;

TEST(ConfigLines, RecordsEachKeyWithItsLineAndSection) {
  auto lines = ScanConfigLines(
      "# job\nbatch-size = 5 # five\n\ntopic = [\"a\",\n  \"b#c\"]\n[kafka]\n\"sasl.password\" = \"x#y\"\n");
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  ASSERT_EQ(lines->size(), 3u);
  EXPECT_EQ(cli::LineOfKey(*lines, "", "batch-size"), 2);
  EXPECT_EQ(cli::LineOfKey(*lines, "", "topic"), 4);
  EXPECT_EQ(cli::LineOfKey(*lines, "kafka", "sasl.password"), 7);
  EXPECT_EQ(cli::LineOfKey(*lines, "", "nothing"), 0);
}

TEST(ConfigLines, NamesTheLineOfWhatIsNotToml) {
  EXPECT_EQ(ScanConfigLines("a = 1\nbatch-size 5\n").status().message(), "line 2: expected key = value");
  EXPECT_NE(ScanConfigLines("a = 1\n\nb = \"open\n").status().message().find("line 3:"), std::string::npos);
  EXPECT_NE(ScanConfigLines("x = [1,\n2,\n").status().message().find("line 1: the array of \"x\" is not closed"),
            std::string::npos);
  EXPECT_NE(ScanConfigLines("[kafka\n").status().message().find("line 1:"), std::string::npos);
  EXPECT_NE(ScanConfigLines("k =\n").status().message().find("line 1:"), std::string::npos);
  // The message never quotes the line's value.
  EXPECT_EQ(ScanConfigLines("password = \"hunter2\n").status().message().find("hunter2"), std::string::npos);
}

TEST(ConfigPaths, RelativePathsMoveToTheFilesFolder) {
  EXPECT_EQ(cli::ConfigFolder("/etc/sluice/a.toml"), "/etc/sluice");
  EXPECT_EQ(cli::ConfigFolder("a.toml"), ".");
  EXPECT_EQ(cli::ResolveSettingPath("schema", "schema.json", "/etc/sluice"), "/etc/sluice/schema.json");
  EXPECT_EQ(cli::ResolveSettingPath("schema", "/abs/schema.json", "/etc/sluice"), "/abs/schema.json");
  EXPECT_EQ(cli::ResolveSettingPath("ca-file", "ca.pem", "conf"), "conf/ca.pem");
  EXPECT_EQ(cli::ResolveSettingPath("dlq", "file:dead.ndjson", "/d"), "file:/d/dead.ndjson");
  EXPECT_EQ(cli::ResolveSettingPath("dlq", "kafka:dead", "/d"), "kafka:dead");
  EXPECT_EQ(cli::ResolveSettingPath("source", "file:in.ndjson", "/d"), "file:/d/in.ndjson");
  EXPECT_EQ(cli::ResolveSettingPath("source", "stdin", "/d"), "stdin");
  EXPECT_EQ(cli::ResolveSettingPath("batch-size", "500", "/d"), "500");
  EXPECT_EQ(cli::ResolveKafkaPropertyPath("sasl.password", "@secret", "/d"), "@/d/secret");
  EXPECT_EQ(cli::ResolveKafkaPropertyPath("ssl.ca.location", "ca.pem", "/d"), "/d/ca.pem");
  EXPECT_EQ(cli::ResolveKafkaPropertyPath("client.id", "me", "/d"), "me");
}

TEST(EnvOptions, FlagNamesBecomeUpperCaseVariables) {
  EXPECT_EQ(cli::EnvNameForFlag("sink-url"), "SLUICE_SINK_URL");
  EXPECT_EQ(cli::EnvNameForFlag("batch-size"), "SLUICE_BATCH_SIZE");
  EXPECT_EQ(cli::EnvNameForFlag("until-caught-up"), "SLUICE_UNTIL_CAUGHT_UP");
}

TEST(MetricsAddress, AColonAndAPortListenOnEveryInterface) {
  std::string host;
  uint16_t port = 0;
  ASSERT_TRUE(metrics::ParseHostPort(":9464", &host, &port).ok());
  EXPECT_EQ(host, "0.0.0.0");
  EXPECT_EQ(port, 9464);
  ASSERT_TRUE(metrics::ParseHostPort("localhost:1", &host, &port).ok());
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_FALSE(metrics::ParseHostPort("9464", &host, &port).ok());
  EXPECT_FALSE(metrics::ParseHostPort(":", &host, &port).ok());
}

TEST(Readiness, ReadyOnlyWhileRunningAssignedAndDelivering) {
  metrics::ReadinessInputs in;
  in.started = true;
  in.kafka = true;
  in.assigned_partitions = 2;
  EXPECT_EQ(metrics::NotReadyReason(in), "");
  metrics::ReadinessInputs unassigned = in;
  unassigned.assigned_partitions = 0;
  EXPECT_NE(metrics::NotReadyReason(unassigned).find("partition"), std::string::npos);
  metrics::ReadinessInputs failing = in;
  failing.sink_delivering = false;
  EXPECT_NE(metrics::NotReadyReason(failing).find("sink"), std::string::npos);
  metrics::ReadinessInputs stopping = in;
  stopping.stopping = true;
  EXPECT_NE(metrics::NotReadyReason(stopping), "");
  metrics::ReadinessInputs file;
  file.started = true;
  EXPECT_EQ(metrics::NotReadyReason(file), "") << "a file source reads from the start";
  EXPECT_NE(metrics::NotReadyReason(metrics::ReadinessInputs{}), "") << "not started";
}

TEST(StatusCounts, CountsByStatusAndFollowsTheLatestAnswer) {
  stages::StatusCounts counts;
  EXPECT_TRUE(counts.LastDelivering());
  counts.Record(true, 200);
  counts.Record(true, 200);
  counts.Record(true, 503);
  EXPECT_FALSE(counts.LastDelivering());
  counts.Record(false, 0);
  EXPECT_FALSE(counts.LastDelivering());
  counts.Record(true, 400);
  EXPECT_TRUE(counts.LastDelivering()) << "a 400 judges records; the sink is up";
  counts.Record(true, 429);
  EXPECT_FALSE(counts.LastDelivering());
  const std::vector<std::pair<int, uint64_t>> expected = {{0, 1}, {200, 2}, {400, 1}, {429, 1}, {503, 1}};
  EXPECT_EQ(counts.Snapshot(), expected);
}

TEST(ReportCommon, AppendsTheSharedMembersAsValidJson) {
  report::ReportCommon c;
  c.started_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1796600134123));
  c.ended_at = c.started_at + std::chrono::seconds(2);
  c.request_latency_ms = {3, 1.5, 2, 3, 3, 3};
  c.retries = {4, 1, 2, 1};
  c.rejected_records = 7;
  c.error = "a \"quoted\" reason";
  c.settings = {{"batch-size", {{"500"}, false}}, {"topic", {{"a", "b"}, true}}, {"group", {{"g1"}, false}}};
  const std::string json = report::WithCommonMembers("{\n  \"own\": 1\n}\n", c);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  EXPECT_EQ(std::string_view(doc["started_at"].get_string().value()), "2026-12-06T23:35:34.123Z");
  EXPECT_EQ(doc["own"].get_int64().value(), 1);
  EXPECT_EQ(doc["retries"]["server"].get_int64().value(), 2);
  EXPECT_EQ(doc["errors"]["rejected_records"].get_int64().value(), 7);
  EXPECT_EQ(doc["settings"]["batch-size"].get_int64().value(), 500);
  EXPECT_EQ(std::string_view(doc["settings"]["group"].get_string().value()), "g1");
  EXPECT_EQ(doc["settings"]["topic"].get_array().size(), 2u);
  EXPECT_FALSE(parser.parse(report::WithCommonMembers("{}", c)).get(doc)) << "an empty object gets no stray comma";
}

TEST(EffectiveSettings, ShowsEveryFlagAndNoSecret) {
  cli::RunOptions o;
  o.batch_size = 123;
  o.until_caught_up = true;
  o.sink_urls = {"https://user:pw-SECRET-1@sink.example/v1"};
  o.headers = {"Authorization: Bearer tok-SECRET-2", "X-Trace: visible"};
  o.kafka_props = {"sasl.password=kp-SECRET-3", "sasl.username=reader", "ssl.key.password=@/run/key"};
  o.config_kafka_properties = {{"sasl.oauthbearer.client.secret", "cs-SECRET-4"}};
  const report::Settings settings = cli::EffectiveSettings(o);
  report::ReportCommon c;
  c.settings = settings;
  const std::string json = report::WithCommonMembers("{}", c);
  EXPECT_EQ(json.find("SECRET"), std::string::npos) << json;
  EXPECT_NE(json.find("\"batch-size\": 123"), std::string::npos) << json;
  EXPECT_NE(json.find("\"until-caught-up\": true"), std::string::npos) << json;
  EXPECT_NE(json.find("\"https://user:set@sink.example/v1\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"Authorization: set\", \"X-Trace: visible\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"sasl.password=set\", \"sasl.username=reader\", \"ssl.key.password=@/run/key\""),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"kafka.sasl.oauthbearer.client.secret\": \"set\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"memory-budget\": \"512MiB\""), std::string::npos) << "defaults are listed too: " << json;
}

}  // namespace
}  // namespace sluice
