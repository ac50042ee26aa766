// File: app/bench/batch_pool.h
// RenderBatchPool: runs the normal pipeline (generator -> schema map -> batcher) once, before
// the clock starts, into a recording sender, and keeps the finished request bodies. `sluice
// bench --prebuilt-batches N` then replays them (BatchReplayer), the way wrk replays one
// prebuilt request: the figure measures the sink and the sender, not sluice's own parse and map
// (bench/schema_map measures those). Main thread only.
#pragma once

#include <memory>
#include <vector>

#include "engine/batch.h"
#include "engine/batch_assembler.h"
#include "engine/pipeline_config.h"
#include "engine/record_transform.h"
#include "engine/status.h"
#include "stages/generator_source/generator_source_config.h"

namespace sluice::bench {

struct BatchPoolRequest {
  /// Batches wanted; the generator is asked for count x batch_size records.
  uint32_t count = 0;
  uint32_t batch_size = 0;
  stages::GeneratorSourceConfig generator;  ///< records_per_s, max_records, duration are overridden
  PipelineConfig pipeline;                  ///< chunking and worker threads, as `run` would use
};

/// Full batches only (a short last batch is dropped unless it is the only one). Fails when the
/// schema map rejects every record, or the pipeline fails.
[[nodiscard]] StatusOr<std::vector<std::unique_ptr<Batch>>> RenderBatchPool(const BatchPoolRequest& request,
                                                                          const RecordTransform& transform,
                                                                          BatchAssembler& assembler);

}  // namespace sluice::bench
