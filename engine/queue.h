// File: engine/queue.h
// The only include of moodycamel::ConcurrentQueue in sluice. MpmcQueue<T> is a lock-free
// multi-producer multi-consumer queue used where work crosses to a dedicated thread outside the
// TBB graph (batches to the sender, delivery reports back to the ingress thread). It is not
// bounded by itself: every use is bounded by the in-flight budget upstream (engine/inflight_budget.h).
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstddef>
#include <utility>

namespace sluice {

template <typename T>
class MpmcQueue {
 public:
  explicit MpmcQueue(size_t initial_capacity = 1024) : q_(initial_capacity) {}
  /// Thread-safe. Allocates only when the queue grows past its high-water mark.
  void Push(T value) { q_.enqueue(std::move(value)); }
  /// Thread-safe. False when empty.
  bool TryPop(T& out) { return q_.try_dequeue(out); }
  /// Approximate number of elements (for metrics).
  size_t SizeApprox() const { return q_.size_approx(); }

 private:
  moodycamel::ConcurrentQueue<T> q_;
};

}  // namespace sluice
