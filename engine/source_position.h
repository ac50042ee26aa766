// File: engine/source_position.h
// Where a record came from, in engine terms: a stream (a Kafka topic-partition, a file, ...)
// numbered by its source, the assignment generation, and the record's offset in the stream.
// The engine never interprets streams; only the source that minted them can name them.
#pragma once

#include <cstdint>

namespace sluice {

struct SourcePosition {
  uint32_t stream = 0;      ///< source-assigned stream id (dense, small)
  uint32_t generation = 0;  ///< bumped each time the stream is (re)assigned; stale acks are dropped
  int64_t offset = -1;      ///< offset of the record in its stream
};

}  // namespace sluice
