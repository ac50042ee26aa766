// File: engine/dead_letter_sink.h
// DeadLetterSink: where rejected records go (file NDJSON, Kafka topic). A record counts as
// acknowledged once Write() returned OK. Called on the pipeline's ingress thread only.
#pragma once

#include "engine/delivery_report.h"
#include "engine/source.h"
#include "engine/status.h"

namespace sluice {

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  /// Durably writes one rejected record (flushes before returning OK).
  [[nodiscard]] virtual Status Write(const RejectedRecord& record, const StreamInfo& stream) = 0;
  [[nodiscard]] virtual Status Flush() = 0;
};

}  // namespace sluice
