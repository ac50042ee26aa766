// File: app/bench/open_loop_sender.h
// OpenLoopSender: a thin BatchSender decorator for open-loop benchmarks. Every batch is handed
// to HttpSender::SubmitAt with its intended send time: the scheduled time of its newest record
// (when the generator's schedule would have filled it), so HttpSender::OpenLoopLatency()
// measures from the schedule, not from when a backed-up pipeline got around to sending it.
// Thread-safety: as HttpSender (Submit from the assemble node, Stats from any thread).
#pragma once

#include <memory>

#include "engine/batch_sender.h"
#include "stages/generator_source/generator_source.h"
#include "stages/http_sink/http_sender.h"

namespace sluice::bench {

class OpenLoopSender final : public BatchSender {
 public:
  /// Neither is owned; both outlive this sender.
  OpenLoopSender(stages::HttpSender* inner, const stages::GeneratorSource* schedule)
      : inner_(inner), schedule_(schedule) {}

  [[nodiscard]] Status Start(DeliveryListener* listener) override { return inner_->Start(listener); }
  /// Stamps Batch::intended_send_at and calls HttpSender::SubmitAt.
  void Submit(std::unique_ptr<Batch> batch) override;
  void Stop(bool abandon) override { inner_->Stop(abandon); }
  SenderStats Stats() const override { return inner_->Stats(); }
  size_t MaxBatchBytesHint() const override { return inner_->MaxBatchBytesHint(); }

 private:
  stages::HttpSender* inner_;
  const stages::GeneratorSource* schedule_;
};

}  // namespace sluice::bench
