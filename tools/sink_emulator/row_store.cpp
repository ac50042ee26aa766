#include "tools/sink_emulator/row_store.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace sluice::emulator {

void SinkStore::Apply(std::vector<ValidRow>* rows, uint64_t records_received, uint64_t rejected,
                      uint64_t body_bytes) {
  // Group by shard first so each shard lock is taken once per request.
  std::array<std::vector<ValidRow*>, kShards> by_shard;
  std::hash<std::string> hasher;
  for (ValidRow& r : *rows) by_shard[hasher(r.key) % kShards].push_back(&r);
  uint64_t dup = 0;
  for (size_t s = 0; s < kShards; ++s) {
    if (by_shard[s].empty()) continue;
    std::lock_guard<std::mutex> lock(shards_[s].mu);
    for (ValidRow* r : by_shard[s]) {
      auto [it, inserted] = shards_[s].rows.try_emplace(std::move(r->key));
      if (!inserted) ++dup;
      it->second = std::move(r->line);
    }
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  records_received_.fetch_add(records_received, std::memory_order_relaxed);
  records_stored_.fetch_add(rows->size(), std::memory_order_relaxed);
  duplicates_.fetch_add(dup, std::memory_order_relaxed);
  rejected_.fetch_add(rejected, std::memory_order_relaxed);
  bytes_received_.fetch_add(body_bytes, std::memory_order_relaxed);
}

SinkStats SinkStore::Stats() const {
  SinkStats s;
  s.requests = requests_.load(std::memory_order_relaxed);
  s.records_received = records_received_.load(std::memory_order_relaxed);
  s.records_stored = records_stored_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_received_.load(std::memory_order_relaxed);
  for (const Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    s.distinct_ids += sh.rows.size();
  }
  return s;
}

std::string SinkStore::RowsNdjson() const {
  std::vector<std::pair<std::string, std::string>> all;
  for (const Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    for (const auto& kv : sh.rows) all.push_back(kv);
  }
  const bool numeric = numeric_keys_;
  std::sort(all.begin(), all.end(), [numeric](const auto& a, const auto& b) {
    // Canonical digit strings: shorter is smaller, equal length compares lexicographically.
    if (numeric && a.first.size() != b.first.size()) return a.first.size() < b.first.size();
    return a.first < b.first;
  });
  std::string out;
  size_t total = 0;
  for (const auto& kv : all) total += kv.second.size() + 1;
  out.reserve(total);
  for (const auto& kv : all) {
    out += kv.second;
    out.push_back('\n');
  }
  return out;
}

void SinkStore::Clear() {
  for (Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.rows.clear();
  }
  requests_ = 0;
  records_received_ = 0;
  records_stored_ = 0;
  duplicates_ = 0;
  rejected_ = 0;
  bytes_received_ = 0;
}

SinkStore* SinkRegistry::GetOrCreate(const std::string& id) {
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = sinks_.find(id);
    if (it != sinks_.end()) return it->second.get();
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto& slot = sinks_[id];
  if (!slot) slot = std::make_unique<SinkStore>(numeric_keys_);
  return slot.get();
}

}  // namespace sluice::emulator
