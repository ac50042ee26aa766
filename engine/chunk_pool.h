// File: engine/chunk_pool.h
// ChunkPool: recycles RecordChunks so their buffers keep their capacity and the steady state
// allocates nothing per record. Thread-safe: chunks are taken on the ingress thread and returned
// from TBB workers.
#pragma once

#include <memory>

#include "engine/queue.h"
#include "engine/record_chunk.h"

namespace sluice {

class ChunkPool {
 public:
  ChunkPool() = default;
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;
  ~ChunkPool() {
    RecordChunk* c = nullptr;
    while (free_.TryPop(c)) delete c;
  }
  /// An empty chunk, owned by the caller until Release().
  RecordChunk* Acquire() {
    RecordChunk* c = nullptr;
    if (free_.TryPop(c)) return c;
    return new RecordChunk();
  }
  /// Gives a chunk back; its content is cleared, its capacity kept.
  void Release(RecordChunk* chunk) {
    chunk->Clear();
    free_.Push(chunk);
  }

 private:
  MpmcQueue<RecordChunk*> free_{64};
};

}  // namespace sluice
