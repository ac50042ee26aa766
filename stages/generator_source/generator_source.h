// File: stages/generator_source/generator_source.h
// GeneratorSource: a Source of synthetic load for `sluice bench`. It serves one stream (0) of
// records with increasing offsets, taken round-robin from a pool built up front (fake flights
// from FlightGenerator, or the lines of an NDJSON file). Closed loop: every Poll fills the chunk.
// Open loop: record i is due at start + i / records_per_s and is never emitted earlier; a
// paused or slow pipeline only makes records late, it never moves the schedule, so latency
// measured from ScheduledTime() includes the queueing a stalled sink causes (no coordinated
// omission). Exhausted() after max_records or duration_ms.
// Thread-safety: the Source methods are called from the pipeline's ingress thread only;
// ScheduledTime()/StartTime() may be called from any thread once Start() returned.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/source.h"
#include "stages/generator_source/generator_source_config.h"

namespace sluice::stages {

class GeneratorSource final : public Source {
 public:
  using Clock = std::chrono::steady_clock;

  /// Validates `config` and builds the record pool (reads the NDJSON file if one is given, so a
  /// missing or empty file fails here, before anything runs).
  [[nodiscard]] static StatusOr<std::unique_ptr<GeneratorSource>> Create(const GeneratorSourceConfig& config);

  /// Starts the clock: the schedule and the duration count from here.
  [[nodiscard]] Status Start(SourceListener* listener) override;
  [[nodiscard]] StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) override;
  bool Exhausted() const override;
  void SetPaused(bool paused) override { paused_ = paused; }
  /// Counts acknowledged records (there are no offsets to commit).
  [[nodiscard]] Status Store(const std::vector<CommitPoint>& points) override;
  [[nodiscard]] Status Close() override { return Status::Ok(); }
  StreamInfo DescribeStream(uint32_t stream) const override;

  /// Open loop: when record `offset` was due. Closed loop: StartTime(). Thread-safe.
  [[nodiscard]] Clock::time_point ScheduledTime(int64_t offset) const;
  /// When Start() was called (epoch before). Thread-safe.
  [[nodiscard]] Clock::time_point StartTime() const;
  /// Records emitted so far (ingress thread).
  [[nodiscard]] uint64_t emitted() const { return next_offset_; }
  /// Records acknowledged so far (ingress thread).
  [[nodiscard]] uint64_t acknowledged() const { return acknowledged_; }
  /// Open loop: records that were due but not emitted yet at the last Poll (ingress thread).
  [[nodiscard]] uint64_t backlog() const { return backlog_; }
  /// Number of distinct records cycled.
  [[nodiscard]] size_t pool_size() const { return pool_offsets_.empty() ? 0 : pool_offsets_.size() - 1; }

 private:
  explicit GeneratorSource(const GeneratorSourceConfig& config) : config_(config) {}
  [[nodiscard]] Status BuildPool();
  /// Records the schedule allows by `now` (open loop), capped by max_records / duration.
  uint64_t LimitAt(Clock::time_point now) const;
  void Append(RecordChunk& chunk, size_t count);

  const GeneratorSourceConfig config_;
  std::string pool_;                 ///< records back to back
  std::vector<uint32_t> pool_offsets_;  ///< start of each record in pool_, plus the end
  std::atomic<int64_t> start_ns_{0};  ///< Clock epoch-relative start, for other threads
  Clock::time_point start_{};
  Clock::time_point last_emit_{};
  uint64_t next_offset_ = 0;
  uint64_t acknowledged_ = 0;
  uint64_t backlog_ = 0;
  size_t next_pool_index_ = 0;
  bool started_ = false;
  bool paused_ = false;
};

}  // namespace sluice::stages
