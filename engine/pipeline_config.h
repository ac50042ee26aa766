// File: engine/pipeline_config.h
// PipelineConfig: the engine's own settings (bounds, drain, threads). Validated before a
// pipeline is built.
#pragma once

#include <cstdint>

#include "engine/status.h"

namespace sluice {

struct PipelineConfig {
  /// Records per chunk taken from the source in one go (one graph message).
  uint32_t chunk_max_records = 2000;
  /// Records between the source and the sink's acknowledgement, at most (backpressure bound).
  uint64_t max_inflight_records = 200000;
  /// Payload bytes between the source and the sink's acknowledgement, at most.
  uint64_t max_inflight_bytes = 128ull << 20;
  /// How long the ingress thread waits for records when idle, in ms.
  int poll_timeout_ms = 50;
  /// How often the batcher is woken to honour its linger time, in ms.
  int tick_interval_ms = 50;
  /// On SIGINT/SIGTERM or revoke: how long in-flight records may take to be acknowledged, in ms.
  int drain_timeout_ms = 30000;
  /// TBB worker threads for parse+map (0: one per core).
  int worker_threads = 0;
  /// Without a dead-letter sink, log and skip rejected records instead of stopping (loses them).
  bool skip_rejected = false;
  /// --skip-tombstones: a record whose value is null (a Kafka tombstone) is acknowledged without
  /// being sent or dead-lettered, and counted. Off: it is rejected as "null value (tombstone)".
  bool skip_tombstones = false;
  /// --ordered: chunks reach the batcher in ingress order and at most one batch per partition
  /// is in flight, so a partition's records reach the sink in offset order even across retries.
  /// The batcher must then build single-partition batches (BatchPolicy::per_stream).
  bool ordered = false;
  /// --max-reject-ratio / --reject-window: stop once the records rejected within a window of
  /// `reject_window` outcomes exceed this share (RejectRatioGuard); >= 1 turns it off.
  double max_reject_ratio = 0.5;
  uint64_t reject_window = 1000;
  /// Report progress: a refreshing status line when the log goes to a terminal, otherwise a log
  /// line every progress_interval_ms (progress.h).
  bool progress = true;
  /// Off a terminal: how often the progress log line is written, in ms (0: never).
  int64_t progress_interval_ms = 10000;
};

[[nodiscard]] Status Validate(const PipelineConfig& config);

}  // namespace sluice
