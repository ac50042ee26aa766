// File: engine/ordered_sender.h
// OrderedSender: a BatchSender decorator for --ordered. It lets at most one batch per stream
// (partition) be in flight: a batch waits while an earlier batch of its stream is unacknowledged,
// so retries can never reorder a partition's records. It expects single-stream batches (the
// batcher's per_stream policy). A batch counts as finished when every one of its records was
// reported delivered or rejected. Thread-safety: Submit from the assemble node, OnDelivery from
// the sender thread; one mutex, taken once per batch or report (never per record).
#pragma once

#include <deque>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "engine/batch_sender.h"

namespace sluice {

class OrderedSender final : public BatchSender, public DeliveryListener {
 public:
  explicit OrderedSender(BatchSender* inner) : inner_(inner) {}

  Status Start(DeliveryListener* listener) override;
  void Submit(std::unique_ptr<Batch> batch) override;
  void Stop(bool abandon) override { inner_->Stop(abandon); }
  SenderStats Stats() const override { return inner_->Stats(); }
  size_t MaxBatchBytesHint() const override { return inner_->MaxBatchBytesHint(); }

  void OnDelivery(DeliveryReport report) override;
  void OnFatal(Status status) override { listener_->OnFatal(std::move(status)); }

 private:
  struct StreamLane {
    uint64_t in_flight_records = 0;  ///< records of the batch on the wire, 0 when none
    std::deque<std::unique_ptr<Batch>> waiting;
  };

  BatchSender* inner_;
  DeliveryListener* listener_ = nullptr;
  std::mutex mu_;
  std::unordered_map<uint32_t, StreamLane> lanes_;
};

}  // namespace sluice
