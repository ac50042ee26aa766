#include "devtools/sink_emulator/row_store.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <sys/mman.h>

namespace sluice::emulator {

namespace {

constexpr size_t kHeaderBytes = 16;  // sizeof(RowHeader), kept as a constant for the padding math

size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }

/// Blocks at least this large are prefaulted when allocated (chunks and large indexes).
constexpr size_t kPopulateMinBytes = size_t{256} << 10;

}  // namespace

uint64_t RowArena::KeyHash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  // FNV's low bits mix poorly for short keys that differ only in their last digits: finish
  // with the murmur3 avalanche so both the index (low bits) and the shard (high bits) spread.
  h ^= key.size();
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

void RowArena::FreeDeleter::operator()(void* p) const { std::free(p); }

void* RowArena::AllocBlock(size_t bytes, bool huge) {
  constexpr size_t kHugePage = size_t{2} << 20;
  huge = huge && bytes >= kHugePage;
  void* p = huge ? std::aligned_alloc(kHugePage, (bytes + kHugePage - 1) & ~(kHugePage - 1))
                 : std::malloc(bytes);
  if (p == nullptr) {  // out of memory ends the process (STYLE), as a failed new would
    std::fputs("sink emulator: out of memory\n", stderr);
    std::abort();
  }
  if (bytes >= kPopulateMinBytes) {
    // A fresh chunk or index is new memory: fault its pages in with one call instead of one
    // trap per 4 KiB page as rows are written (a store that keeps growing paid ~5% of its CPU
    // in page faults). Advice only: on a kernel without MADV_POPULATE_WRITE the pages fault in
    // on first write as before.
    const uintptr_t page = 4096;
    const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
#ifdef MADV_HUGEPAGE
    if (huge) (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    if (end > begin) {
      (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
    }
#endif
  }
  return p;
}

RowArena::Loc RowArena::Append(std::string_view line, size_t key_offset, size_t key_bytes) {
  static_assert(sizeof(RowHeader) == kHeaderBytes, "RowHeader layout");
  const size_t need = kHeaderBytes + RoundUp8(line.size());
  if (chunks_.empty() || chunks_.back().size - chunks_.back().used < need) {
    Chunk c;
    c.size = std::max(chunks_.empty() ? kFirstChunkBytes : kChunkBytes, need);
    c.data.reset(static_cast<char*>(AllocBlock(c.size)));
    reserved_bytes_ += c.size;
    chunks_.push_back(std::move(c));
  }
  if (chunks_.size() > kMaxChunks) {  // 8 TiB of rows in one shard: beyond what Slot can name
    std::fputs("sink emulator: row store full\n", stderr);
    std::abort();
  }
  Chunk& c = chunks_.back();
  const Loc loc = (static_cast<Loc>(chunks_.size() - 1) << 32) | c.used;
  RowHeader h{static_cast<uint32_t>(RoundUp8(line.size())), static_cast<uint32_t>(line.size()),
              static_cast<uint32_t>(key_offset), static_cast<uint32_t>(key_bytes)};
  std::memcpy(c.data.get() + c.used, &h, sizeof(h));
  std::memcpy(c.data.get() + c.used + kHeaderBytes, line.data(), line.size());
  c.used += need;
  return loc;
}

size_t RowArena::FindSlot(uint64_t hash, std::string_view key) const {
  const size_t mask = slot_count_ - 1;
  const Slot* slots = slots_.get();
  for (size_t i = SlotOf(hash);; i = (i + 1) & mask) {
    const Slot s = slots[i];
    if (s == kEmptySlot) return i;
    if (TagMatches(s, hash) && KeyOf(LocOf(s)) == key) return i;
  }
}

void RowArena::GrowIndex() {
  std::unique_ptr<Slot, FreeDeleter> old = std::move(slots_);
  const size_t old_count = slot_count_;
  slot_count_ = old_count == 0 ? 1024 : old_count * 2;
  int k = 0;
  while ((size_t{1} << k) < slot_count_) ++k;
  slot_shift_ = 60 - k;
  slots_.reset(static_cast<Slot*>(AllocBlock(slot_count_ * sizeof(Slot), /*huge=*/true)));
  Slot* slots = slots_.get();
  std::fill_n(slots, slot_count_, kEmptySlot);
  const size_t mask = slot_count_ - 1;
  for (size_t j = 0; j < old_count; ++j) {
    const Slot s = old.get()[j];
    if (s == kEmptySlot) continue;
    // Up to 2^24 slots the position is the tag's top k bits; beyond, the key is hashed again.
    size_t i = k <= kTagBits ? static_cast<size_t>((s >> 40) >> (kTagBits - k))
                             : SlotOf(KeyHash(KeyOf(LocOf(s))));
    while (slots[i] != kEmptySlot) i = (i + 1) & mask;
    slots[i] = s;
  }
}

bool RowArena::Upsert(uint64_t hash, std::string_view key, size_t key_offset,
                      std::string_view line) {
  if ((live_rows_ + 1) * 2 > slot_count_) GrowIndex();
  const size_t i = FindSlot(hash, key);
  Slot& s = slots_.get()[i];
  if (s == kEmptySlot) {
    s = MakeSlot(hash, Append(line, key_offset, key.size()));
    ++live_rows_;
    live_bytes_ += line.size();
    return false;
  }
  RowHeader* h = HeaderAt(LocOf(s));
  live_bytes_ += line.size();
  live_bytes_ -= h->line_bytes;
  if (line.size() <= h->capacity) {
    // Same row re-sent (redelivery) or a shorter one: overwrite in place, no dead space.
    std::memcpy(reinterpret_cast<char*>(h + 1), line.data(), line.size());
    h->line_bytes = static_cast<uint32_t>(line.size());
    h->key_offset = static_cast<uint32_t>(key_offset);
    h->key_bytes = static_cast<uint32_t>(key.size());
    return true;
  }
  dead_bytes_ += kHeaderBytes + h->capacity;
  s = WithLoc(s, Append(line, key_offset, key.size()));
  if (dead_bytes_ > kChunkBytes && dead_bytes_ > live_bytes_) Compact();
  return true;
}

void RowArena::Compact() {
  std::vector<Chunk> old = std::move(chunks_);
  chunks_.clear();
  reserved_bytes_ = 0;
  dead_bytes_ = 0;
  for (size_t k = 0; k < slot_count_; ++k) {
    Slot& s = slots_.get()[k];
    if (s == kEmptySlot) continue;
    const Loc loc = LocOf(s);
    const Chunk& c = old[loc >> 32];
    const auto* h = reinterpret_cast<const RowHeader*>(c.data.get() + (loc & 0xffffffffu));
    s = WithLoc(s, Append({reinterpret_cast<const char*>(h + 1), h->line_bytes}, h->key_offset, h->key_bytes));
  }
}

void RowArena::Clear() {
  std::vector<Chunk>().swap(chunks_);
  slots_.reset();
  slot_count_ = 0;
  live_rows_ = 0;
  live_bytes_ = 0;
  dead_bytes_ = 0;
  reserved_bytes_ = 0;
}

void SinkStore::Apply(const IngestResult& result, uint64_t body_bytes) {
  // Order the rows by shard (a counting sort over the hash's top bits), so each shard lock is
  // taken once per request and hashes are computed outside the locks. Request order is kept
  // within a shard, so a later row with the same _id still wins.
  const size_t n = result.rows.size();
  std::vector<uint64_t> hashes(n);
  std::array<uint32_t, kShards + 1> start{};
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = RowArena::KeyHash(result.Key(i));
    ++start[(hashes[i] >> 60) + 1];
  }
  for (size_t s = 0; s < kShards; ++s) start[s + 1] += start[s];
  std::vector<uint32_t> order(n);
  std::array<uint32_t, kShards> fill{};
  for (size_t i = 0; i < n; ++i) {
    const size_t s = hashes[i] >> 60;
    order[start[s] + fill[s]++] = static_cast<uint32_t>(i);
  }
  uint64_t dup = 0;
  // A result encoded otherwise than this store's rows would be dumped as garbage.
  assert(result.layout == layout_.get() || n == 0);
  for (size_t s = 0; s < kShards; ++s) {
    if (start[s] == start[s + 1]) continue;
    std::lock_guard<std::mutex> lock(shards_[s].mu);
    RowArena& arena = shards_[s].rows;
    constexpr size_t kPrefetchAhead = 8;
    for (size_t k = start[s]; k < std::min<size_t>(start[s] + kPrefetchAhead, start[s + 1]); ++k) {
      arena.Prefetch(hashes[order[k]]);
    }
    for (size_t k = start[s]; k < start[s + 1]; ++k) {
      if (k + kPrefetchAhead < start[s + 1]) arena.Prefetch(hashes[order[k + kPrefetchAhead]]);
      const size_t i = order[k];
      const RowRef& r = result.rows[i];
      if (arena.Upsert(hashes[i], result.Key(i), r.key_offset, result.Row(i))) ++dup;
    }
  }
  requests_.fetch_add(1, std::memory_order_relaxed);
  records_received_.fetch_add(result.records_received, std::memory_order_relaxed);
  records_stored_.fetch_add(n, std::memory_order_relaxed);
  duplicates_.fetch_add(dup, std::memory_order_relaxed);
  rejected_.fetch_add(result.errors.size(), std::memory_order_relaxed);
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
  // Lock every shard for the whole dump: the views point into the arenas.
  std::array<std::unique_lock<std::mutex>, kShards> locks;
  for (size_t s = 0; s < kShards; ++s) locks[s] = std::unique_lock<std::mutex>(shards_[s].mu);
  std::vector<std::pair<std::string_view, std::string_view>> all;
  size_t total = 0;
  for (const Shard& sh : shards_) {
    sh.rows.ForEach([&](std::string_view key, std::string_view line) {
      all.emplace_back(key, line);
      total += line.size() + 1;
    });
  }
  const bool numeric = numeric_keys_;
  std::sort(all.begin(), all.end(), [numeric](const auto& a, const auto& b) {
    // Canonical digit strings: shorter is smaller, equal length compares lexicographically.
    if (numeric && a.first.size() != b.first.size()) return a.first.size() < b.first.size();
    return a.first < b.first;
  });
  std::string out;
  out.reserve(total);
  for (const auto& kv : all) {
    if (layout_ != nullptr) {
      layout_->AppendLine(kv.second, &out);
    } else {
      out += kv.second;
    }
    out.push_back('\n');
  }
  return out;
}

void SinkStore::Clear() {
  for (Shard& sh : shards_) {
    std::lock_guard<std::mutex> lock(sh.mu);
    sh.rows.Clear();
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
  if (!slot) slot = std::make_unique<SinkStore>(numeric_keys_, layout_);
  return slot.get();
}

}  // namespace sluice::emulator
