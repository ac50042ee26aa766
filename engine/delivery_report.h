// File: engine/delivery_report.h
// DeliveryReport: what happened to records after the transform or the sink dealt with them.
// Delivered records are acknowledged; rejected ones must reach the dead-letter destination
// (or stop the run) before they count as acknowledged. Flows from the batch assembler and the
// sender back to the ingress thread over a moodycamel queue (engine/ack_channel.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/record_meta.h"
#include "engine/reject_stage.h"
#include "engine/source_position.h"
#include "engine/status.h"

namespace sluice {

struct RejectedRecord {
  SourcePosition position;
  std::string bytes;    ///< the record as the engine had it (original payload or sent value)
  std::string reason;   ///< why (parser, schema or sink words); never contains secrets
  RejectStage stage = RejectStage::kMap;  ///< who refused it (RejectStageName: its dead-letter word)
  RecordOrigin origin;  ///< the source record's key, headers, and whether its value was null
};

struct DeliveryReport {
  std::vector<SourcePosition> delivered;  ///< stored by the sink
  std::vector<RejectedRecord> rejected;   ///< refused permanently
  uint64_t delivered_bytes = 0;           ///< request bytes that carried `delivered`
  std::vector<SourcePosition> skipped_tombstones;  ///< null values acknowledged unsent (--skip-tombstones)
};

/// Receives reports and fatal errors from stage threads. Implemented by the pipeline.
/// Thread-safe: called from TBB workers and the sender thread.
class DeliveryListener {
 public:
  virtual ~DeliveryListener() = default;
  virtual void OnDelivery(DeliveryReport report) = 0;
  /// A non-retriable error (e.g. a 403 from the sink): the run stops, nothing past it commits.
  virtual void OnFatal(Status status) = 0;
};

}  // namespace sluice
