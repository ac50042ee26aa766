// File: stages/batcher/batch_policy.h
// BatchPolicy: when the assembler seals a batch — record count, body bytes or linger time,
// whichever comes first (defaults follow the tutorial: 500 records or 1 s).
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/status.h"

namespace sluice::stages {

struct BatchPolicy {
  /// Seal after this many records (--batch-size).
  uint32_t max_records = 500;
  /// Seal before the body would exceed this many bytes (--batch-bytes).
  size_t max_bytes = 4u << 20;
  /// Seal when the oldest record in the open batch waited this long, in ms (--linger-ms).
  int linger_ms = 1000;
  /// One open batch per stream (partition) instead of one for all: used by --ordered, where at
  /// most one batch per partition may be in flight.
  bool per_stream = false;
};

[[nodiscard]] Status Validate(const BatchPolicy& policy);

}  // namespace sluice::stages
