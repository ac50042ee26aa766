// File: stages/batcher/micro_batcher.h
// MicroBatcher: the batch-assemble stage. Writes each accepted record's JSON value straight
// into the open batch's body in the sink's framing (SinkFormat) and seals the batch by count,
// bytes or linger. Called from one serial graph node: not thread-safe, except SetMaxBytesHint().
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "engine/batch_assembler.h"
#include "engine/sink_format.h"
#include "stages/batcher/batch_policy.h"

namespace sluice::stages {

class MicroBatcher final : public BatchAssembler {
 public:
  static StatusOr<std::unique_ptr<MicroBatcher>> Create(const BatchPolicy& policy,
                                                        std::shared_ptr<const SinkFormat> format);

  void Add(const RecordChunk& chunk, Clock::time_point now, const Emit& emit) override;
  void Tick(Clock::time_point now, const Emit& emit) override;
  void Flush(const Emit& emit) override;
  void SetMaxBytesHint(size_t hint) override;

 private:
  MicroBatcher(const BatchPolicy& policy, std::shared_ptr<const SinkFormat> format);
  /// The batch being filled for one key (a stream, or 0 for all).
  struct OpenBatch {
    uint32_t key = 0;
    std::unique_ptr<Batch> batch;
  };
  OpenBatch& SlotFor(uint32_t stream);
  void Seal(OpenBatch& slot, const Emit& emit);
  void OpenIfNeeded(OpenBatch& slot, Clock::time_point now);

  const BatchPolicy policy_;
  std::shared_ptr<const SinkFormat> format_;
  std::atomic<size_t> max_bytes_;
  std::vector<OpenBatch> open_;  ///< one slot, or one per stream (few: linear search is fine)
  size_t last_slot_ = 0;         ///< the slot used last: records of one stream come in runs
  size_t reserve_bytes_ = 0;     ///< body capacity to reserve: last sealed size plus headroom
  size_t reserve_meta_bytes_ = 0;  ///< the same for keys and headers (0 while records carry none)
  uint64_t next_id_ = 1;
  size_t close_bytes_ = 0;  ///< bytes Close() adds
};

}  // namespace sluice::stages
