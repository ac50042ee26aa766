// File: devtools/sink_emulator/delay_scheduler.h
// DelayScheduler: one timer thread that runs callbacks at a due time. The HTTP server uses it
// for injected latency: the handler suspends the MHD connection and schedules its resume, so
// no MHD polling thread ever sleeps and 2 pool threads serve any number of delayed requests.
// Thread-safety: Schedule() may be called from any thread; callbacks run on the timer thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace sluice::emulator {

class DelayScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  DelayScheduler();
  /// Calls Shutdown().
  ~DelayScheduler();
  DelayScheduler(const DelayScheduler&) = delete;
  DelayScheduler& operator=(const DelayScheduler&) = delete;

  /// Queues `fn` to run at `due`. Returns false (and drops `fn`) after Shutdown(); the caller
  /// must then do the work itself.
  [[nodiscard]] bool Schedule(Clock::time_point due, std::function<void()> fn);
  /// Runs every pending callback now, joins the thread and refuses later Schedule() calls.
  /// Idempotent. Used before the HTTP daemon stops, so no connection stays suspended.
  void Shutdown();

 private:
  struct Item {
    Clock::time_point due;
    uint64_t seq;  ///< FIFO among equal due times
    std::function<void()> fn;
    bool operator>(const Item& o) const { return due != o.due ? due > o.due : seq > o.seq; }
  };
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> items_;
  uint64_t next_seq_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::emulator
