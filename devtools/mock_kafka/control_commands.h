// File: devtools/mock_kafka/control_commands.h
// ExecuteControlCommand(): the line protocol sluice-mock-kafka reads on stdin, kept apart from
// main.cpp so it can be unit-tested against an in-process MockCluster.
//
// Commands (one per line, words separated by blanks) and their answers:
//   broker-down ID | broker-up ID          -> "ok broker ID down|up"
//   rtt ID MS                               -> "ok broker ID rtt MS ms"
//   push-errors APIKEY ERRCODE COUNT       -> "ok pushed COUNT x error CODE on api key KEY"
//   create-topic NAME PARTITIONS           -> "ok topic NAME partitions N"
//   quit                                    -> "ok bye" (and *quit is set)
// Anything else, or a failing command, answers "error <reason>". Empty lines answer nothing.
//
// Thread-safety: as safe as the MockCluster passed in (any thread).
#pragma once

#include <string>
#include <string_view>

#include "devtools/mock_kafka/mock_cluster.h"

namespace sluice {

/// Runs one control line against `cluster` and returns the one-line answer (no newline), or an
/// empty string for a blank line. Sets *quit to true on "quit" and leaves it alone otherwise.
[[nodiscard]] std::string ExecuteControlCommand(MockCluster& cluster, std::string_view line,
                                                bool* quit);

}  // namespace sluice
