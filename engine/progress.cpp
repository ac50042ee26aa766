// File: engine/progress.cpp
#include "engine/progress.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "engine/log.h"

namespace sluice {
namespace {

constexpr auto kTerminalPeriod = std::chrono::seconds(1);

// The figures derived from one update: rates, and for a bounded run how far it got.
struct Derived {
  double consumed_per_s = 0;
  double delivered_per_s = 0;
  bool bounded = false;
  int64_t total = 0;
  int64_t remaining = 0;
  double percent = 0;
  double eta_s = -1;  ///< -1: unknown (no rate yet)
};

Derived Derive(const ProgressFigures& f, double seconds, uint64_t previous_consumed, uint64_t previous_delivered) {
  Derived d;
  if (seconds > 0) {
    d.consumed_per_s = static_cast<double>(f.consumed - previous_consumed) / seconds;
    d.delivered_per_s = static_cast<double>(f.delivered - previous_delivered) / seconds;
  }
  if (f.source.total_records >= 0 && f.source.remaining_records >= 0) {
    d.bounded = true;
    d.total = f.source.total_records;
    d.remaining = f.source.remaining_records;
    d.percent = d.total > 0 ? 100.0 * static_cast<double>(d.total - d.remaining) / static_cast<double>(d.total) : 100.0;
    if (d.remaining == 0) {
      d.eta_s = 0;
    } else if (d.consumed_per_s > 0) {
      d.eta_s = static_cast<double>(d.remaining) / d.consumed_per_s;
    }
  }
  return d;
}

std::string Duration(double s) {
  char buf[32];
  const long long t = std::llround(s);  // nearest second; the one caller passes s >= 0
  if (t < 60)
    std::snprintf(buf, sizeof(buf), "%llds", t);
  else if (t < 3600)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", t / 3600, (t % 3600) / 60);
  return buf;
}

// While nothing was read: what the source is doing instead ("" when it has nothing to say).
std::string PhaseText(const SourceProgress& s) {
  switch (s.phase) {
    case SourceProgress::Phase::kReading: return "";
    case SourceProgress::Phase::kConnecting: return "connecting to the Kafka brokers";
    case SourceProgress::Phase::kJoining: return "joining consumer group " + s.group;
    case SourceProgress::Phase::kAssigned:
      return "assigned " + std::to_string(s.assigned_partitions) +
             (s.assigned_partitions == 1 ? " partition" : " partitions");
  }
  return "";
}

const char* PhaseName(SourceProgress::Phase p) {
  switch (p) {
    case SourceProgress::Phase::kReading: return "reading";
    case SourceProgress::Phase::kConnecting: return "connecting";
    case SourceProgress::Phase::kJoining: return "joining";
    case SourceProgress::Phase::kAssigned: return "assigned";
  }
  return "reading";
}

}  // namespace

ProgressReporter::ProgressReporter(bool enabled, int64_t interval_ms, Clock::time_point start)
    : enabled_(enabled), last_at_(start) {
  terminal_ = enabled_ && GetLogFormat() == LogFormat::kText && LogIsTerminal();
  period_ = terminal_ ? Clock::duration(kTerminalPeriod) : Clock::duration(std::chrono::milliseconds(interval_ms));
}

bool ProgressReporter::Due(Clock::time_point now) const {
  if (!enabled_) return false;
  // Phase changes are checked every time off a terminal (they are rare, and cheap to look at).
  if (!terminal_ && !phase_logged_) return true;
  return period_.count() > 0 && now - last_at_ >= period_;
}

void ProgressReporter::Update(Clock::time_point now, const ProgressFigures& figures) {
  if (!enabled_) return;
  if (!terminal_) NotePhase(figures);
  if (period_.count() <= 0 || now - last_at_ < period_) return;
  Show(now, figures, false);
}

void ProgressReporter::Finish(Clock::time_point now, const ProgressFigures& figures) {
  if (!enabled_) return;
  if (!terminal_ && period_.count() <= 0) return;  // --progress-interval 0: no progress lines at all
  Show(now, figures, true);
  if (terminal_) EndStatusLine(/*keep=*/true);
}

void ProgressReporter::NotePhase(const ProgressFigures& figures) {
  const SourceProgress& s = figures.source;
  if (s.phase == SourceProgress::Phase::kReading) {
    phase_logged_ = true;  // a source without phases: nothing to watch
    return;
  }
  phase_logged_ = s.phase == SourceProgress::Phase::kAssigned && figures.consumed > 0;
  if (s.phase == last_phase_) return;
  last_phase_ = s.phase;
  Log(LogLevel::kInfo, "progress", PhaseText(s));
}

std::string ProgressReporter::Describe(const ProgressFigures& f, double seconds, uint64_t previous_consumed,
                                       uint64_t previous_delivered) {
  if (f.consumed == 0) {
    const std::string phase = PhaseText(f.source);
    if (!phase.empty() && f.source.phase != SourceProgress::Phase::kAssigned) return phase;
  }
  const Derived d = Derive(f, seconds, previous_consumed, previous_delivered);
  char buf[320];
  std::snprintf(buf, sizeof(buf), "consumed %llu (%.0f/s)  delivered %llu (%.0f/s)  in flight %llu  rejected %llu",
                static_cast<unsigned long long>(f.consumed), d.consumed_per_s,
                static_cast<unsigned long long>(f.delivered), d.delivered_per_s,
                static_cast<unsigned long long>(f.in_flight), static_cast<unsigned long long>(f.rejected));
  std::string text = buf;
  if (f.skipped_tombstones) text += "  skipped tombstones " + std::to_string(f.skipped_tombstones);
  if (d.bounded) {
    std::snprintf(buf, sizeof(buf), "  of %lld: %.1f%%, lag %lld", static_cast<long long>(d.total), d.percent,
                  static_cast<long long>(d.remaining));
    text += buf;
    if (d.eta_s >= 0) text += ", eta " + Duration(d.eta_s);
  }
  if (f.consumed == 0 && f.source.phase == SourceProgress::Phase::kAssigned) text = PhaseText(f.source) + ": " + text;
  return text;
}

void ProgressReporter::Show(Clock::time_point now, const ProgressFigures& f, bool final_update) {
  const double seconds = std::chrono::duration<double>(now - last_at_).count();
  const std::string text = Describe(f, seconds, last_consumed_, last_delivered_);
  if (terminal_) {
    SetStatusLine(text);
  } else if (GetLogFormat() == LogFormat::kJson) {
    const Derived d = Derive(f, seconds, last_consumed_, last_delivered_);
    std::vector<LogField> fields = {LogField::Text("phase", PhaseName(f.source.phase)),
                                    LogField::Count("consumed", f.consumed),
                                    LogField::Decimal("consumed_per_s", d.consumed_per_s, 0),
                                    LogField::Count("delivered", f.delivered),
                                    LogField::Decimal("delivered_per_s", d.delivered_per_s, 0),
                                    LogField::Count("in_flight", f.in_flight),
                                    LogField::Count("rejected", f.rejected),
                                    LogField::Count("skipped_tombstones", f.skipped_tombstones),
                                    LogField::Bool("final", final_update)};
    if (d.bounded) {
      fields.push_back(LogField::Integer("total", d.total));
      fields.push_back(LogField::Integer("remaining", d.remaining));
      fields.push_back(LogField::Decimal("percent", d.percent));
      if (d.eta_s >= 0) fields.push_back(LogField::Decimal("eta_s", d.eta_s, 0));
    }
    Log(LogLevel::kInfo, "progress", text, fields);
  } else {
    Log(LogLevel::kInfo, "progress", text);
  }
  last_at_ = now;
  last_consumed_ = f.consumed;
  last_delivered_ = f.delivered;
}

}  // namespace sluice
