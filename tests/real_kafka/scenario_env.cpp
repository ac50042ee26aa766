// File: tests/real_kafka/scenario_env.cpp
// See scenario_env.h.
#include "tests/real_kafka/scenario_env.h"

#include <cstdlib>
#include <sstream>
#include <thread>

#include "app/common/http_get.h"
#include "tests/testing/sluice_metrics.h"

namespace sluice::realkafka {

testing::ProcessOptions MemberArgs(const testing::EmulatorProcess& emu, const std::string& sink,
                                   const std::string& brokers, const std::string& topic, const std::string& group,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> args = testing::SinkArgs(emu, sink);
  const std::vector<std::string> kafka = testing::KafkaArgs(brokers, topic, group);
  args.insert(args.end(), kafka.begin(), kafka.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return testing::SluiceRunOptions(args, testing::CredentialEnv(kScenarioAccount));
}

int64_t MetricValue(testing::Subprocess& child, const std::string& metric) {
  const std::string url = testing::MetricsUrl(child.StderrSoFar());
  if (url.empty()) return -1;
  StatusOr<tools::HttpResponse> r = tools::HttpGet(url);
  if (!r.ok() || r->status != 200) return -1;
  std::istringstream lines(r->body);
  std::string line;
  const std::string name = metric + " ";
  while (std::getline(lines, line)) {
    if (line.rfind(name, 0) == 0) return static_cast<int64_t>(std::strtod(line.c_str() + name.size(), nullptr));
  }
  return -1;
}

int64_t DeliveredSoFar(testing::Subprocess& child) { return MetricValue(child, "sluice_records_delivered_total"); }

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the poll interval
  }
}

}  // namespace sluice::realkafka
