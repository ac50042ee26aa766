// File: stages/generator_source/generator_source_config.h
// GeneratorSourceConfig: what GeneratorSource emits (fake flights or a cycled NDJSON file), how
// fast (as fast as pulled, or on a fixed records/s schedule) and for how long. Plain data.
#pragma once

#include <cstdint>
#include <string>

#include "engine/status.h"

namespace sluice::stages {

struct GeneratorSourceConfig {
  /// NDJSON file whose non-empty lines are cycled; empty: the tutorial's fake flights.
  std::string ndjson_path;
  /// Fake flights: RNG seed (same seed, same records).
  uint64_t seed = 42;
  /// Fake flights: distinct records generated up front and then cycled (bounds the sink's row
  /// count and keeps generation off the hot path).
  uint64_t distinct_records = 50000;
  /// Open loop: records per second on a fixed schedule (record i is due at start + i / rate);
  /// 0: closed loop, records as fast as the pipeline pulls them.
  double records_per_s = 0;
  /// Stop after this many records (0: no count limit).
  uint64_t max_records = 0;
  /// Stop after this long from Start(), in ms (0: no time limit). Open loop: every record whose
  /// scheduled time falls before the end is still emitted, however late.
  int64_t duration_ms = 0;
  /// Open loop: emit at most this often, in ms, so chunks are not one record each (records are
  /// never emitted before their scheduled time).
  int open_loop_granularity_ms = 1;
};

[[nodiscard]] Status Validate(const GeneratorSourceConfig& config);

}  // namespace sluice::stages
