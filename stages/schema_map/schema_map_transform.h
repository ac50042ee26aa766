// File: stages/schema_map/schema_map_transform.h
// SchemaMapTransform: the engine's RecordTransform for JSON records: parses each payload of a
// RecordChunk with simdjson On-Demand (in place, using the chunk's padding), checks it against
// the IngestSchema, and writes the value to send (mapped columns or the minified original,
// per SchemaMapConfig::payload_mode) or a rejection reason.
// Thread-safety: immutable after Create(); Apply() runs concurrently on distinct states and
// chunks. Each worker's state owns one simdjson parser and scratch buffers.
#pragma once

#include <memory>

#include "engine/record_transform.h"
#include "engine/status.h"
#include "stages/schema_map/ingest_schema.h"
#include "stages/schema_map/schema_map_config.h"

namespace sluice::stages {

class FieldMapper;  // field_mapper.h; kept out of this header so users never see simdjson

class SchemaMapTransform final : public RecordTransform {
 public:
  /// kFailedPrecondition when the library was built for a SIMD level this CPU lacks.
  [[nodiscard]] static StatusOr<std::unique_ptr<SchemaMapTransform>> Create(
      const SchemaMapConfig& config, IngestSchema schema);
  ~SchemaMapTransform() override;

  std::unique_ptr<TransformState> MakeState() const override;
  /// For each record: kAccepted with its output value, or kRejected with a reason such as
  /// `invalid JSON: ...`, `missing _id (path ["flight_id"])` or `column "price": ...`;
  /// kTombstone for a record whose value was null (RecordChunk::IsNullValue).
  void Apply(TransformState& state, RecordChunk& chunk) const override;

  const IngestSchema& schema() const;
  const SchemaMapConfig& config() const { return config_; }

 private:
  SchemaMapTransform(const SchemaMapConfig& config, IngestSchema schema);

  SchemaMapConfig config_;
  std::unique_ptr<const FieldMapper> mapper_;
};

}  // namespace sluice::stages
