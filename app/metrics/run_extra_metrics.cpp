#include "app/metrics/run_extra_metrics.h"

namespace sluice::metrics {

std::string RenderRunExtraMetrics(const RunExtras& extras) {
  PrometheusWriter w;
  if (!extras.requests_by_status.empty()) {
    w.Family("sluice_http_requests_total", MetricType::kCounter,
             "Data requests finished, by the HTTP status of the answer (code=\"none\": no answer).");
    for (const auto& [status, count] : extras.requests_by_status) {
      w.Sample("sluice_http_requests_total", {{"code", status == 0 ? "none" : std::to_string(status)}},
               static_cast<double>(count));
    }
  }
  WriteBuildInfo(w, extras.build_info);
  WriteProcessMetrics(w, extras.process);
  return w.Take();
}

}  // namespace sluice::metrics
