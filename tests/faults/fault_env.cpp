#include "tests/faults/fault_env.h"

#include <simdjson.h>
#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tools/common/http_get.h"

namespace sluice::faults {

std::string BinDir() {
  const char* d = std::getenv("SLUICE_BIN_DIR");
  if (d != nullptr && *d != '\0') return d;
  return tools::ExecutableDir() + "/../bin";
}

namespace {
std::string ExamplesDir() {
  const char* d = std::getenv("SLUICE_SOURCE_DIR");
  return std::string(d != nullptr && *d != '\0' ? d : ".") + "/examples/flights";
}
}  // namespace

std::string SchemaPath() { return ExamplesDir() + "/schema.json"; }
std::string TablePath() { return ExamplesDir() + "/table.json"; }

std::string MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/sluice-faults-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "/tmp";
  return tmpl;
}

std::string ReadFileText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::unique_ptr<MockKafka> MockKafka::Start(int brokers, std::string* error) {
  auto child = tools::ChildProcess::Start({BinDir() + "/sluice-mock-kafka", "--broker-count", std::to_string(brokers)});
  if (!child.ok()) {
    *error = child.status().ToString();
    return nullptr;
  }
  StatusOr<std::string> line = (*child)->ReadLine(20000);
  if (!line.ok() || line->find("127.0.0.1:") != 0) {
    *error = "sluice-mock-kafka printed no bootstrap address";
    return nullptr;
  }
  auto p = std::unique_ptr<MockKafka>(new MockKafka());
  p->child_ = std::move(*child);
  p->bootstrap_ = *line;
  return p;
}

std::string MockKafka::Command(const std::string& line) {
  Status w = child_->Write(line + "\n");
  if (!w.ok()) return "error " + w.ToString();
  StatusOr<std::string> answer = child_->ReadLine(20000);
  if (!answer.ok()) return "error " + answer.status().ToString();
  return *answer;
}

std::string MockKafka::CreateTopic(const std::string& topic, int partitions) {
  const std::string answer = Command("create-topic " + topic + " " + std::to_string(partitions));
  return answer.rfind("ok ", 0) == 0 ? "" : answer;
}

