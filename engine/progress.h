// File: engine/progress.h
// ProgressReporter: how a run shows where it is. On a terminal (text log format), a status line
// refreshed once a second below the log (log.h's SetStatusLine); elsewhere (systemd, docker,
// CI), an info log line every progress_interval_ms, in JSON with the figures as fields. Both
// carry consumed, delivered, in flight and rejected records with their rates, and for a bounded
// Kafka run the total, percent, remaining lag and an ETA. While nothing was consumed yet, the
// source's startup phase (connecting, joining group, assigned N partitions) shows instead of
// "consumed 0"; off a terminal each phase change is one log line. PipelineConfig::progress
// (-q) turns all of it off. Owned by Pipeline.
// Thread-safety: the pipeline's ingress thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "engine/source.h"

namespace sluice {

/// The figures one progress update shows.
struct ProgressFigures {
  uint64_t consumed = 0;
  uint64_t delivered = 0;
  uint64_t in_flight = 0;
  uint64_t rejected = 0;
  uint64_t skipped_tombstones = 0;
  SourceProgress source;
};

class ProgressReporter {
 public:
  using Clock = std::chrono::steady_clock;

  /// `enabled`: PipelineConfig::progress; `interval_ms`: the log line's period off a terminal
  /// (0: no periodic line). Decides terminal or log from the log's output at construction.
  ProgressReporter(bool enabled, int64_t interval_ms, Clock::time_point start);

  /// True when Update wants figures now (cheap; lets the caller skip collecting them).
  bool Due(Clock::time_point now) const;
  /// Shows `figures` if an update is due (or the source changed phase).
  void Update(Clock::time_point now, const ProgressFigures& figures);
  /// The last update of the run: always shown (when enabled); ends the terminal's status line.
  void Finish(Clock::time_point now, const ProgressFigures& figures);

  /// The text of one update (for tests): `seconds` since the previous one, whose consumed and
  /// delivered counts are given.
  static std::string Describe(const ProgressFigures& figures, double seconds, uint64_t previous_consumed,
                              uint64_t previous_delivered);

 private:
  void Show(Clock::time_point now, const ProgressFigures& figures, bool final_update);
  /// Off a terminal: one line per startup phase change.
  void NotePhase(const ProgressFigures& figures);

  const bool enabled_;
  bool terminal_ = false;
  Clock::duration period_{};
  Clock::time_point last_at_;
  uint64_t last_consumed_ = 0;
  uint64_t last_delivered_ = 0;
  SourceProgress::Phase last_phase_ = SourceProgress::Phase::kReading;
  bool phase_logged_ = false;
};

}  // namespace sluice
