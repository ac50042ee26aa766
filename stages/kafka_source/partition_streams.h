// File: stages/kafka_source/partition_streams.h
// PartitionStreams: the Kafka source's table of (topic, partition) -> dense stream id, stable
// for the run, with each partition's assignment state (generation, assigned, catch-up target,
// last stored offset). Owned by KafkaSource; OffsetCommitter reads it to name partitions and
// to know which ones are still ours.
// Thread-safety: not thread-safe; used on the pipeline's ingress thread only. Ids stay valid
// for the run, references into the table do not (a new partition may grow it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <librdkafka/rdkafka.h>

namespace sluice::stages::internal {

struct PartitionStream {
  std::string topic;
  int32_t partition = -1;
  uint32_t generation = 0;
  bool assigned = false;
  int64_t target_offset = -1;  ///< until_caught_up: high watermark at first assignment
  int64_t low_offset = -1;     ///< until_caught_up: low watermark at first assignment
  bool done = false;           ///< until_caught_up: reached target_offset (or EOF)
  int64_t stored_offset = -1;  ///< last offset stored in this generation (-1: none yet)
  int64_t start_offset = -1;   ///< until_caught_up: where reading started (progress total)
  int64_t next_offset = -1;    ///< offset after the last record handed over (-1: none yet)
};

class PartitionStreams {
 public:
  /// The partition's stream id, adding it on first sight.
  uint32_t IdFor(std::string_view topic, int32_t partition);
  /// The partition's stream, nullptr when it was never seen.
  PartitionStream* Find(std::string_view topic, int32_t partition);
  /// Find for a consumed message. Consecutive messages mostly come from one partition, so the
  /// last (topic handle, partition) -> stream id is remembered and the topic name is not
  /// hashed again (the name lookup was ~1.5% of a mapped run's CPU). Call ForgetLastMessage on
  /// every assignment change: a topic handle is released (and its address may be reused for
  /// another topic) only after its partitions were revoked.
  PartitionStream* FindForMessage(const rd_kafka_message_t* m);
  void ForgetLastMessage() { last_topic_handle_ = nullptr; }

  uint32_t IdOf(const PartitionStream& s) const { return static_cast<uint32_t>(&s - streams_.data()); }
  size_t size() const { return streams_.size(); }
  PartitionStream& operator[](uint32_t id) { return streams_[id]; }
  const PartitionStream& operator[](uint32_t id) const { return streams_[id]; }
  std::vector<PartitionStream>::iterator begin() { return streams_.begin(); }
  std::vector<PartitionStream>::iterator end() { return streams_.end(); }
  std::vector<PartitionStream>::const_iterator begin() const { return streams_.begin(); }
  std::vector<PartitionStream>::const_iterator end() const { return streams_.end(); }
  /// "topic[partition]" of a stream, for logs and errors.
  std::string Name(uint32_t id) const;

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<PartitionStream> streams_;  ///< indexed by stream id
  std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> ids_;
  const void* last_topic_handle_ = nullptr;  ///< FindForMessage's memory (nullptr: none)
  int32_t last_partition_ = -1;
  uint32_t last_stream_ = 0;
};

}  // namespace sluice::stages::internal
