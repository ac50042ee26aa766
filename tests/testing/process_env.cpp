#include "tests/testing/process_env.h"

#include <simdjson.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "app/common/child_process.h"  // ExecutableDir
#include "app/common/http_get.h"

namespace sluice::testing {

std::string BinDir() {
  const char* d = std::getenv("SLUICE_BIN_DIR");
  if (d != nullptr && *d != '\0') return d;
  return tools::ExecutableDir() + "/../bin";
}

std::string ExamplesDir() {
  const char* d = std::getenv("SLUICE_SOURCE_DIR");
  return std::string(d != nullptr && *d != '\0' ? d : ".") + "/examples/flights";
}

std::string SchemaPath() { return ExamplesDir() + "/schema.json"; }
std::string TablePath() { return ExamplesDir() + "/table.json"; }

std::string LastLogMessage(const std::string& text) {
  const size_t end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  const size_t nl = text.rfind('\n', end);
  const size_t start = nl == std::string::npos ? 0 : nl + 1;
  const std::string line = text.substr(start, end - start + 1);
  size_t at = line.find(' ');                                         // after the timestamp
  if (at != std::string::npos) at = line.find_first_not_of(' ', at);  // the level
  if (at != std::string::npos) at = line.find(' ', at);
  if (at != std::string::npos) at = line.find_first_not_of(' ', at);  // the component
  return at == std::string::npos ? line : line.substr(at);
}

// ---------------------------------------------------------------------------------------------
// Children that print their address first

std::unique_ptr<MockKafkaProcess> MockKafkaProcess::Start(const MockKafkaOptions& options, std::string* error) {
  std::vector<std::string> argv = {BinDir() + "/sluice-mock-kafka"};
  if (options.brokers > 0) argv.insert(argv.end(), {"--broker-count", std::to_string(options.brokers)});
  if (options.honour_allow_auto_create) argv.push_back("--honour-allow-auto-create");
  if (!options.topic.empty()) {
    argv.insert(argv.end(), {"--topic", options.topic, "--partitions", std::to_string(options.partitions)});
  }
  ProcessOptions options_for_child;
  options_for_child.argv = argv;
  options_for_child.stdin_pipe = true;  // the control protocol
  std::string line;
  auto child = StartServer(options_for_child, "127.0.0.1:", &line, error);
  if (!child) return nullptr;
  auto p = std::unique_ptr<MockKafkaProcess>(new MockKafkaProcess());
  p->child_ = std::move(child);
  p->bootstrap_ = line;
  return p;
}

std::string MockKafkaProcess::Command(const std::string& line) {
  if (!child_->Write(line + "\n")) return "error: cannot write to sluice-mock-kafka";
  std::string answer, error;
  if (!child_->ReadLine(20000, &answer, &error)) return "error " + error;
  return answer;
}

std::string MockKafkaProcess::CreateTopic(const std::string& topic, int partitions) {
  const std::string answer = Command("create-topic " + topic + " " + std::to_string(partitions));
  return answer.rfind("ok ", 0) == 0 ? "" : answer;
}

std::unique_ptr<EmulatorProcess> EmulatorProcess::Start(const TestAccount& account, std::string* error,
                                                        const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {
      BinDir() + "/sluice-sink-emulator", "--port", "0", "--schema", SchemaPath(), "--table", TablePath()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  const std::string prefix = "listening on ";
  ProcessOptions options;
  options.argv = argv;
  options.env = {std::string("SLUICE_EMULATOR_USERS=") + account.user + ":" + account.password};
  std::string line;
  auto child = StartServer(options, prefix, &line, error);
  if (!child) return nullptr;
  auto p = std::unique_ptr<EmulatorProcess>(new EmulatorProcess());
  p->child_ = std::move(child);
  p->base_ = "http://" + line.substr(prefix.size());
  return p;
}

SinkStats EmulatorProcess::Stats(const std::string& sink) const {
  SinkStats s;
  StatusOr<tools::HttpResponse> r = tools::HttpGet(SinkUrl(sink) + "/stats");
  if (!r.ok() || r->status != 200) return s;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string body(r->body);
  if (parser.parse(body).get(e)) return s;
  auto field = [&](const char* name, uint64_t* out) { return !e[name].get_uint64().get(*out); };
  s.ok = field("requests", &s.requests) && field("records_received", &s.records_received) &&
         field("records_stored", &s.records_stored) && field("distinct_ids", &s.distinct_ids) &&
         field("duplicates", &s.duplicates) && field("rejected", &s.rejected);
  return s;
}

uint64_t EmulatorProcess::WaitForDistinctIds(const std::string& sink, uint64_t at_least,
                                             std::chrono::milliseconds timeout, std::chrono::milliseconds poll) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint64_t n = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    n = Stats(sink).distinct_ids;
    if (n >= at_least) break;
    std::this_thread::sleep_for(poll);
  }
  return n;
}

