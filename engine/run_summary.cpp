#include "engine/run_summary.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {
namespace {

}  // namespace

double PeakRssMib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream is(line.substr(6));
      double kb = 0;
      is >> kb;
      return kb / 1024.0;
    }
  }
  return 0;
}

std::string RunSummary::ToJson() const {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  o << "{\n"
    << "  \"ok\": " << (error.empty() ? "true" : "false") << ",\n"
    << "  \"consumed\": " << consumed << ",\n"
    << "  \"consumed_bytes\": " << consumed_bytes << ",\n"
    << "  \"delivered\": " << delivered << ",\n"
    << "  \"rejected\": " << rejected << ",\n"
    << "  \"dead_lettered\": " << dead_lettered << ",\n"
    << "  \"skipped\": " << skipped << ",\n"
    << "  \"skipped_tombstones\": " << skipped_tombstones << ",\n"
    << "  \"unacknowledged\": " << unacknowledged << ",\n"
    << "  \"batches\": " << batches << ",\n"
    << "  \"run_seconds\": " << run_seconds << ",\n"
    << "  \"streaming_seconds\": " << streaming_seconds << ",\n"
    << "  \"streaming_records_per_s\": " << streaming_records_per_s << ",\n"
    << "  \"run_records_per_s\": " << run_records_per_s << ",\n"
    << "  \"peak_rss_mib\": " << peak_rss_mib << ",\n"
    << "  \"requests\": " << sender.requests << ",\n"
    << "  \"bytes_sent\": " << sender.bytes_sent << ",\n"
    << "  \"auth_refreshes\": " << sender.auth_refreshes << ",\n"
    << "  \"splits\": " << sender.splits << ",\n"
    << "  \"concurrency_limit\": " << LimitSeriesJson(concurrency_limit) << "\n}\n";
  return o.str();
}

std::string RunSummary::ToText() const {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(0);
  o << "consumed " << consumed << ", delivered " << delivered << ", rejected " << rejected
    << " (dead-lettered " << dead_lettered << ", skipped " << skipped << ")";
  if (skipped_tombstones) o << ", skipped tombstones " << skipped_tombstones;
  if (unacknowledged) o << ", unacknowledged " << unacknowledged;
  o << "\n" << "streaming " << streaming_records_per_s << " records/s over ";
  o.precision(2);
  o << streaming_seconds << " s; whole run ";
  o.precision(0);
  o << run_records_per_s << " records/s over ";
  o.precision(2);
  o << run_seconds << " s\n"
    << "requests " << sender.requests << ", retries " << sender.retries << ", splits " << sender.splits
    << ", request latency p50 " << sender.latency_p50_ms << " ms p99 " << sender.latency_p99_ms
    << " ms, peak RSS " << peak_rss_mib << " MiB\n";
  if (!error.empty()) o << "error: " << error << "\n";
  return o.str();
}

}  // namespace sluice
