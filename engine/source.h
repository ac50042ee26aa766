// File: engine/source.h
// Source: where records come from (Kafka, a file, stdin, a generator). The pipeline calls every
// method from one thread, its ingress ("poll") thread; a source calls its SourceListener back
// on that same thread (inside Poll), e.g. when Kafka revokes partitions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/record_chunk.h"
#include "engine/status.h"

namespace sluice {

/// Store this offset for commit: every record of `stream` below `next_offset` is acknowledged.
struct CommitPoint {
  uint32_t stream = 0;
  uint32_t generation = 0;
  int64_t next_offset = 0;
};

/// Human-facing identity of a stream, for logs and dead letters.
struct StreamInfo {
  std::string name;        ///< topic or file name
  int32_t partition = -1;  ///< Kafka partition, -1 when not Kafka
};

class SourceListener {
 public:
  virtual ~SourceListener() = default;
  /// The source is about to give up `streams`. The pipeline finishes (or, after the drain
  /// timeout, abandons) their in-flight records and returns what may be committed for them.
  virtual std::vector<CommitPoint> OnStreamsRevoked(const std::vector<uint32_t>& streams) = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  [[nodiscard]] virtual Status Start(SourceListener* listener) = 0;
  /// Appends up to max_records records (payload copied into chunk.input via AddInput, then
  /// FinishInput) waiting at most timeout_ms. Returns the number added; an error is fatal.
  [[nodiscard]] virtual StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) = 0;
  /// True when a bounded run (--until-caught-up, end of file) has read everything it will.
  virtual bool Exhausted() const = 0;
  /// Backpressure: while paused, Poll hands over no record but still serves the source's own
  /// events (a Kafka rebalance); a paused source never leaves its group.
  virtual void SetPaused(bool paused) = 0;
  /// Stores acknowledged offsets for commit (no-op for sources without offsets).
  [[nodiscard]] virtual Status Store(const std::vector<CommitPoint>& points) = 0;
  /// Commits what was stored and releases resources (leaves the group).
  [[nodiscard]] virtual Status Close() = 0;
  virtual StreamInfo DescribeStream(uint32_t stream) const = 0;
};

}  // namespace sluice
