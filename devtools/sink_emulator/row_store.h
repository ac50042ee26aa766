// File: devtools/sink_emulator/row_store.h
// RowArena: the rows of one shard, upsert by _id (later wins). Each row is a byte string (the
// compact form of RowLayout, or an NDJSON line) holding its key, so the key is a slice of the
// row and is not stored apart.
// Lines are appended into large chunks (no allocation per row) and found through an
// open-addressing index of 8-byte (hash tag, location) entries, on transparent huge pages. A
// row is a "line" below whatever its encoding. A replacing line that fits the old one's
// space is written in place; otherwise it is appended and the old space counted as dead, and
// the arena compacts itself once dead bytes pass live bytes, so memory stays under about twice
// the live rows. Thread-safety: RowArena is not synchronized; SinkStore guards each with a mutex.
//
// SinkStore: the rows and counters of one sink id, sharded by key hash with one mutex per shard
// so parallel requests to one sink rarely contend; the caller has already parsed and normalized
// the rows outside any lock. SinkRegistry maps sink ids to stores, creating them on first use.
// Thread-safety: all SinkStore and SinkRegistry methods are safe to call from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "devtools/sink_emulator/ingest_validator.h"

namespace sluice::emulator {

/// Upsert-by-key store of rows (byte strings holding their key) in chunked memory (see the file comment).
class RowArena {
 public:
  /// Bytes of one ordinary chunk; a line longer than this gets a chunk of its own. The first chunk of an arena is smaller, so small sinks stay small.
  static constexpr size_t kChunkBytes = size_t{2} << 20;
  static constexpr size_t kFirstChunkBytes = size_t{256} << 10;

  RowArena() = default;
  RowArena(const RowArena&) = delete;
  RowArena& operator=(const RowArena&) = delete;

