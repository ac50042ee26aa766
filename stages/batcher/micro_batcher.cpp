#include "stages/batcher/micro_batcher.h"

#include <algorithm>
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

void MicroBatcher::SetMaxBytesHint(size_t hint) {
  max_bytes_.store(std::min(policy_.max_bytes, hint), std::memory_order_relaxed);
}

MicroBatcher::OpenBatch& MicroBatcher::SlotFor(uint32_t stream) {
  const uint32_t key = policy_.per_stream ? stream : 0;
  if (last_slot_ < open_.size() && open_[last_slot_].key == key) return open_[last_slot_];
  for (size_t i = 0; i < open_.size(); ++i) {
    if (open_[i].key == key) {
      last_slot_ = i;
      return open_[i];
    }
  }
  open_.push_back(OpenBatch{key, nullptr});
  last_slot_ = open_.size() - 1;
  return open_.back();
}

void MicroBatcher::OpenIfNeeded(OpenBatch& slot, Clock::time_point now) {
  if (slot.batch) return;
  slot.batch = std::make_unique<Batch>();
  Batch& b = *slot.batch;
  b.id = next_id_++;
  // Reserve what the previous batch needed (not the byte cap: a 4 MiB reservation per batch of
  // 200 KB costs an mmap and page faults), so appends rarely reallocate.
  const size_t cap = max_bytes_.load(std::memory_order_relaxed) + 64;
  b.payload.reserve(std::min(cap, reserve_bytes_ ? reserve_bytes_ + reserve_bytes_ / 8 : size_t{64} << 10));
  b.records.reserve(policy_.max_records);
  if (reserve_meta_bytes_ != 0) b.meta.reserve(reserve_meta_bytes_ + reserve_meta_bytes_ / 8);
  b.first_record_at = now;
  format_->Open(b.payload);
}

void MicroBatcher::Seal(OpenBatch& slot, const Emit& emit) {
  if (!slot.batch) return;
  if (slot.batch->records.empty()) {
    slot.batch.reset();
    return;
  }
  format_->Close(slot.batch->payload);
  slot.batch->sealed_at = Clock::now();
  reserve_bytes_ = slot.batch->payload.size();
  reserve_meta_bytes_ = slot.batch->meta.size();
  emit(std::move(slot.batch));
  slot.batch.reset();
}

void MicroBatcher::Add(const RecordChunk& chunk, Clock::time_point now, const Emit& emit) {
  const size_t overhead = format_->PerRecordOverheadBytes();
  const Clock::time_point arrived = chunk.created == Clock::time_point{} ? now : chunk.created;
  for (size_t i = 0; i < chunk.outputs.size(); ++i) {
    if (chunk.outputs[i].verdict != RecordVerdict::kAccepted) continue;
    const std::string_view value = chunk.Output(i);
    OpenBatch& slot = SlotFor(chunk.records[i].position.stream);
    const size_t max_bytes = max_bytes_.load(std::memory_order_relaxed);
    // Seal first if this record would push the body past the byte cap (a record bigger than the
    // cap still goes out, alone; the sink answers 413 and the sender rejects it).
    if (slot.batch && !slot.batch->records.empty() &&
        slot.batch->payload.size() + value.size() + overhead + close_bytes_ > max_bytes) {
      Seal(slot, emit);
    }
    OpenIfNeeded(slot, arrived);
    Batch& b = *slot.batch;
    BatchRecord r;
    r.length = static_cast<uint32_t>(value.size());
    r.position = chunk.records[i].position;
    if (const RecordMeta* m = chunk.Meta(i)) r.meta = CopyRecordMeta(chunk.meta, *m, b.meta, b.metas);
    r.begin = format_->Append(b.payload, value, b.records.empty());
    b.records.push_back(r);
    if (b.records.size() >= policy_.max_records) Seal(slot, emit);
  }
}

void MicroBatcher::Tick(Clock::time_point now, const Emit& emit) {
  for (OpenBatch& slot : open_) {
    if (slot.batch && now - slot.batch->first_record_at >= std::chrono::milliseconds(policy_.linger_ms)) {
      Seal(slot, emit);
    }
  }
}

void MicroBatcher::Flush(const Emit& emit) {
  for (OpenBatch& slot : open_) Seal(slot, emit);
}

}  // namespace sluice::stages
