#include "app/run/exit_status.h"

namespace sluice::cli {

int ExitStatusFor(const RunEnd& end) {
  if (!end.status.ok()) {
    if (end.status.code() != StatusCode::kCancelled) return kExitFailed;
    // Cancelled means records were abandoned: by a second signal, or by the drain timeout
    // after the first one.
    if (end.stop_requests >= 2 && end.last_signal > 0) return 128 + end.last_signal;
    return kExitDrainTimedOut;
  }
  if (end.stop_requests > 0 && end.bounded && !end.reached_end) return kExitStoppedBeforeEnd;
  if (end.fail_on_rejects && end.rejected > 0) return kExitRejected;
  return kExitDone;
}

const char* ExitStatusHelp() {
  return "Exit status:\n"
         "  0      done: a bounded run (--until-caught-up, file:, stdin) delivered or dead-lettered\n"
         "         everything, or a streaming run was stopped by SIGTERM/SIGINT and its drain\n"
         "         completed (everything in flight acknowledged, offsets committed)\n"
         "  1      the run failed: fatal sink, Kafka or dead-letter error; brokers not reached or\n"
         "         group not joined within --startup-timeout; a --topic that does not exist; the\n"
         "         sink refusing every record alike, or more than --max-reject-ratio; the sink\n"
         "         unreachable for --sink-unavailable-timeout\n"
         "  2      usage or configuration error (nothing read or sent)\n"
         "  3      a bounded run was stopped by SIGTERM/SIGINT before its end (drain completed,\n"
         "         delivered records committed; run again to continue)\n"
         "  4      the drain after SIGTERM/SIGINT timed out (--drain-timeout-ms): records in\n"
         "         flight were not acknowledged and are not committed\n"
         "  5      --fail-on-rejects and records were rejected (dead-lettered or skipped); the run\n"
         "         is otherwise complete\n"
         "  128+N  a second signal N abandoned the drain (130 SIGINT, 143 SIGTERM)\n";
}

}  // namespace sluice::cli
