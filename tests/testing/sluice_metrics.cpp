#include "tests/testing/sluice_metrics.h"

#include <cstdlib>
#include <sstream>
#include <thread>

#include "app/common/http_get.h"

namespace sluice::testing {

std::vector<std::string> MetricsArgs() { return {"--metrics-addr", "127.0.0.1:0"}; }

std::string MetricsUrl(const std::string& stderr_text) {
  const std::string marker = "metrics at http://";
  const size_t at = stderr_text.find(marker);
  if (at == std::string::npos) return "";
  const std::string port_key = "(port ";
  const size_t port_at = stderr_text.find(port_key, at);
  if (port_at == std::string::npos) return "";
  const int port = std::atoi(stderr_text.c_str() + port_at + port_key.size());
  if (port <= 0) return "";
  return "http://127.0.0.1:" + std::to_string(port) + "/metrics";
}

std::set<int> FetchedPartitions(const std::string& metrics_text, const std::string& topic) {
  std::set<int> out;
  const std::string topic_label = "topic=\"" + topic + "\"";
  const std::string partition_label = "partition=\"";
  std::istringstream lines(metrics_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("sluice_partition_assigned{", 0) != 0) continue;
    const size_t labels_end = line.find('}');
    if (labels_end == std::string::npos) continue;
    const std::string labels = line.substr(0, labels_end);
    if (labels.find(topic_label) == std::string::npos) continue;
    const size_t p = labels.find(partition_label);
    if (p == std::string::npos) continue;
    out.insert(std::atoi(labels.c_str() + p + partition_label.size()));
  }
  return out;
}

std::string WaitForAssignment(Subprocess& child, const std::string& topic, size_t count,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::set<int> last;
  std::string url;
  while (std::chrono::steady_clock::now() < deadline && child.Running()) {
    if (url.empty()) url = MetricsUrl(child.StderrSoFar());
    if (!url.empty()) {
      StatusOr<tools::HttpResponse> r = tools::HttpGet(url);
      if (r.ok() && r->status == 200) {
        last = FetchedPartitions(r->body, topic);
        if (last.size() == count) return "";
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the poll interval
  }
  std::string seen;
  for (int p : last) seen += (seen.empty() ? "" : ",") + std::to_string(p);
  return "the member never reported " + std::to_string(count) + " partitions of " + topic + " in its metrics" +
         (url.empty() ? " (it printed no metrics address)" : "") + "; last seen: {" + seen + "}" +
         (child.Running() ? "" : " (it exited)");
}

}  // namespace sluice::testing
