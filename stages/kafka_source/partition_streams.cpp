// File: stages/kafka_source/partition_streams.cpp
// PartitionStreams: the (topic, partition) -> stream id table and the last-message cache.
// Used by KafkaSource (and read by OffsetCommitter). Thread-safety: ingress thread only.
#include "stages/kafka_source/partition_streams.h"

namespace sluice::stages::internal {

uint32_t PartitionStreams::IdFor(std::string_view topic, int32_t partition) {
  auto it = ids_.find(topic);
  if (it == ids_.end()) it = ids_.emplace(std::string(topic), std::vector<int32_t>()).first;
  std::vector<int32_t>& by_partition = it->second;
  if (partition >= static_cast<int32_t>(by_partition.size())) by_partition.resize(partition + 1, -1);
  if (by_partition[partition] < 0) {
    by_partition[partition] = static_cast<int32_t>(streams_.size());
    PartitionStream s;
    s.topic = std::string(topic);
    s.partition = partition;
    streams_.push_back(std::move(s));
  }
  return static_cast<uint32_t>(by_partition[partition]);
}

PartitionStream* PartitionStreams::Find(std::string_view topic, int32_t partition) {
  auto it = ids_.find(topic);
  if (it == ids_.end() || partition < 0 || partition >= static_cast<int32_t>(it->second.size())) {
    return nullptr;
  }
  int32_t id = it->second[partition];
  return id < 0 ? nullptr : &streams_[id];
}

PartitionStream* PartitionStreams::FindForMessage(const rd_kafka_message_t* m) {
  if (m->rkt != nullptr && m->rkt == last_topic_handle_ && m->partition == last_partition_) {
    return &streams_[last_stream_];
  }
  if (m->rkt == nullptr) return nullptr;
  PartitionStream* s = Find(rd_kafka_topic_name(m->rkt), m->partition);
  if (s != nullptr) {
    last_topic_handle_ = m->rkt;
    last_partition_ = m->partition;
    last_stream_ = IdOf(*s);
  }
  return s;
}

std::string PartitionStreams::Name(uint32_t id) const {
  return streams_[id].topic + "[" + std::to_string(streams_[id].partition) + "]";
}

}  // namespace sluice::stages::internal
