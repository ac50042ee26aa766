// File: stages/generator_source/flight_generator.h
// FlightGenerator: deterministic, allocation-free generator of the FeatureBase Kafka tutorial's
// fake flights, one compact JSON object per call, in exactly this key order:
//   {"airline":"...","origin":{"airport":"...","iata":"...","icao":"...","city":"...",
//    "state":"...","country":"..."},"destination":{...same keys...},
//    "stops":<1|2|3|"non-stop">,"price":<int 200..1000>,"flight_id":<n>}
// Used by sluice-fake-flights, the `sluice demo`/`bench` commands and the benchmarks.
//
// Thread-safety: one FlightGenerator per thread (it holds RNG state). Different instances may be
// used concurrently; they share only immutable pre-escaped tables.
//
//   sluice::FlightGenerator gen(/*seed=*/42, /*first_id=*/1);
//   std::string buf;
//   gen.Next(buf);   // appends one flight; flight_id 1
//   gen.Next(buf);   // appends another;    flight_id 2
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

namespace internal {
struct FlightTables;
}  // namespace internal

/// Lowest and highest price a flight can get (inclusive).
inline constexpr int kMinFlightPrice = 200;
inline constexpr int kMaxFlightPrice = 1000;

class FlightGenerator {
 public:
  /// Same (seed, first_id) => same sequence of records on every platform and build.
  explicit FlightGenerator(uint64_t seed, uint64_t first_id = 1);

  /// Appends one flight JSON object (no newline) to `out`; flight_id increases by one per call.
  /// Does not allocate once `out` has capacity (a record is < 1 KiB).
  void Next(std::string& out);

  /// flight_id the next call to Next() will use.
  [[nodiscard]] uint64_t next_id() const { return next_id_; }

 private:
  uint64_t NextRandom();
  /// Uniform integer in [0, bound) for bound < 2^32.
  uint32_t Below(uint32_t bound);

  uint64_t state_[4];
  uint64_t next_id_;
  const internal::FlightTables* tables_;  // not owned; immutable, process lifetime
};

}  // namespace sluice
