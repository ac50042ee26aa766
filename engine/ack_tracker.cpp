#include "engine/ack_tracker.h"

#include <algorithm>

namespace sluice {

void AckTracker::Register(const RecordChunk& chunk) {
  // Records of one stream inside a chunk are in offset order; consecutive runs of the same
  // stream extend the stream's newest segment when it was opened by this chunk.
  std::unordered_map<uint32_t, size_t> open_segment;  // stream -> index of this chunk's segment
  for (const InputRecord& r : chunk.records) {
    StreamState& s = streams_[r.position.stream];
    if (r.position.generation != s.generation) {
      // A new assignment of the stream: whatever was in flight belongs to the old owner.
      in_flight_ -= s.in_flight;
      s = StreamState{};
      s.generation = r.position.generation;
      open_segment.erase(r.position.stream);
    }
    auto it = open_segment.find(r.position.stream);
    if (it == open_segment.end() || s.segments.size() != it->second + 1) {
      s.segments.push_back(Segment{r.position.offset, r.position.offset, 0});
      open_segment[r.position.stream] = s.segments.size() - 1;
    }
    Segment& seg = s.segments.back();
    seg.last_offset = r.position.offset;
    ++seg.remaining;
    ++s.in_flight;
    ++in_flight_;
  }
}

bool AckTracker::Acknowledge(const SourcePosition& p) {
  auto sit = streams_.find(p.stream);
  if (sit == streams_.end()) return false;
  StreamState& s = sit->second;
  if (p.generation != s.generation || s.segments.empty()) return false;
  // Last segment whose first offset <= p.offset.
  auto it = std::upper_bound(s.segments.begin(), s.segments.end(), p.offset,
                             [](int64_t off, const Segment& seg) { return off < seg.first_offset; });
  if (it == s.segments.begin()) return false;
  --it;
  if (p.offset > it->last_offset || it->remaining == 0) return false;
  --it->remaining;
  --s.in_flight;
  --in_flight_;
  while (!s.segments.empty() && s.segments.front().remaining == 0) {
    s.next_commit = s.segments.front().last_offset + 1;
    s.segments.pop_front();
    s.advanced = true;
  }
  return true;
}

std::vector<CommitPoint> AckTracker::TakeAdvanced() {
  std::vector<CommitPoint> out;
  for (auto& [stream, s] : streams_) {
    if (!s.advanced) continue;
    s.advanced = false;
    out.push_back(CommitPoint{stream, s.generation, s.next_commit});
  }
  return out;
}

std::vector<CommitPoint> AckTracker::CommitPointsOf(const std::vector<uint32_t>& streams) const {
  std::vector<CommitPoint> out;
  for (uint32_t id : streams) {
    auto it = streams_.find(id);
    if (it == streams_.end() || it->second.next_commit < 0) continue;
    out.push_back(CommitPoint{id, it->second.generation, it->second.next_commit});
  }
  return out;
}

uint64_t AckTracker::InFlight(uint32_t stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? 0 : it->second.in_flight;
}

void AckTracker::Forget(uint32_t stream) {
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  in_flight_ -= it->second.in_flight;
  streams_.erase(it);
}

}  // namespace sluice
