#include "engine/pipeline_config.h"

#include <string>

namespace sluice {

Status Validate(const PipelineConfig& c) {
  if (c.chunk_max_records == 0) return InvalidArgument("chunk_max_records must be at least 1");
  if (c.max_inflight_records < c.chunk_max_records)
    return InvalidArgument("max_inflight_records (" + std::to_string(c.max_inflight_records) +
                           ") must be at least chunk_max_records (" + std::to_string(c.chunk_max_records) + ")");
  if (c.max_inflight_bytes == 0) return InvalidArgument("max_inflight_bytes must be positive");
  if (c.poll_timeout_ms <= 0 || c.tick_interval_ms <= 0) return InvalidArgument("poll and tick intervals must be positive");
  if (c.drain_timeout_ms < 0) return InvalidArgument("drain_timeout_ms must not be negative");
  if (c.worker_threads < 0) return InvalidArgument("worker_threads must not be negative");
  if (!(c.max_reject_ratio >= 0)) return InvalidArgument("max_reject_ratio must be at least 0");
  if (c.reject_window == 0) return InvalidArgument("reject_window must be at least 1");
  if (c.progress_interval_ms < 0) return InvalidArgument("progress_interval_ms must not be negative");
  return Status::Ok();
}

}  // namespace sluice
