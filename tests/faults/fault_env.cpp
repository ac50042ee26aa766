#include "tests/faults/fault_env.h"

#include <simdjson.h>

#include <cstdio>
#include <sstream>

namespace sluice::faults {

std::string MakeTempDir() { return testing::MakeTempDir("faults"); }

void StartFaultProcesses(const FaultSetup& setup, FaultProcesses* out) {
  std::string error;
  out->kafka = MockKafka::Start({.brokers = setup.brokers, .topic = "", .partitions = 0}, &error);
  ASSERT_NE(out->kafka, nullptr) << error;
  if (!setup.topic.empty()) {
    ASSERT_EQ(out->kafka->CreateTopic(setup.topic, setup.partitions), "");
    testing::ProcessResult produced = ProduceFlights(out->kafka->bootstrap(), setup.topic, setup.count, setup.seed);
    ASSERT_EQ(produced.exit_code, 0) << produced.err;
  }
  out->emulator = Emulator::Start(kAccount, &error, setup.emulator_args);
  ASSERT_NE(out->emulator, nullptr) << error;
}

testing::ProcessOptions SluiceKafkaRun(const Emulator& emu, const std::string& sink, const std::string& brokers,
                                       const std::string& topic, const std::string& group) {
  std::vector<std::string> args = testing::SinkArgs(emu, sink);
  const std::vector<std::string> kafka = testing::KafkaArgs(brokers, topic, group);
  args.insert(args.end(), kafka.begin(), kafka.end());
  args.insert(args.end(), {"-X", kShortSession});
  return testing::SluiceRunOptions(args, testing::CredentialEnv(kAccount));
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
