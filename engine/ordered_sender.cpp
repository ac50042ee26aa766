#include "engine/ordered_sender.h"

#include <vector>

namespace sluice {

Status OrderedSender::Start(DeliveryListener* listener) {
  listener_ = listener;
  return inner_->Start(this);
}

void OrderedSender::Submit(std::unique_ptr<Batch> batch) {
  if (batch->records.empty()) return;
  const uint32_t stream = batch->records.front().position.stream;
  {
    std::lock_guard<std::mutex> lock(mu_);
    StreamLane& lane = lanes_[stream];
    if (lane.in_flight_records > 0) {
      lane.waiting.push_back(std::move(batch));
      return;
    }
    lane.in_flight_records = batch->records.size();
  }
  inner_->Submit(std::move(batch));
}

void OrderedSender::OnDelivery(DeliveryReport report) {
  std::vector<std::unique_ptr<Batch>> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto settle = [&](uint32_t stream) {
      auto it = lanes_.find(stream);
      if (it == lanes_.end() || it->second.in_flight_records == 0) return;
      StreamLane& lane = it->second;
      if (--lane.in_flight_records > 0) return;
      if (!lane.waiting.empty()) {
        lane.in_flight_records = lane.waiting.front()->records.size();
        ready.push_back(std::move(lane.waiting.front()));
        lane.waiting.pop_front();
      }
    };
    for (const SourcePosition& p : report.delivered) settle(p.stream);
    for (const RejectedRecord& r : report.rejected) settle(r.position.stream);
  }
  listener_->OnDelivery(std::move(report));
  for (auto& b : ready) inner_->Submit(std::move(b));
}

}  // namespace sluice
