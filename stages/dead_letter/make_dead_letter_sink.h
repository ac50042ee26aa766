// File: stages/dead_letter/make_dead_letter_sink.h
// MakeDeadLetterSink: builds the dead-letter destination named by a --dead-letter spec:
//   file:PATH    NDJSON lines appended to PATH (FileDeadLetterSink)
//   kafka:TOPIC  records produced to TOPIC on `brokers` with `kafka_props` (KafkaDeadLetterSink)
// Thread-safety: pure factory.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/dead_letter_sink.h"
#include "engine/status.h"

namespace sluice::stages {

/// InvalidArgument for an unknown scheme, an empty path/topic, or a file that cannot be opened.
[[nodiscard]] StatusOr<std::unique_ptr<DeadLetterSink>> MakeDeadLetterSink(
    std::string_view spec, const std::string& brokers,
    const std::vector<std::pair<std::string, std::string>>& kafka_props);

}  // namespace sluice::stages
