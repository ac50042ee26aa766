// File: engine/dead_letter_sink.h
// DeadLetterSink: where rejected records go (file NDJSON, Kafka topic). Write() may buffer; a
// record is durable (and its offset may be committed) only once a Flush() after its Write()
// returned OK. The pipeline writes a round of dead letters, then calls Flush() once, before it
// stores any offset past them. Called on the pipeline's ingress thread only.
#pragma once

#include "engine/delivery_report.h"
#include "engine/source.h"
#include "engine/status.h"

namespace sluice {

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  /// Writes (or queues) one rejected record; an error is fatal for the run.
  [[nodiscard]] virtual Status Write(const RejectedRecord& record, const StreamInfo& stream) = 0;
  /// Makes every record written so far durable (file: fdatasync; Kafka: acknowledged with
  /// acks=all). An error means some of them may be lost: nothing past them may be committed.
  [[nodiscard]] virtual Status Flush() = 0;
};

}  // namespace sluice
