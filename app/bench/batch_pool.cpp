// The pool is rendered by the real pipeline (same transform, same batcher, same sink format),
// so a replayed body is byte for byte what `sluice run` would send for those records.
#include "app/bench/batch_pool.h"

#include <mutex>

#include "engine/batch_sender.h"
#include "engine/pipeline.h"
#include "stages/generator_source/generator_source.h"

namespace sluice::bench {
namespace {

/// A BatchSender that keeps every batch and acknowledges its records at once.
class RecordingSender final : public BatchSender {
 public:
  [[nodiscard]] Status Start(DeliveryListener* listener) override {
    listener_ = listener;
    return Status::Ok();
  }
  void Submit(std::unique_ptr<Batch> batch) override {
    DeliveryReport report;
    report.delivered.reserve(batch->records.size());
    for (const BatchRecord& r : batch->records) report.delivered.push_back(r.position);
    report.delivered_bytes = batch->payload.size();
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches_.push_back(std::move(batch));
    }
    listener_->OnDelivery(std::move(report));
  }
  void Stop(bool) override {}
  SenderStats Stats() const override { return {}; }

  std::vector<std::unique_ptr<Batch>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::move(batches_);
  }

 private:
  DeliveryListener* listener_ = nullptr;
  std::mutex mu_;
  std::vector<std::unique_ptr<Batch>> batches_;
};

}  // namespace

StatusOr<std::vector<std::unique_ptr<Batch>>> RenderBatchPool(const BatchPoolRequest& request,
                                                             const RecordTransform& transform,
                                                             BatchAssembler& assembler) {
  if (request.count == 0 || request.batch_size == 0) return InvalidArgument("an empty batch pool was asked for");
  stages::GeneratorSourceConfig gc = request.generator;
  gc.records_per_s = 0;
  gc.duration_ms = 0;
  gc.max_records = static_cast<uint64_t>(request.count) * request.batch_size;
  auto generator_or = stages::GeneratorSource::Create(gc);
  if (!generator_or.ok()) return generator_or.status();
  std::unique_ptr<stages::GeneratorSource> generator = std::move(*generator_or);

  PipelineConfig pc = request.pipeline;
  pc.progress = false;
  pc.skip_rejected = true;  // a rejected record is simply not part of any body
  RecordingSender recorder;
  PipelineParts parts{generator.get(), &transform, &assembler, &recorder, nullptr};
  auto pipeline_or = Pipeline::Create(pc, parts);
  if (!pipeline_or.ok()) return pipeline_or.status();
  std::atomic<int> no_stop{0};
  Status s = (*pipeline_or)->Run(&no_stop);
  pipeline_or->reset();
  if (!s.ok()) return Status(s.code(), "rendering the batch pool: " + s.message());

  std::vector<std::unique_ptr<Batch>> batches = recorder.Take();
  // A body shorter than the others would skew a replay; keep it only if it is all there is.
  std::vector<std::unique_ptr<Batch>> full;
  size_t largest = 0;
  for (const auto& b : batches) largest = std::max(largest, b->records.size());
  for (auto& b : batches) {
    if (b->records.size() == largest) full.push_back(std::move(b));
  }
  if (full.empty() || largest == 0)
    return InvalidArgument("no record of the input passed the schema map: nothing to replay");
  return full;
}

}  // namespace sluice::bench
