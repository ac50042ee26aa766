#include "app/metrics/readiness.h"

namespace sluice::metrics {

std::string NotReadyReason(const ReadinessInputs& in) {
  if (in.ended) return "the run has ended";
  if (in.stopping) return "stopping (a stop signal arrived)";
  if (!in.started) return "starting";
  if (in.kafka && in.assigned_partitions <= 0) return "no Kafka partition assigned yet";
  if (!in.sink_delivering) return "the sink's latest answer was a failure (no answer, 5xx, 408 or 429)";
  return "";
}

}  // namespace sluice::metrics
