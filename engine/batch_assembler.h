// File: engine/batch_assembler.h
// BatchAssembler: the engine's view of the batch-assemble stage. The engine calls it from one
// serial graph node, so implementations need no locking. Implemented in stages/batcher.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "engine/batch.h"
#include "engine/record_chunk.h"

namespace sluice {

class BatchAssembler {
 public:
  using Clock = std::chrono::steady_clock;
  using Emit = std::function<void(std::unique_ptr<Batch>)>;
  virtual ~BatchAssembler() = default;
  /// Adds every kAccepted record of `chunk` (its output values), emitting batches that fill up.
  virtual void Add(const RecordChunk& chunk, Clock::time_point now, const Emit& emit) = 0;
  /// Emits the open batch if its oldest record waited linger_ms or longer.
  virtual void Tick(Clock::time_point now, const Emit& emit) = 0;
  /// Emits the open batch, if any, now.
  virtual void Flush(const Emit& emit) = 0;
  /// Caps batch bodies at min(the configured byte cap, `hint`): the sender's view of what the
  /// sink accepts (BatchSender::MaxBatchBytesHint). The hint drops after 413 answers and rises
  /// again after accepted ones, so this may raise the cap back too. Thread-safe.
  virtual void SetMaxBytesHint(size_t hint) = 0;
};

}  // namespace sluice
