// File: app/pipeline_setup/end_watching_source.h
// EndWatchingSource: a Source decorator that remembers whether the source had read everything
// it would (Exhausted()) at the moment the pipeline closes it. Closing a Kafka source gives up
// its partitions, after which Exhausted() no longer means "reached the end", so the exit status
// of a bounded run (exit_status.h) needs the answer from just before Close. Everything else is
// forwarded unchanged. Same threading as the wrapped source (the pipeline's ingress thread);
// ReachedEnd() is read after Pipeline::Run returned.
#pragma once

#include "engine/source.h"

namespace sluice::cli {

class EndWatchingSource final : public Source {
 public:
  /// `inner` must outlive this object.
  explicit EndWatchingSource(Source* inner) : inner_(inner) {}

  [[nodiscard]] Status Start(SourceListener* listener) override { return inner_->Start(listener); }
  [[nodiscard]] StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) override {
    return inner_->Poll(chunk, max_records, timeout_ms);
  }
  bool Exhausted() const override { return inner_->Exhausted(); }
  void SetPaused(bool paused) override { inner_->SetPaused(paused); }
  [[nodiscard]] Status Store(const std::vector<CommitPoint>& points) override { return inner_->Store(points); }
  [[nodiscard]] Status Close() override {
    if (!closed_) reached_end_ = inner_->Exhausted();
    closed_ = true;
    return inner_->Close();
  }
  StreamInfo DescribeStream(uint32_t stream) const override { return inner_->DescribeStream(stream); }
  SourceProgress Progress() const override { return inner_->Progress(); }

  /// Whether the source had reached its end when it was closed (false before Close).
  bool ReachedEnd() const { return reached_end_; }

 private:
  Source* inner_;
  bool closed_ = false;
  bool reached_end_ = false;
};

}  // namespace sluice::cli