  /// Stores `line` under `key` (a slice of `line`: offset key_offset, length key.size()),
  /// replacing any earlier line with the same key. `hash` must be KeyHash(key). A line must be
  /// shorter than 4 GiB (lengths are kept in 32 bits; bodies are capped far below that).
  /// Returns true if the key was already present.
  bool Upsert(uint64_t hash, std::string_view key, size_t key_offset, std::string_view line);
  /// Rows currently stored (distinct keys).
  size_t size() const { return live_rows_; }
  /// Starts loading the index slot `hash` will probe first (Apply hashes a whole request,
  /// then prefetches a few rows ahead: on a large store each probe is a cache and TLB miss).
  void Prefetch(uint64_t hash) const {
    if (slot_count_ != 0) __builtin_prefetch(slots_.get() + SlotOf(hash));
  }
  /// Calls fn(key, line) for every stored row, in no particular order. Views are valid until
  /// the next Upsert or Clear.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (size_t i = 0; i < slot_count_; ++i) {
      const Slot s = slots_.get()[i];
      if (s != kEmptySlot) fn(KeyOf(LocOf(s)), LineOf(LocOf(s)));
    }
  }
  /// Drops every row and frees the chunks.
  void Clear();
  /// Bytes held by chunks (live, dead and not yet used). For tests and stats.
  size_t reserved_bytes() const { return reserved_bytes_; }
  /// Bytes of the lines stored now.
  size_t live_bytes() const { return live_bytes_; }

  /// The hash the index uses (FNV-1a folded with the length; keys are short).
  static uint64_t KeyHash(std::string_view key);

 private:
  /// Each row in a chunk: this header, then the line bytes, padded to 8 bytes.
  struct RowHeader {
    uint32_t capacity;    ///< bytes reserved for the line (>= line_bytes)
    uint32_t line_bytes;  ///< length of the line
    uint32_t key_offset;  ///< where the key starts in the line
    uint32_t key_bytes;   ///< length of the key
  };
  /// A chunk-relative location: (chunk index << 32) | byte offset of the RowHeader.
  using Loc = uint64_t;
  /// One index entry in 8 bytes (the index is fresh memory too: with 16-byte entries it was
  /// about a third of what a growing store faults in): bits 63..40 hold hash bits 59..36 (the
  /// tag), bits 39..0 the location as chunk index (22 bits) and offset / 8 (18 bits: rows
  /// are 8-aligned and sit below 2 MiB in their chunk; a larger row has a chunk of its own at
  /// offset 0). The index position is hash bits [60 - k, 60) for 2^k slots (bits 63..60 pick
  /// the shard), so up to 2^24 slots the tag alone places an entry when the index grows.
  using Slot = uint64_t;
  static constexpr Slot kEmptySlot = ~Slot{0};
  static constexpr int kTagBits = 24;
  static constexpr size_t kMaxChunks = (size_t{1} << 22) - 1;  ///< all ones is kEmptySlot's
  static Slot MakeSlot(uint64_t hash, Loc loc) {
    return (((hash >> 36) & ((uint64_t{1} << kTagBits) - 1)) << 40) | ((loc >> 32) << 18) |
           ((loc & 0xffffffffu) >> 3);
  }
  /// `s` with its location replaced (the tag stays).
  static Slot WithLoc(Slot s, Loc loc) { return (s & ~((uint64_t{1} << 40) - 1)) | (MakeSlot(0, loc)); }
  static Loc LocOf(Slot s) {
    return (((s >> 18) & ((uint64_t{1} << 22) - 1)) << 32) | ((s & ((uint64_t{1} << 18) - 1)) << 3);
  }
  static bool TagMatches(Slot s, uint64_t hash) {
    return (s >> 40) == ((hash >> 36) & ((uint64_t{1} << kTagBits) - 1));
  }
  /// Index position of `hash` (slot_count_ must be non-zero).
  size_t SlotOf(uint64_t hash) const { return (hash >> slot_shift_) & (slot_count_ - 1); }
  struct FreeDeleter {
    void operator()(void* p) const;
  };
  /// Uninitialized memory from the C allocator; aborts when there is none. `huge` asks for
  /// transparent huge pages (blocks of 2 MiB or more): used for the index, which every row
  /// probes at a random place, so with 4 KiB pages each probe was also a TLB miss (the probe
  /// was most of SinkStore::Apply's time). Chunks stay on small pages: MADV_HUGEPAGE on every
  /// chunk made rows 50% dearer with this kernel's defrag=madvise (compaction per fault).
  static void* AllocBlock(size_t bytes, bool huge = false);
  struct Chunk {
    std::unique_ptr<char, FreeDeleter> data;
    size_t size = 0;  ///< bytes allocated
    size_t used = 0;  ///< bytes handed out
  };

  RowHeader* HeaderAt(Loc loc) const {
    return reinterpret_cast<RowHeader*>(chunks_[loc >> 32].data.get() + (loc & 0xffffffffu));
  }
  std::string_view LineOf(Loc loc) const {
    const RowHeader* h = HeaderAt(loc);
    return {reinterpret_cast<const char*>(h + 1), h->line_bytes};
  }
  std::string_view KeyOf(Loc loc) const {
    const RowHeader* h = HeaderAt(loc);
    return {reinterpret_cast<const char*>(h + 1) + h->key_offset, h->key_bytes};
  }
  /// Copies a row into fresh arena space and returns its location.
  Loc Append(std::string_view line, size_t key_offset, size_t key_bytes);
  /// Index slot holding `key`, or the empty slot where it would go.
  size_t FindSlot(uint64_t hash, std::string_view key) const;
  void GrowIndex();
  /// Rewrites the live rows into new chunks, dropping the dead space.
  void Compact();

  std::vector<Chunk> chunks_;
  std::unique_ptr<Slot, FreeDeleter> slots_;  ///< linear probing, at most half full
  size_t slot_count_ = 0;                      ///< 0 or a power of two, 2^k
  int slot_shift_ = 60;                        ///< 60 - k
  size_t live_rows_ = 0;
  size_t live_bytes_ = 0;     ///< line bytes of stored rows
  size_t dead_bytes_ = 0;     ///< arena bytes of replaced rows not reused
  size_t reserved_bytes_ = 0;
};

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
  /// `layout` is how the rows handed to Apply are encoded (the validator's RowLayout); null
  /// means they are NDJSON lines, stored as they are.
  explicit SinkStore(bool numeric_keys, std::shared_ptr<const RowLayout> layout = nullptr)
      : numeric_keys_(numeric_keys), layout_(std::move(layout)) {}

  /// Stores the valid rows of `result` (copied into the arenas) and updates counters for one
  /// accepted request. result.layout must be this store's layout (both null, or the same).
  void Apply(const IngestResult& result, uint64_t body_bytes);
  SinkStats Stats() const;
  /// All rows as NDJSON sorted by _id ascending (numeric order for id keys). Holds every shard
  /// lock while it sorts and copies (the rows are views into the arenas), so ingest into this
  /// sink waits for a dump; dumps are for tests and demos.
  std::string RowsNdjson() const;
  /// Drops all rows and resets the counters.
  void Clear();

 private:
  static constexpr size_t kShards = 16;
  struct Shard {
    mutable std::mutex mu;
    RowArena rows;
  };

  const bool numeric_keys_;
  const std::shared_ptr<const RowLayout> layout_;
  std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> requests_{0}, records_received_{0}, records_stored_{0}, duplicates_{0},
      rejected_{0}, bytes_received_{0};
};

class SinkRegistry {
 public:
  explicit SinkRegistry(bool numeric_keys, std::shared_ptr<const RowLayout> layout = nullptr)
      : numeric_keys_(numeric_keys), layout_(std::move(layout)) {}
  /// Returns the store for `id`, creating it. The pointer stays valid for the registry's life.
  SinkStore* GetOrCreate(const std::string& id);

 private:
  const bool numeric_keys_;
  const std::shared_ptr<const RowLayout> layout_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<SinkStore>> sinks_;
};

}  // namespace sluice::emulator
