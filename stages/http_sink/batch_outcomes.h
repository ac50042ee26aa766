// File: stages/http_sink/batch_outcomes.h
// What a verdict turns a batch into, built without the sender's state: a half of a batch to
// split (re-framed by the sink format, records keep their positions and metadata), the
// delivery report of an accepted batch (records the sink named as failed are rejected, the
// rest delivered), and the report of a batch rejected whole. Used by HttpSender::OnDataDone.
// Thread-safety: pure functions over their arguments.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/batch.h"
#include "engine/delivery_report.h"
#include "engine/sink_format.h"

namespace sluice::stages {

/// Records [begin, end) of `b` as a batch of their own, framed by `format`.
[[nodiscard]] std::unique_ptr<Batch> SubBatch(const SinkFormat& format, const Batch& b, size_t begin, size_t end);

/// The report of an accepted batch: records named in `rejected` (reasons already redacted)
/// are rejected by the sink, every other record is delivered.
[[nodiscard]] DeliveryReport AcceptedReport(const Batch& b, const std::vector<RejectedIndex>& rejected);

/// The report of a batch the sink rejected whole, every record with `reason` (redacted).
[[nodiscard]] DeliveryReport RejectedReport(const Batch& b, const std::string& reason);

}  // namespace sluice::stages
