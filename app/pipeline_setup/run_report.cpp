#include "app/pipeline_setup/run_report.h"

namespace sluice::cli {

std::string RunReportJson(const RunSummary& summary, const stages::LatencyHistogram& request_latency,
                          std::chrono::system_clock::time_point started, std::chrono::system_clock::time_point ended,
                          const report::Settings& settings) {
  report::ReportCommon c;
  c.started_at = started;
  c.ended_at = ended;
  c.request_latency_ms.count = request_latency.Count();
  c.request_latency_ms.p50 = static_cast<double>(request_latency.Percentile(50)) / 1000.0;
  c.request_latency_ms.p90 = static_cast<double>(request_latency.Percentile(90)) / 1000.0;
  c.request_latency_ms.p99 = static_cast<double>(request_latency.Percentile(99)) / 1000.0;
  c.request_latency_ms.p999 = static_cast<double>(request_latency.Percentile(99.9)) / 1000.0;
  c.request_latency_ms.max = static_cast<double>(request_latency.Max()) / 1000.0;
  c.retries = {summary.sender.retries, summary.sender.retries_throttled, summary.sender.retries_server,
               summary.sender.retries_network};
  c.rejected_records = summary.rejected;
  c.fatal = !summary.error.empty();
  c.error = summary.error;
  c.settings = settings;
  return report::WithCommonMembers(summary.ToJson(), c);
}

}  // namespace sluice::cli
