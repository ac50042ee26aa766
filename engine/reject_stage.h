// File: engine/reject_stage.h
// RejectStage: which stage of the pipeline refused a record for good (parse, map or sink).
// Set where the decision is made (the transform's OutputRecord, the sender's Batch::Reject)
// and carried in RejectedRecord to the dead-letter sinks and the pipeline's log, which turn
// it into text with RejectStageName. The names are part of the dead-letter format (the
// `stage` field of a dead-letter line, the `sluice.stage` Kafka header): never rename them.
// Thread-safety: constants and a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

enum class RejectStage : uint8_t {
  kParse,  ///< the value is not a JSON document (or is null: a Kafka tombstone)
  kMap,    ///< valid JSON the schema cannot map (missing key, wrong type, too large)
  kSink,   ///< the sink refused the record itself
};

/// "parse", "map" or "sink": the words dead letters carry.
constexpr std::string_view RejectStageName(RejectStage stage) {
  switch (stage) {
    case RejectStage::kParse:
      return "parse";
    case RejectStage::kMap:
      return "map";
    case RejectStage::kSink:
      return "sink";
  }
  return "unknown";
}

}  // namespace sluice
