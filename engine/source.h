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

/// What a source can say about where it stands, for the progress line (progress.h).
struct SourceProgress {
  enum class Phase : uint8_t {
    kReading,     ///< records flow (or the source has no startup to speak of: files, stdin)
    kConnecting,  ///< Kafka: no broker answered yet
    kJoining,     ///< Kafka: connected, joining the consumer group
    kAssigned,    ///< Kafka: partitions assigned (assigned_partitions of them)
  };
  Phase phase = Phase::kReading;
  int32_t assigned_partitions = -1;  ///< -1: not a partitioned source
  std::string group;                 ///< the consumer group, for "joining group X"
  /// A bounded run (--until-caught-up): records from the start positions to the end offsets,
  /// and of those not yet read; -1 while unknown (before the assignment, or no end).
  int64_t total_records = -1;
  int64_t remaining_records = -1;
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
  /// Where the source stands (ingress thread, like every other method); a source with nothing
  /// to say keeps the default.
  virtual SourceProgress Progress() const { return SourceProgress{}; }
};

}  // namespace sluice
