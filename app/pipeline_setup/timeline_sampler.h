// File: app/pipeline_setup/timeline_sampler.h
// TimelineSampler: a thread that feeds a ConcurrencyTimeline while a run goes (the limit and the
// records delivered, read through a probe), so `sluice run --report` shows how the in-flight
// limit moved. Used by ExecuteRun.
// Thread-safety: construct, Stop() and destroy on one thread; the probe runs on the sampler's
// thread and must only read atomics.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "engine/concurrency_timeline.h"

namespace sluice::cli {

class TimelineSampler {
 public:
  using Probe = std::function<void(int& limit, uint64_t& delivered)>;

  /// Starts sampling into `timeline` (which outlives this) with t = 0 now.
  TimelineSampler(Probe probe, ConcurrencyTimeline* timeline);
  /// Calls Stop().
  ~TimelineSampler();
  TimelineSampler(const TimelineSampler&) = delete;
  TimelineSampler& operator=(const TimelineSampler&) = delete;

  /// Records the last point and joins the thread. Idempotent.
  void Stop();

 private:
  void Sample(bool last);

  Probe probe_;
  ConcurrencyTimeline* timeline_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::cli
