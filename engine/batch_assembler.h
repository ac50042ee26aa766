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
  /// Lowers the byte cap for the rest of the run (after a 413). Thread-safe.
  virtual void LowerMaxBytes(size_t max_bytes) = 0;
};

}  // namespace sluice
