// File: devtools/fake_flights/flight_producer.h
// Produces fake flights (FlightGenerator) to a Kafka topic with librdkafka, waits for every
// delivery report, and reports what was delivered. Used by sluice-fake-flights and the
// `sluice demo` command. Thread-safety: each call owns its own producer; calls may run in
// parallel.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"
#include "devtools/fake_flights/flight_run.h"

namespace sluice {

struct FlightProducerConfig {
  /// bootstrap.servers, e.g. "127.0.0.1:9092".
  std::string brokers;
  /// Destination topic (the mock cluster auto-creates unknown topics with few partitions, so
  /// create it first when the partition count matters).
  std::string topic;
  /// Count, seed, first id and rate of the records.
  FlightRunOptions run;
  /// Key each message with its flight_id (decimal); otherwise keyless, spread over partitions.
  bool key_by_flight_id = false;
  /// librdkafka properties applied after the defaults (compression.type=zstd, linger.ms=5,
  /// sticky.partitioning.linger.ms=0, batch.num.messages=10000), so they can override them.
  std::vector<std::pair<std::string, std::string>> extra_props;
  /// How long to wait for outstanding delivery reports at the end, in ms.
  int flush_timeout_ms = 120000;
};

/// Produces cfg.run.count flights. InvalidArgument for a bad property (its value is never
/// echoed: it may be a secret), DeadlineExceeded if reports are still missing after
/// flush_timeout_ms, DataLoss if any delivery failed (the message names the first error).
[[nodiscard]] StatusOr<FlightRunSummary> ProduceFlightsToKafka(const FlightProducerConfig& cfg);

/// Convenience form of ProduceFlightsToKafka() with the default rate (unthrottled) and no keys.
[[nodiscard]] Status ProduceFlights(const std::string& brokers, const std::string& topic,
                                    uint64_t count, uint64_t seed, uint64_t first_id,
                                    const std::vector<std::pair<std::string, std::string>>&
                                        extra_props);

}  // namespace sluice
