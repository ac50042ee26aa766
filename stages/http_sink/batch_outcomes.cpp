#include "stages/http_sink/batch_outcomes.h"

namespace sluice::stages {

std::unique_ptr<Batch> SubBatch(const SinkFormat& format, const Batch& b, size_t begin, size_t end) {
  auto out = std::make_unique<Batch>();
  out->id = b.id;
  out->first_record_at = b.first_record_at;
  out->sealed_at = b.sealed_at;
  out->attempts = b.attempts;
  format.Open(out->payload);
  out->records.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    const std::string_view v = b.Value(i);
    BatchRecord r;
    r.begin = format.Append(out->payload, v, i == begin);
    r.length = static_cast<uint32_t>(v.size());
    r.position = b.records[i].position;
    out->CopyMeta(r, b, i);
    out->records.push_back(r);
  }
  format.Close(out->payload);
  return out;
}

DeliveryReport AcceptedReport(const Batch& b, const std::vector<RejectedIndex>& rejected) {
  DeliveryReport report;
  std::vector<const RejectedIndex*> by_index(b.records.size(), nullptr);
  for (const RejectedIndex& r : rejected) {
    if (r.index < b.records.size()) by_index[r.index] = &r;
  }
  report.delivered.reserve(b.records.size());
  for (size_t i = 0; i < b.records.size(); ++i) {
    if (by_index[i] != nullptr) {
      report.rejected.push_back(b.Reject(i, by_index[i]->reason, RejectStage::kSink));
    } else {
      report.delivered.push_back(b.records[i].position);
    }
  }
  report.delivered_bytes = b.payload.size();
  return report;
}

DeliveryReport RejectedReport(const Batch& b, const std::string& reason) {
  DeliveryReport report;
  for (size_t i = 0; i < b.records.size(); ++i) {
    report.rejected.push_back(b.Reject(i, reason, RejectStage::kSink));
  }
  return report;
}

}  // namespace sluice::stages
