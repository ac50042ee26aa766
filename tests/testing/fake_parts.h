// File: tests/testing/fake_parts.h
// In-process fakes of the engine's stage interfaces, for engine tests that must not depend on
// Kafka, JSON or HTTP: a scripted Source, an identity transform, a bracketed SinkFormat, a
// BatchSender whose acknowledgements the test controls, and a DeadLetterSink that records what
// it was given; an EventLog shared by the source and the dead-letter sink records the order of
// their calls. Thread-safety as documented per class.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/batch_sender.h"
#include "engine/dead_letter_sink.h"
#include "engine/record_transform.h"
#include "engine/sink_format.h"
#include "engine/source.h"

namespace sluice::testing {

/// Calls in the order they happened ("write 0 12", "flush", "store 0 13"). Thread-safe.
class EventLog {
 public:
  void Add(std::string event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(event));
  }
  std::vector<std::string> Events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> events_;
};

/// Emits `count` records "r<i>" round-robin over `streams` streams, then is exhausted.
/// Records whose text is in `bad` are rejected by IdentityTransform. Ingress thread only.
class ScriptedSource : public Source {
 public:
  ScriptedSource(uint64_t count, uint32_t streams) : count_(count), streams_(streams) {}
  Status Start(SourceListener* l) override {
    listener = l;
    return Status::Ok();
  }
  StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int) override {
    size_t n = 0;
    if (paused) return n;
    if (revoke_at && next_ == revoke_at && revoked_points.empty()) {
      revoked_points = listener->OnStreamsRevoked({0});
    }
    while (n < max_records && next_ < count_) {
      const uint32_t stream = static_cast<uint32_t>(next_ % streams_);
      const int64_t offset = static_cast<int64_t>(next_ / streams_);
      std::string payload = "r" + std::to_string(next_);
      const bool tombstone = tombstones.count(next_) != 0;
      chunk.AddInput(tombstone ? std::string() : payload, SourcePosition{stream, 0, offset});
      if (with_meta || tombstone) {
        // Key "k<i>", headers h=<i> and a null-valued header "n" (with_meta), null value (tombstone).
        const std::string key = "k" + std::to_string(next_);
        const std::string h = std::to_string(next_);
        chunk.AttachMeta(with_meta ? key.data() : nullptr, key.size(), tombstone);
        if (with_meta) {
          chunk.AppendHeader("h", h.data(), h.size());
          chunk.AppendHeader("n", nullptr, 0);
        }
      }
      ++next_;
      ++n;
    }
    if (n) chunk.FinishInput();
    return n;
  }
  bool Exhausted() const override { return next_ >= count_; }
  void SetPaused(bool p) override {
    if (p) pauses++;
    paused = p;
  }
  Status Store(const std::vector<CommitPoint>& points) override {
    for (const auto& p : points) {
      stored[p.stream] = p.next_offset;
      if (log) log->Add("store " + std::to_string(p.stream) + " " + std::to_string(p.next_offset));
    }
    return Status::Ok();
  }
  Status Close() override {
    closed = true;
    return Status::Ok();
  }
  StreamInfo DescribeStream(uint32_t stream) const override { return StreamInfo{"t", static_cast<int32_t>(stream)}; }

  SourceListener* listener = nullptr;
  uint64_t revoke_at = 0;  ///< when non-zero: revoke stream 0 once this many records were emitted
  std::set<uint64_t> tombstones;  ///< record numbers emitted with a null value
  bool with_meta = false;         ///< every record gets a key and headers
  EventLog* log = nullptr;        ///< when set: every stored offset is logged
  std::vector<CommitPoint> revoked_points;
  std::map<uint32_t, int64_t> stored;
  std::atomic<bool> paused{false};
  std::atomic<int> pauses{0};  ///< atomic: a test thread waits on it while the pipeline runs
  bool closed = false;

 private:
  uint64_t count_;
  uint32_t streams_;
  uint64_t next_ = 0;
};

