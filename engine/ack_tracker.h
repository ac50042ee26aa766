// File: engine/ack_tracker.h
// AckTracker: per stream (Kafka partition), turns out-of-order acknowledgements into the highest
// offset below which every record is acknowledged — the only offset that may be committed.
// Records are registered in segments (one per chunk and stream, in offset order); an ack finds
// its segment by binary search and decrements it; fully acknowledged segments at the front
// advance the commit point. Acks of an older generation (a partition revoked and assigned
// again) are ignored. Single-threaded: used by the pipeline's ingress thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "engine/record_chunk.h"
#include "engine/source.h"

namespace sluice {

class AckTracker {
 public:
  /// Registers every record of a chunk as in flight.
  void Register(const RecordChunk& chunk);
  /// Marks one record acknowledged. Returns false for a stale or unknown position.
  bool Acknowledge(const SourcePosition& position);
  /// Commit points that moved since the last call.
  std::vector<CommitPoint> TakeAdvanced();
  /// Commit points (acknowledged prefix) of the given streams, moved or not.
  std::vector<CommitPoint> CommitPointsOf(const std::vector<uint32_t>& streams) const;
  /// Records of `stream` registered but not acknowledged.
  uint64_t InFlight(uint32_t stream) const;
  /// Records of all streams registered but not acknowledged.
  uint64_t InFlight() const { return in_flight_; }
  /// Drops all state of a stream (after revocation).
  void Forget(uint32_t stream);

 private:
  struct Segment {
    int64_t first_offset;
    int64_t last_offset;
    uint32_t remaining;
  };
  struct StreamState {
    uint32_t generation = 0;
    std::deque<Segment> segments;
    int64_t next_commit = -1;  ///< -1: nothing acknowledged yet
    uint64_t in_flight = 0;
    bool advanced = false;
  };
  std::unordered_map<uint32_t, StreamState> streams_;
  uint64_t in_flight_ = 0;
};

}  // namespace sluice
