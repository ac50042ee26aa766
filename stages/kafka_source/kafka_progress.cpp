// File: stages/kafka_source/kafka_progress.cpp
// KafkaSource::Progress: the startup phase and, under until_caught_up, how far the assigned
// partitions are from the end offsets fixed at their first assignment. Ingress thread, like the
// rest of the source; no broker request (only librdkafka's cached metadata and member id).
#include <algorithm>

#include "stages/kafka_source/kafka_source.h"

namespace sluice::stages {

SourceProgress KafkaSource::Progress() const {
  SourceProgress p;
  p.group = config_.group_id;
  if (rk_ == nullptr || closed_) return p;
  if (!assigned_once_) {
    // No controller known means no metadata yet: no broker has answered.
    p.phase = rd_kafka_controllerid(rk_, 0) < 0 && !JoinedGroup() ? SourceProgress::Phase::kConnecting
                                                                  : SourceProgress::Phase::kJoining;
    return p;
  }
  p.phase = SourceProgress::Phase::kAssigned;
  p.assigned_partitions = 0;
  int64_t total = 0;
  int64_t remaining = 0;
  bool known = config_.until_caught_up && !awaiting_assignment_;
  for (const internal::PartitionStream& s : streams_) {
    if (!s.assigned) continue;
    ++p.assigned_partitions;
    if (!known) continue;
    if (s.target_offset < 0 || s.start_offset < 0) {
      if (!s.done) known = false;  // the end or the start of this one could not be queried
      continue;
    }
    total += std::max<int64_t>(0, s.target_offset - s.start_offset);
    if (!s.done) remaining += std::max<int64_t>(0, s.target_offset - std::max(s.start_offset, s.next_offset));
  }
  if (known) {
    p.total_records = total;
    p.remaining_records = remaining;
  }
  return p;
}

}  // namespace sluice::stages
