#include "devtools/sink_emulator/delay_scheduler.h"

namespace sluice::emulator {

DelayScheduler::DelayScheduler() : thread_([this] { Run(); }) {}

DelayScheduler::~DelayScheduler() { Shutdown(); }

bool DelayScheduler::Schedule(Clock::time_point due, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    items_.push(Item{due, next_seq_++, std::move(fn)});
  }
  cv_.notify_all();
  return true;
}

void DelayScheduler::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DelayScheduler::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (items_.empty()) {
      if (stop_) return;
      cv_.wait(lock, [this] { return stop_ || !items_.empty(); });
      continue;
    }
    const bool now_all = stop_;
    if (!now_all && items_.top().due > Clock::now()) {
      const Clock::time_point due = items_.top().due;  // copy: the queue may change while waiting
      cv_.wait_until(lock, due);
      continue;
    }
    std::function<void()> fn = std::move(const_cast<Item&>(items_.top()).fn);
    items_.pop();
    lock.unlock();
    fn();  // outside the lock: it calls into MHD
    lock.lock();
  }
}

}  // namespace sluice::emulator
