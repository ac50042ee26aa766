// File: engine/record_chunk.h
// RecordChunk: the unit of work that flows through the graph. One chunk carries many records
// (never one graph message per record): the source copies payloads back to back into `input`,
// the parse+map node writes each record's outgoing JSON value back to back into `output`.
// Ownership: a chunk is owned by exactly one thread at a time (moved through the graph), and is
// recycled through a ChunkPool so its buffers keep their capacity (no per-record allocation).
// A record's key, headers and null-value flag (engine/record_meta.h) sit in `meta`/`metas`, only
// for records that carried any.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/record_meta.h"
#include "engine/reject_stage.h"
#include "engine/source_position.h"

namespace sluice {

/// simdjson reads up to this many bytes past the end of a document; `input` always has that
/// much spare room after its last record (its content does not matter).
inline constexpr size_t kInputPaddingBytes = 64;

struct InputRecord {
  uint32_t begin = 0;        ///< byte offset of the payload in RecordChunk::input
  uint32_t length = 0;       ///< payload length in bytes
  SourcePosition position;   ///< where it came from
  uint32_t meta = kNoMeta;   ///< index into RecordChunk::metas, kNoMeta when it carried none
};

/// What the parse+map node decided for one record.
enum class RecordVerdict : uint8_t {
  kAccepted,  ///< output holds the JSON value to send
  kRejected,  ///< the record cannot be sent; `reason` says why; it goes to the dead-letter path
  kTombstone, ///< the value was null (a Kafka tombstone): never sent; skipped or rejected by the pipeline
};

struct OutputRecord {
  uint32_t begin = 0;          ///< byte offset of the JSON value in RecordChunk::output
  uint32_t length = 0;         ///< its length
  RecordVerdict verdict = RecordVerdict::kAccepted;
  /// kRejected: the stage that refused it (kParse when the value is not JSON, else kMap).
  RejectStage reject_stage = RejectStage::kMap;
  uint32_t reason_index = 0;   ///< index into RecordChunk::reasons when rejected
};

struct RecordChunk {
  using Clock = std::chrono::steady_clock;

  uint64_t sequence = 0;               ///< assigned by the pipeline's ingress, increasing
  bool tick = false;                   ///< carries no records: wakes the batcher for linger
  bool flush = false;                  ///< with tick: seal the open batch now (drain, shutdown)
  Clock::time_point created{};         ///< when the source handed it over
  std::string input;                   ///< payloads back to back + kInputPaddingBytes spare
  std::vector<InputRecord> records;    ///< one per record, in stream order per stream
  std::string output;                  ///< outgoing JSON values back to back
  std::vector<OutputRecord> outputs;   ///< parallel to `records` after parse+map
  std::vector<std::string> reasons;    ///< rejection reasons (rare path, may allocate)
  std::string meta;                    ///< keys and headers of the records that carry any
  std::vector<RecordMeta> metas;       ///< indexed by InputRecord::meta

  /// Forget the content, keep the capacity.
  void Clear() {
    sequence = 0;
    tick = false;
    flush = false;
    input.clear();
    records.clear();
    output.clear();
    outputs.clear();
    reasons.clear();
    meta.clear();
    metas.clear();
  }

  /// Appends one payload; the caller calls FinishInput() once after the last one.
  void AddInput(std::string_view payload, SourcePosition position) {
    InputRecord r;
    r.begin = static_cast<uint32_t>(input.size());
    r.length = static_cast<uint32_t>(payload.size());
    r.position = position;
    input.append(payload);
    records.push_back(r);
  }
  /// Gives the record added last a key (key == nullptr: none) and/or marks its value null.
  /// Call only for records that carry something: a record without meta costs nothing.
  void AttachMeta(const void* key, size_t key_length, bool null_value) {
    RecordMeta m;
    m.begin = static_cast<uint32_t>(meta.size());
    if (key != nullptr) {
      m.flags |= RecordMeta::kHasKey;
      m.key_length = static_cast<uint32_t>(key_length);
      meta.append(static_cast<const char*>(key), key_length);
    }
    if (null_value) m.flags |= RecordMeta::kNullValue;
    records.back().meta = static_cast<uint32_t>(metas.size());
    metas.push_back(m);
  }
  /// Adds a header to the record added last, after AttachMeta (value == nullptr: null value).
  void AppendHeader(std::string_view name, const void* value, size_t size) {
    metas.back().headers_length += static_cast<uint32_t>(sluice::AppendHeader(meta, name, value, size));
  }
  /// The record's meta, nullptr when it carried none.
  const RecordMeta* Meta(size_t i) const {
    return records[i].meta == kNoMeta ? nullptr : &metas[records[i].meta];
  }
  bool IsNullValue(size_t i) const {
    const RecordMeta* m = Meta(i);
    return m != nullptr && m->null_value();
  }
  /// Adds the padding simdjson needs after the last payload.
  void FinishInput() { input.append(kInputPaddingBytes, ' '); }

  std::string_view Payload(size_t i) const {
    return std::string_view(input.data() + records[i].begin, records[i].length);
  }
  std::string_view Output(size_t i) const {
    return std::string_view(output.data() + outputs[i].begin, outputs[i].length);
  }
  /// Bytes from the payload's start to the end of the padded input (for padded_string_view).
  size_t CapacityFrom(size_t i) const { return input.size() - records[i].begin; }
};

}  // namespace sluice
