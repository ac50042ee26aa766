// File: tools/sink_emulator/row_store.h
// SinkStore: the rows and counters of one sink id (upsert by _id, later wins), sharded by key
// hash with one mutex per shard so parallel requests to one sink rarely contend; the caller
// has already parsed and normalized the rows outside any lock. SinkRegistry maps sink ids to
// stores, creating them on first use. Thread-safety: all methods are safe to call from any
// thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tools/sink_emulator/ingest_validator.h"

namespace sluice::emulator {

/// Snapshot of a sink's counters (GET /v2/sinks/{id}/stats).
struct SinkStats {
  uint64_t requests = 0;          ///< ingest requests answered 200
  uint64_t records_received = 0;  ///< records in those requests
  uint64_t records_stored = 0;    ///< valid records written (duplicates included)
  uint64_t distinct_ids = 0;      ///< rows currently stored
  uint64_t duplicates = 0;        ///< valid records whose _id was already stored
  uint64_t rejected = 0;          ///< records refused by validation
  uint64_t bytes_received = 0;    ///< body bytes of those requests
};

class SinkStore {
 public:
  explicit SinkStore(bool numeric_keys) : numeric_keys_(numeric_keys) {}

  /// Stores `rows` (moved from) and updates counters for one accepted request.
  void Apply(std::vector<ValidRow>* rows, uint64_t records_received, uint64_t rejected,
             uint64_t body_bytes);
  SinkStats Stats() const;
  /// All rows as NDJSON sorted by _id ascending (numeric order for id keys).
  std::string RowsNdjson() const;
  /// Drops all rows and resets the counters.
  void Clear();

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, std::string> rows;  ///< key -> NDJSON line
  };

  const bool numeric_keys_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> requests_{0}, records_received_{0}, records_stored_{0}, duplicates_{0},
      rejected_{0}, bytes_received_{0};
};

class SinkRegistry {
 public:
  explicit SinkRegistry(bool numeric_keys) : numeric_keys_(numeric_keys) {}
  /// Returns the store for `id`, creating it. The pointer stays valid for the registry's life.
  SinkStore* GetOrCreate(const std::string& id);

 private:
  const bool numeric_keys_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<SinkStore>> sinks_;
};

}  // namespace sluice::emulator
