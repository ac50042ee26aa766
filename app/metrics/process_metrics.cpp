#include "app/metrics/process_metrics.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace sluice::metrics {
namespace {

/// Seconds since the epoch at boot, from /proc/stat's "btime" line.
std::optional<double> BootTimeSeconds() {
  std::ifstream f("/proc/stat");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

std::optional<double> OpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return std::nullopt;
  double n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the descriptor opendir itself holds
}

std::optional<double> MaxFds() {
  std::ifstream f("/proc/self/limits");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    std::istringstream in(line.substr(14));
    std::string soft;
    in >> soft;
    if (soft == "unlimited") return std::nullopt;
    try {
      return std::stod(soft);
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

ProcessSample ReadProcessSample() {
  ProcessSample s;
  std::ifstream f("/proc/self/stat");
  std::string stat;
  if (std::getline(f, stat)) {
    // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
    const size_t close = stat.rfind(')');
    if (close != std::string::npos) {
      std::istringstream in(stat.substr(close + 1));
      std::vector<std::string> fields;  // fields[0] is field 3 (state)
      for (std::string v; in >> v;) fields.push_back(v);
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      try {
        if (fields.size() > 21 && ticks > 0) {
          s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;  // utime, stime
          if (std::optional<double> boot = BootTimeSeconds())
            s.start_time_seconds = *boot + std::stod(fields[19]) / ticks;
          s.virtual_bytes = std::stod(fields[20]);
          s.resident_bytes = std::stod(fields[21]) * page;
        }
      } catch (...) {
        // A /proc this code does not understand: the families are left out.
      }
    }
  }
  s.open_fds = OpenFds();
  s.max_fds = MaxFds();
  return s;
}

void WriteProcessMetrics(PrometheusWriter& w, const ProcessSample& s) {
  if (s.cpu_seconds)
    w.Counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", *s.cpu_seconds);
  if (s.resident_bytes) w.Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", *s.resident_bytes);
  if (s.virtual_bytes) w.Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", *s.virtual_bytes);
  if (s.open_fds) w.Gauge("process_open_fds", "Number of open file descriptors.", *s.open_fds);
  if (s.max_fds) w.Gauge("process_max_fds", "Maximum number of open file descriptors.", *s.max_fds);
  if (s.start_time_seconds) {
    w.Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
            *s.start_time_seconds);
  }
}

void WriteBuildInfo(PrometheusWriter& w, const Labels& labels) {
  w.Family("sluice_build_info", MetricType::kGauge,
           "Always 1; the labels say which sluice and which libraries this process runs.");
  w.Sample("sluice_build_info", labels, 1);
}

}  // namespace sluice::metrics