/// Output = input; a payload listed in `bad` is rejected with reason "bad <payload>".
class IdentityTransform : public RecordTransform {
 public:
  std::vector<std::string> bad;
  std::unique_ptr<TransformState> MakeState() const override { return std::make_unique<TransformState>(); }
  void Apply(TransformState&, RecordChunk& c) const override {
    for (size_t i = 0; i < c.records.size(); ++i) {
      OutputRecord o;
      const std::string_view p = c.Payload(i);
      bool is_bad = false;
      for (const auto& b : bad) is_bad |= (b == p);
      if (is_bad) {
        o.verdict = RecordVerdict::kRejected;
        o.reason_index = static_cast<uint32_t>(c.reasons.size());
        c.reasons.push_back("bad " + std::string(p));
      } else {
        o.begin = static_cast<uint32_t>(c.output.size());
        o.length = static_cast<uint32_t>(p.size());
        c.output.append(p);
      }
      c.outputs.push_back(o);
    }
  }
};

/// Body "[a,b,c]" with each value quoted: ["r1","r2"].
class BracketFormat : public SinkFormat {
 public:
  std::string_view Name() const override { return "bracket"; }
  std::string_view ContentType() const override { return "application/json"; }
  void Open(std::string& p) const override { p += '['; }
  uint32_t Append(std::string& p, std::string_view v, bool first) const override {
    if (!first) p += ',';
    p += '"';
    const auto at = static_cast<uint32_t>(p.size());
    p.append(v);
    p += '"';
    return at;
  }
  void Close(std::string& p) const override { p += ']'; }
  size_t PerRecordOverheadBytes() const override { return 3; }
  ResponseVerdict Judge(long, std::string_view, size_t) const override { return {}; }
};

/// Remembers every dead letter; logs "write STREAM OFFSET" and "flush" to `log` when set;
/// fails Flush() when `fail_flush`. Ingress thread only (as the pipeline calls it).
class RecordingDeadLetterSink : public DeadLetterSink {
 public:
  Status Write(const RejectedRecord& record, const StreamInfo&) override {
    written.push_back(record);
    if (log) log->Add("write " + std::to_string(record.position.stream) + " " + std::to_string(record.position.offset));
    return Status::Ok();
  }
  Status Flush() override {
    ++flushes;
    if (log) log->Add("flush");
    if (fail_flush) return DataLoss("disk gone");
    return Status::Ok();
  }
  EventLog* log = nullptr;
  bool fail_flush = false;
  int flushes = 0;
  std::vector<RejectedRecord> written;
};

/// Holds submitted batches until the test (or auto_ack) acknowledges them. Thread-safe.
class ManualSender : public BatchSender {
 public:
  bool auto_ack = true;
  bool reject_all = false;  ///< answer every record as a sink rejection (Batch::Reject)
  Status Start(DeliveryListener* l) override {
    listener_ = l;
    return Status::Ok();
  }
  void Submit(std::unique_ptr<Batch> b) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      bodies.push_back(b->payload);
      if (!auto_ack) {
        held_.push_back(std::move(b));
        return;
      }
    }
    Ack(*b);  // outside the lock: an ack may submit the next batch (OrderedSender)
  }
  /// Acknowledges every held batch, newest first (out of order on purpose).
  void ReleaseAll() {
    std::deque<std::unique_ptr<Batch>> batches;
    {
      std::lock_guard<std::mutex> lock(mu_);
      batches.swap(held_);
    }
    // Acks may submit the next batch (OrderedSender): never call back under the lock.
    while (!batches.empty()) {
      Ack(*batches.back());
      batches.pop_back();
    }
  }
  size_t Held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  void Stop(bool) override {}
  SenderStats Stats() const override { return {}; }
  std::vector<std::string> bodies;

 private:
  void Ack(const Batch& b) {
    DeliveryReport r;
    for (size_t i = 0; i < b.records.size(); ++i) {
      if (reject_all) {
        r.rejected.push_back(b.Reject(i, "refused by the fake sink", RejectStage::kSink));
      } else {
        r.delivered.push_back(b.records[i].position);
      }
    }
    r.delivered_bytes = b.payload.size();
    listener_->OnDelivery(std::move(r));
  }
  std::mutex mu_;
  std::deque<std::unique_ptr<Batch>> held_;
  DeliveryListener* listener_ = nullptr;
};

}  // namespace sluice::testing