std::string EmulatorProcess::Rows(const std::string& sink) const {
  StatusOr<tools::HttpResponse> r = tools::HttpGet(SinkUrl(sink) + "/rows");
  if (!r.ok() || r->status != 200) return "";
  return r->body;
}

bool EmulatorProcess::SetFaults(const std::string& json) const {
  StatusOr<tools::HttpResponse> r = tools::HttpPost(base_ + "/admin/faults", json);
  return r.ok() && r->status == 200;
}

bool EmulatorProcess::ClearFaults() const {
  return SetFaults(
      "{\"error_500_rate\":0,\"error_503_rate\":0,\"error_429_rate\":0,\"retry_after_s\":1,\"error_401_rate\":0,"
      "\"drop_connection_rate\":0,\"latency_ms\":0,\"latency_jitter_ms\":0,\"max_body_bytes\":10485760,"
      "\"reject_ids\":[],\"down\":false}");
}

bool EmulatorProcess::Admin(const std::string& what) const {
  StatusOr<tools::HttpResponse> r = tools::HttpPost(base_ + "/admin/" + what, "");
  return r.ok() && r->status == 200;
}

// ---------------------------------------------------------------------------------------------
// sluice run, fake flights

std::vector<std::string> SinkArgs(const EmulatorProcess& emu, const std::string& sink) {
  return {"--schema", SchemaPath(),  "--table",    TablePath(),   "--sink-url", emu.SinkUrl(sink),
          "--auth",   "featurebase", "--auth-url", emu.AuthUrl(), "-q"};
}

std::vector<std::string> KafkaArgs(const std::string& brokers, const std::string& topic, const std::string& group) {
  return {"--brokers", brokers, "--topic", topic, "--group", group};
}

std::vector<std::string> CredentialEnv(const TestAccount& account) {
  return {std::string("SLUICE_USERNAME=") + account.user, std::string("SLUICE_PASSWORD=") + account.password};
}

ProcessOptions SluiceRunOptions(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  ProcessOptions o;
  o.argv = {BinDir() + "/sluice", "run"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = env;
  return o;
}

ProcessResult ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count, uint64_t seed,
                             uint64_t first_id) {
  ProcessOptions o;
  o.argv = {BinDir() + "/sluice-fake-flights",
            "--brokers",
            brokers,
            "--topic",
            topic,
            "--count",
            std::to_string(count),
            "--seed",
            std::to_string(seed),
            "--first-id",
            std::to_string(first_id)};
  return RunProcess(o, 90000);
}

ProcessResult WriteFlightsFile(const std::string& path, uint64_t count, uint64_t seed) {
  ProcessOptions o;
  o.argv = {BinDir() + "/sluice-fake-flights",
            "--output",
            path,
            "--count",
            std::to_string(count),
            "--seed",
            std::to_string(seed)};
  return RunProcess(o, 60000);
}

}  // namespace sluice::testing
