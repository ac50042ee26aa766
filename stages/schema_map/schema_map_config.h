// File: stages/schema_map/schema_map_config.h
// SchemaMapConfig: how the parse+map node turns a Kafka record into the JSON value to send.
// Thread-safety: plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/status.h"

namespace sluice::stages {

/// What goes into RecordChunk::output for an accepted record. Both modes validate and
/// schema-check identically, so the same records are rejected with the same reasons.
enum class PayloadMode : uint8_t {
  kRaw,     ///< the original record, minified (insignificant whitespace removed)
  kMapped,  ///< a flat object of the schema's columns: "_id" first, then schema order
};

struct SchemaMapConfig {
  /// Output form of accepted records; default mapped (what FeatureBase/ClickHouse ingest expects).
  PayloadMode payload_mode = PayloadMode::kMapped;
  /// Records longer than this are rejected (`record of N bytes exceeds --max-record-bytes (M)`)
  /// before parsing, so one huge message cannot make a worker's parser grow to its size.
  /// Default 1 MiB; 0 means no limit.
  size_t max_record_bytes = size_t{1} << 20;
};

/// Nothing cross-field to check today; kept so every stage validates the same way.
[[nodiscard]] inline Status Validate(const SchemaMapConfig& /*config*/) { return Status::Ok(); }

/// "raw" or "mapped" (for the CLI); kInvalidArgument otherwise.
[[nodiscard]] inline StatusOr<PayloadMode> ParsePayloadMode(std::string_view text) {
  if (text == "raw") return PayloadMode::kRaw;
  if (text == "mapped") return PayloadMode::kMapped;
  return InvalidArgument("payload mode must be \"raw\" or \"mapped\", got \"" + std::string(text) +
                         "\"");
}

}  // namespace sluice::stages
