// File: stages/schema_map/schema_map_transform.cpp
#include "stages/schema_map/schema_map_transform.h"

#include <string>
#include <string_view>

#include "stages/schema_map/field_mapper.h"

namespace sluice::stages {
namespace {

class SchemaMapState final : public TransformState {
 public:
  explicit SchemaMapState(FieldMapper::Scratch scratch) : scratch(std::move(scratch)) {}
  JsonReader reader;
  FieldMapper::Scratch scratch;
  std::string reason;  ///< last rejection reason (grows once, reused)
};

}  // namespace

StatusOr<std::unique_ptr<SchemaMapTransform>> SchemaMapTransform::Create(
    const SchemaMapConfig& config, IngestSchema schema) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
#if defined(SLUICE_SIMDJSON_NEEDS_AVX2)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("bmi") ||
      !__builtin_cpu_supports("pclmul")) {
    return FailedPrecondition(
        "schema map was built for AVX2 CPUs (SLUICE_SIMDJSON_FLAGS); rebuild with "
        "-DSLUICE_SIMDJSON_FLAGS= for this CPU");
  }
#endif
  return std::unique_ptr<SchemaMapTransform>(new SchemaMapTransform(config, std::move(schema)));
}

SchemaMapTransform::SchemaMapTransform(const SchemaMapConfig& config, IngestSchema schema)
    : config_(config), mapper_(std::make_unique<const FieldMapper>(std::move(schema))) {}

SchemaMapTransform::~SchemaMapTransform() = default;

const IngestSchema& SchemaMapTransform::schema() const { return mapper_->schema(); }

std::unique_ptr<TransformState> SchemaMapTransform::MakeState() const {
  return std::make_unique<SchemaMapState>(mapper_->MakeScratch());
}

void SchemaMapTransform::Apply(TransformState& base_state, RecordChunk& chunk) const {
  auto& state = static_cast<SchemaMapState&>(base_state);
  chunk.output.clear();
  chunk.outputs.clear();
  chunk.reasons.clear();
  chunk.outputs.resize(chunk.records.size());
  for (size_t i = 0; i < chunk.records.size(); ++i) {
    const InputRecord& in = chunk.records[i];
    OutputRecord& out = chunk.outputs[i];
    out.begin = static_cast<uint32_t>(chunk.output.size());
    if (in.meta != kNoMeta && chunk.metas[in.meta].null_value()) {
      // A null value (Kafka tombstone) is not an empty document: the pipeline names it as such
      // and may skip it (--skip-tombstones), so no parse and no reason string here.
      out.length = 0;
      out.verdict = RecordVerdict::kTombstone;
      out.reason_index = 0;
      continue;
    }
    if (config_.max_record_bytes != 0 && in.length > config_.max_record_bytes) {
      // Checked before parsing: simdjson would otherwise grow this worker's parser to the
      // record's size and keep it that large.
      out.length = 0;
      out.verdict = RecordVerdict::kRejected;
      out.reject_stage = RejectStage::kMap;
      out.reason_index = static_cast<uint32_t>(chunk.reasons.size());
      chunk.reasons.push_back("record of " + std::to_string(in.length) + " bytes exceeds --max-record-bytes (" +
                              std::to_string(config_.max_record_bytes) + ")");
      continue;
    }
    if (mapper_->MapRecord(state.reader, state.scratch, chunk.input.data() + in.begin, in.length,
                          chunk.CapacityFrom(i), config_.payload_mode, &chunk.output,
                          &state.reason)) {
      out.length = static_cast<uint32_t>(chunk.output.size() - out.begin);
      out.verdict = RecordVerdict::kAccepted;
      out.reason_index = 0;
    } else {
      out.length = 0;
      out.verdict = RecordVerdict::kRejected;
      // FieldMapper reports every JSON syntax error, and only those, through its JsonError,
      // which starts the reason with "invalid JSON" (field_mapper.cpp). Decided here, next to
      // the mapper, so the engine receives the stage and never reads the reason.
      out.reject_stage = std::string_view(state.reason).starts_with("invalid JSON") ? RejectStage::kParse
                                                                                     : RejectStage::kMap;
      out.reason_index = static_cast<uint32_t>(chunk.reasons.size());
      chunk.reasons.push_back(state.reason);
    }
  }
}

}  // namespace sluice::stages
