// File: engine/batch.h
// Batch: one request body in the sink's format plus, for every record in it, where the record's
// value sits in the body and where it came from. Built by the batch assembler, sent (and, on 413
// or a whole-request 400, split and re-encoded) by the sender, and turned into acks afterwards.
// Ownership: moved between threads as std::unique_ptr<Batch>; never shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/delivery_report.h"
#include "engine/record_meta.h"
#include "engine/source_position.h"

namespace sluice {

struct BatchRecord {
  uint32_t begin = 0;       ///< byte offset of the record's JSON value in Batch::payload
  uint32_t length = 0;      ///< its length
  SourcePosition position;  ///< for acks and dead letters
  uint32_t meta = kNoMeta;  ///< index into Batch::metas (key, headers), kNoMeta when none
};

struct Batch {
  using Clock = std::chrono::steady_clock;
  uint64_t id = 0;                     ///< increasing per run
  std::string payload;                 ///< the request body, complete (opened and closed)
  std::vector<BatchRecord> records;    ///< in payload order
  Clock::time_point first_record_at{}; ///< when its oldest chunk entered the pipeline
  Clock::time_point sealed_at{};       ///< when the assembler closed it
  Clock::time_point intended_send_at{};///< open-loop benchmarks: when the schedule meant to send it
  int attempts = 0;                    ///< sends so far (retries count)
  std::string meta;                    ///< keys and headers of the records that carry any
  std::vector<RecordMeta> metas;       ///< indexed by BatchRecord::meta

  std::string_view Value(size_t i) const {
    return std::string_view(payload.data() + records[i].begin, records[i].length);
  }
  /// Copies record `i`'s key and headers (if any) of `from` into this batch for `r`.
  void CopyMeta(BatchRecord& r, const Batch& from, size_t i) {
    const uint32_t m = from.records[i].meta;
    r.meta = m == kNoMeta ? kNoMeta : CopyRecordMeta(from.meta, from.metas[m], meta, metas);
  }
  /// A dead letter for record `i`: its sent value, key and headers, with `reason`.
  RejectedRecord Reject(size_t i, std::string reason, RejectStage stage) const {
    RejectedRecord r;
    r.position = records[i].position;
    r.bytes.assign(Value(i));
    r.reason = std::move(reason);
    r.stage = stage;
    if (records[i].meta != kNoMeta) r.origin.Assign(meta, metas[records[i].meta]);
    return r;
  }
};

}  // namespace sluice
