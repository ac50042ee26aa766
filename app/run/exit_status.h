// File: app/run/exit_status.h
// The exit status of `sluice run`, one place for the whole table (also printed by
// `sluice run --help` and in the README):
//   0    done: a bounded run (--until-caught-up, file:, stdin) delivered or dead-lettered
//        everything; or a streaming run stopped by SIGTERM/SIGINT whose drain completed
//        (everything in flight acknowledged, offsets committed) - a clean stop
//   1    the run failed: a fatal sink, Kafka or dead-letter error (see the message)
//   2    usage or configuration error: nothing was read or sent
//   3    a bounded run stopped by SIGTERM/SIGINT before it reached its end; the drain completed,
//        so what was delivered is committed and a second run continues from there
//   4    the drain after SIGTERM/SIGINT timed out (--drain-timeout-ms): records still in flight
//        were not acknowledged and are not committed (they are read again by the next run)
//   5    --fail-on-rejects and at least one record was rejected (dead-lettered or skipped);
//        otherwise the run is complete (what 0 would mean)
//   128+N  a second signal N abandoned the drain (130 for SIGINT, 143 for SIGTERM); only what
//        was acknowledged is committed
// Used by run_command.cpp and main.cpp. Pure functions.
#pragma once

#include "engine/status.h"

namespace sluice::cli {

inline constexpr int kExitDone = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitStoppedBeforeEnd = 3;
inline constexpr int kExitDrainTimedOut = 4;
inline constexpr int kExitRejected = 5;

/// What is known about a run once it returned.
struct RunEnd {
  Status status;             ///< what Pipeline::Run returned (Cancelled: records abandoned)
  int stop_requests = 0;     ///< SIGINT/SIGTERM received
  int last_signal = 0;       ///< the last of them (SIGINT or SIGTERM), 0 when none
  bool bounded = false;      ///< --until-caught-up, file: or stdin: the run has an end
  bool reached_end = false;  ///< the source had read everything it would when it was closed
  uint64_t rejected = 0;     ///< records rejected (dead-lettered or skipped)
  bool fail_on_rejects = false;  ///< --fail-on-rejects
};

/// The exit status for `end` (see the table above).
int ExitStatusFor(const RunEnd& end);

/// The table above as text for `sluice run --help`.
const char* ExitStatusHelp();

}  // namespace sluice::cli