std::unique_ptr<Emulator> Emulator::Start(std::string* error, const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv = {BinDir() + "/sluice-sink-emulator", "--port", "0", "--schema", SchemaPath(),
                                   "--table", TablePath()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  auto child = tools::ChildProcess::Start(argv, {std::string("SLUICE_EMULATOR_USERS=") + kUser + ":" + kPassword});
  if (!child.ok()) {
    *error = child.status().ToString();
    return nullptr;
  }
  StatusOr<std::string> line = (*child)->ReadLine(20000);
  const std::string prefix = "listening on ";
  if (!line.ok() || line->find(prefix) != 0) {
    *error = "sluice-sink-emulator did not print its address";
    return nullptr;
  }
  auto p = std::unique_ptr<Emulator>(new Emulator());
  p->child_ = std::move(*child);
  p->base_ = "http://" + line->substr(prefix.size());
  return p;
}

SinkStats Emulator::Stats(const std::string& sink) const {
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

bool Emulator::SetFaults(const std::string& json) const {
  StatusOr<tools::HttpResponse> r = tools::HttpPost(base_ + "/admin/faults", json);
  return r.ok() && r->status == 200;
}

bool Emulator::ClearFaults() const {
  return SetFaults(
      "{\"error_500_rate\":0,\"error_503_rate\":0,\"error_429_rate\":0,\"retry_after_s\":1,\"error_401_rate\":0,"
      "\"drop_connection_rate\":0,\"latency_ms\":0,\"latency_jitter_ms\":0,\"max_body_bytes\":10485760,"
      "\"reject_ids\":[],\"down\":false}");
}

bool Emulator::Admin(const std::string& what) const {
  StatusOr<tools::HttpResponse> r = tools::HttpPost(base_ + "/admin/" + what, "");
  return r.ok() && r->status == 200;
}

RunReport ParseReport(const std::string& json) {
  RunReport r;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string text(json);
  if (parser.parse(text).get(e)) return r;
  bool ok = !e["ok"].get_bool().get(r.ok);
  ok = ok && !e["consumed"].get_int64().get(r.consumed);
  ok = ok && !e["delivered"].get_int64().get(r.delivered);
  ok = ok && !e["dead_lettered"].get_int64().get(r.dead_lettered);
  ok = ok && !e["requests"].get_int64().get(r.requests);
  ok = ok && !e["retries"]["total"].get_int64().get(r.retries_total);
  ok = ok && !e["retries"]["throttled"].get_int64().get(r.retries_throttled);
  ok = ok && !e["retries"]["server"].get_int64().get(r.retries_server);
  ok = ok && !e["retries"]["network"].get_int64().get(r.retries_network);
  ok = ok && !e["auth_refreshes"].get_int64().get(r.auth_refreshes);
  ok = ok && !e["splits"].get_int64().get(r.splits);
  std::string_view err;
  if (!e["error"].get_string().get(err)) r.error = std::string(err);
  r.parsed = ok;
  return r;
}

testing::ProcessOptions SluiceKafkaRun(const Emulator& emu, const std::string& sink, const std::string& brokers,
                                       const std::string& topic, const std::string& group) {
  testing::ProcessOptions o;
  o.argv = {BinDir() + "/sluice", "run", "--schema", SchemaPath(), "--table", TablePath(), "--sink-url",
            emu.SinkUrl(sink), "--auth", "featurebase", "--auth-url", emu.AuthUrl(), "-q", "--brokers", brokers,
            "--topic", topic, "--group", group, "-X", kShortSession};
  o.env = {std::string("SLUICE_USERNAME=") + kUser, std::string("SLUICE_PASSWORD=") + kPassword};
  return o;
}

testing::ProcessResult ProduceFlights(const std::string& brokers, const std::string& topic, uint64_t count,
                                      uint64_t seed, uint64_t first_id) {
  testing::ProcessOptions o;
  o.argv = {BinDir() + "/sluice-fake-flights", "--brokers", brokers, "--topic", topic, "--count",
            std::to_string(count), "--seed", std::to_string(seed), "--first-id", std::to_string(first_id)};
  return testing::RunProcess(o, 90000);
}

bool ReadDeadLetters(const std::string& path, std::vector<DeadLetter>* out, std::string* error) {
  std::istringstream lines(ReadFileText(path));
  std::string line;
  simdjson::dom::parser parser;
  simdjson::dom::parser inner;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    simdjson::dom::element e;
    std::string_view reason, stage, value;
    if (parser.parse(padded).get(e) || e["reason"].get_string().get(reason) || e["stage"].get_string().get(stage) ||
        e["value"].get_string().get(value)) {
      *error = "bad dead-letter line: " + line;
      return false;
    }
    DeadLetter d;
    d.reason = std::string(reason);
    d.stage = std::string(stage);
    simdjson::padded_string record(value);
    simdjson::dom::element v;
    if (inner.parse(record).get(v) || v["flight_id"].get_uint64().get(d.flight_id)) {
      *error = "dead-lettered value without a flight_id: " + line;
      return false;
    }
    out->push_back(std::move(d));
  }
  return true;
}

void PrintTableLine(const std::string& fault, uint64_t sent, const SinkStats& s, const RunReport& r) {
  std::printf(
      "[ table ] %-26s sent %7llu  delivered %7lld  distinct %7llu  duplicates %6llu  dead-lettered %4lld  "
      "retries total %5lld throttled %4lld server %4lld network %4lld  auth_refreshes %3lld  splits %3lld\n",
      fault.c_str(), static_cast<unsigned long long>(sent), static_cast<long long>(r.delivered),
      static_cast<unsigned long long>(s.distinct_ids), static_cast<unsigned long long>(s.duplicates),
      static_cast<long long>(r.dead_lettered), static_cast<long long>(r.retries_total),
      static_cast<long long>(r.retries_throttled), static_cast<long long>(r.retries_server),
      static_cast<long long>(r.retries_network), static_cast<long long>(r.auth_refreshes),
      static_cast<long long>(r.splits));
  std::fflush(stdout);
}

}  // namespace sluice::faults
