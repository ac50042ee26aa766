// File: app/pipeline_setup/assignment_strategy.h
// TakeAssignmentStrategy(): `-X partition.assignment.strategy=...` (or the same key from the
// environment or the config file) chooses the consumer group's assignor. The Kafka source owns
// the property (its rebalance handling differs between the eager and the cooperative protocol),
// so the value is taken out of the pass-through list and turned into the source's `cooperative`
// setting: "cooperative-sticky" alone, or any list of the eager assignors "range"/"roundrobin".
// A mix of the two protocols is refused (librdkafka refuses it too, later and less clearly).
// Used by pipeline_setup.cpp. Thread-safety: a plain function over its arguments.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// Removes partition.assignment.strategy from `props`; when it was there, sets *cooperative
/// (true for cooperative-sticky, false for range/roundrobin). InvalidArgument on another value.
[[nodiscard]] Status TakeAssignmentStrategy(std::vector<std::pair<std::string, std::string>>* props, bool* cooperative);

}  // namespace sluice::cli
