#include "app/pipeline_setup/metrics_endpoint.h"

#include "app/metrics/pipeline_metrics.h"
#include "app/metrics/readiness.h"
#include "app/metrics/run_extra_metrics.h"
#include "app/pipeline_setup/pipeline_setup.h"
#include "app/version/version_info.h"
#include "stages/kafka_source/kafka_source.h"

namespace sluice::cli {

StatusOr<std::unique_ptr<metrics::MetricsServer>> StartMetricsEndpoint(const BuiltRun& run,
                                                                       const std::atomic<int>* stop) {
  const auto* kafka = dynamic_cast<const stages::KafkaSource*>(run.source.get());
  const Pipeline* pipeline = run.pipeline.get();
  const stages::HttpSender* sender = run.sender.get();
  metrics::Labels build_info;
  for (auto& [name, value] : VersionFields()) build_info.emplace_back(name, value);
  auto render = [kafka, pipeline, sender, build_info] {
    std::vector<metrics::PartitionLagSample> lag;
    if (kafka != nullptr) {
      for (const stages::PartitionLag& p : kafka->Lag()) lag.push_back({p.topic, p.partition, p.consumer_lag});
    }
    metrics::RunExtras extras;
    extras.requests_by_status = sender->RequestsByStatus();
    extras.build_info = build_info;
    extras.process = metrics::ReadProcessSample();
    return metrics::RenderPipelineMetrics(pipeline->counters(), pipeline->InFlightRecords(), sender->Stats(),
                                          &sender->RequestLatency(), lag, sender->CurrentConcurrencyLimit()) +
           metrics::RenderRunExtraMetrics(extras);
  };
  const std::atomic<bool>* started = &run.pipeline_started;
  const std::atomic<bool>* ended = &run.pipeline_ended;
  auto not_ready = [kafka, sender, stop, started, ended] {
    metrics::ReadinessInputs in;
    in.started = started->load(std::memory_order_relaxed);
    in.ended = ended->load(std::memory_order_relaxed);
    in.stopping = stop != nullptr && stop->load(std::memory_order_relaxed) > 0;
    in.kafka = kafka != nullptr;
    in.assigned_partitions = kafka != nullptr ? kafka->AssignedPartitionCount() : 0;
    in.sink_delivering = sender->SinkDelivering();
    return metrics::NotReadyReason(in);
  };
  return metrics::MetricsServer::Start(run.metrics_addr, render, not_ready);
}

}  // namespace sluice::cli
