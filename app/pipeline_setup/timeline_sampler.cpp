#include "app/pipeline_setup/timeline_sampler.h"

namespace sluice::cli {

TimelineSampler::TimelineSampler(Probe probe, ConcurrencyTimeline* timeline)
    : probe_(std::move(probe)), timeline_(timeline), start_(std::chrono::steady_clock::now()) {
  Sample(false);
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      // The timeline's interval doubles as it thins, so ask it each time.
      const auto wait = std::chrono::duration<double>(timeline_->IntervalSeconds());
      if (cv_.wait_for(lock, wait, [this] { return stopping_; })) break;
      Sample(false);
    }
  });
}

TimelineSampler::~TimelineSampler() { Stop(); }

void TimelineSampler::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  Sample(true);
}

void TimelineSampler::Sample(bool last) {
  int limit = 0;
  uint64_t delivered = 0;
  probe_(limit, delivered);
  const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (last) {
    timeline_->Add(t, limit, delivered);
  } else {
    timeline_->MaybeAdd(t, limit, delivered);
  }
}

}  // namespace sluice::cli
