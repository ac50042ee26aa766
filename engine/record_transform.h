// File: engine/record_transform.h
// RecordTransform: the CPU work between source and batch assembler (parse + schema map).
// The engine runs Apply() on TBB workers, several chunks at once; per-worker mutable state
// (parser, scratch buffers) lives in a TransformState made by MakeState(), one per worker,
// so implementations keep no mutable globals. Implemented in stages/schema_map.
#pragma once

#include <memory>

#include "engine/record_chunk.h"

namespace sluice {

/// Per-worker mutable state of a transform. Never shared between threads at the same time.
class TransformState {
 public:
  virtual ~TransformState() = default;
};

class RecordTransform {
 public:
  virtual ~RecordTransform() = default;
  /// A fresh per-worker state. Thread-safe.
  virtual std::unique_ptr<TransformState> MakeState() const = 0;
  /// Fills chunk.output/outputs/reasons for every record of chunk.records (outputs.size() ==
  /// records.size() afterwards). A record that cannot be sent gets kRejected with a reason;
  /// it must never be dropped. Thread-safe given distinct states and chunks. No exceptions.
  virtual void Apply(TransformState& state, RecordChunk& chunk) const = 0;
};

}  // namespace sluice
