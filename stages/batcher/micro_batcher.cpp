#include "stages/batcher/micro_batcher.h"

#include <string>

namespace sluice::stages {

Status Validate(const BatchPolicy& p) {
  if (p.max_records == 0) return InvalidArgument("--batch-size must be at least 1");
  if (p.max_bytes < 256) return InvalidArgument("--batch-bytes must be at least 256");
  if (p.linger_ms < 0) return InvalidArgument("--linger-ms must not be negative");
  return Status::Ok();
}

StatusOr<std::unique_ptr<MicroBatcher>> MicroBatcher::Create(const BatchPolicy& policy,
                                                             std::shared_ptr<const SinkFormat> format) {
  SLUICE_RETURN_IF_ERROR(Validate(policy));
  if (!format) return InvalidArgument("batcher needs a sink format");
  return std::unique_ptr<MicroBatcher>(new MicroBatcher(policy, std::move(format)));
}

MicroBatcher::MicroBatcher(const BatchPolicy& policy, std::shared_ptr<const SinkFormat> format)
    : policy_(policy), format_(std::move(format)), max_bytes_(policy.max_bytes) {
  std::string probe;
  format_->Close(probe);
  close_bytes_ = probe.size();
}

void MicroBatcher::LowerMaxBytes(size_t max_bytes) {
  size_t cur = max_bytes_.load(std::memory_order_relaxed);
  while (max_bytes < cur && !max_bytes_.compare_exchange_weak(cur, max_bytes)) {
  }
}

void MicroBatcher::OpenIfNeeded(Clock::time_point now) {
  if (open_) return;
  open_ = std::make_unique<Batch>();
  open_->id = next_id_++;
  // Pre-size from the policy so the steady state reuses one allocation per batch.
  open_->payload.reserve(max_bytes_.load(std::memory_order_relaxed) + 64);
  open_->records.reserve(policy_.max_records);
  open_->first_record_at = now;
  format_->Open(open_->payload);
}

void MicroBatcher::Seal(const Emit& emit) {
  if (!open_) return;
  if (open_->records.empty()) {
    open_.reset();
    return;
  }
  format_->Close(open_->payload);
  open_->sealed_at = Clock::now();
  emit(std::move(open_));
  open_.reset();
}

void MicroBatcher::Add(const RecordChunk& chunk, Clock::time_point now, const Emit& emit) {
  const size_t overhead = format_->PerRecordOverheadBytes();
  for (size_t i = 0; i < chunk.outputs.size(); ++i) {
    if (chunk.outputs[i].verdict != RecordVerdict::kAccepted) continue;
    const std::string_view value = chunk.Output(i);
    const size_t max_bytes = max_bytes_.load(std::memory_order_relaxed);
    // Seal first if this record would push the body past the byte cap (a record bigger than the
    // cap still goes out, alone; the sink answers 413 and the sender rejects it).
    if (open_ && !open_->records.empty() &&
        open_->payload.size() + value.size() + overhead + close_bytes_ > max_bytes) {
      Seal(emit);
    }
    OpenIfNeeded(chunk.created == Clock::time_point{} ? now : chunk.created);
    BatchRecord r;
    r.length = static_cast<uint32_t>(value.size());
    r.position = chunk.records[i].position;
    r.begin = format_->Append(open_->payload, value, open_->records.empty());
    open_->records.push_back(r);
    if (open_->records.size() >= policy_.max_records) Seal(emit);
  }
}

void MicroBatcher::Tick(Clock::time_point now, const Emit& emit) {
  if (open_ && now - open_->first_record_at >= std::chrono::milliseconds(policy_.linger_ms)) Seal(emit);
}

void MicroBatcher::Flush(const Emit& emit) { Seal(emit); }

}  // namespace sluice::stages
