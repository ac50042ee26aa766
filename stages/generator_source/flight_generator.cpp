// File: stages/generator_source/flight_generator.cpp
// The generator pre-escapes every airline and every whole airport object once, so producing a
// record is a handful of appends plus two integer conversions (well above 1M records/s).
#include "stages/generator_source/flight_generator.h"

#include "engine/json_string.h"

#include <charconv>
#include <vector>

#include "stages/generator_source/flight_data.h"

namespace sluice {
namespace internal {

// Immutable after construction; built once per process on first use (thread-safe static init).
struct FlightTables {
  std::vector<std::string> airline_json;  // "\"Name\""
  std::vector<std::string> airport_json;  // {"airport":...,"country":...}
};

namespace {

const FlightTables& Tables() {
  static const FlightTables kTables = [] {
    FlightTables t;
    for (std::string_view airline : Airlines()) {
      std::string s;
      AppendJsonString(s, airline);
      t.airline_json.push_back(std::move(s));
    }
    for (const AirportRecord& a : Airports()) {
      std::string s = "{\"airport\":";
      AppendJsonString(s, a.airport);
      s += ",\"iata\":";
      AppendJsonString(s, a.iata);
      s += ",\"icao\":";
      AppendJsonString(s, a.icao);
      s += ",\"city\":";
      AppendJsonString(s, a.city);
      s += ",\"state\":";
      AppendJsonString(s, a.state);
      s += ",\"country\":";
      AppendJsonString(s, a.country);
      s += '}';
      t.airport_json.push_back(std::move(s));
    }
    return t;
  }();
  return kTables;
}

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr std::string_view kStops[] = {"\"non-stop\"", "1", "2", "3"};

}  // namespace
}  // namespace internal

FlightGenerator::FlightGenerator(uint64_t seed, uint64_t first_id)
    : next_id_(first_id), tables_(&internal::Tables()) {
  uint64_t x = seed;
  for (uint64_t& s : state_) s = internal::SplitMix64(x);
}

// xoshiro256** (Blackman & Vigna): fast, and unlike std:: distributions its output is fully
// specified, which is what makes --seed reproducible across standard libraries.
uint64_t FlightGenerator::NextRandom() {
  const uint64_t result = internal::Rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = internal::Rotl(state_[3], 45);
  return result;
}

uint32_t FlightGenerator::Below(uint32_t bound) {
  // Lemire's multiply-shift; the tiny bias (< bound / 2^32) does not matter for fake data.
  return static_cast<uint32_t>(((NextRandom() >> 32) * bound) >> 32);
}

void FlightGenerator::Next(std::string& out) {
  const internal::FlightTables& t = *tables_;
  const auto& airline = t.airline_json[Below(static_cast<uint32_t>(t.airline_json.size()))];
  const auto n_airports = static_cast<uint32_t>(t.airport_json.size());
  const auto& origin = t.airport_json[Below(n_airports)];
  const auto& destination = t.airport_json[Below(n_airports)];
  const std::string_view stops = internal::kStops[Below(4)];
  const uint32_t price = kMinFlightPrice + Below(kMaxFlightPrice - kMinFlightPrice + 1);

  out += "{\"airline\":";
  out += airline;
  out += ",\"origin\":";
  out += origin;
  out += ",\"destination\":";
  out += destination;
  out += ",\"stops\":";
  out += stops;
  out += ",\"price\":";
  char digits[24];
  auto res = std::to_chars(digits, digits + sizeof(digits), price);
  out.append(digits, res.ptr);
  out += ",\"flight_id\":";
  res = std::to_chars(digits, digits + sizeof(digits), next_id_++);
  out.append(digits, res.ptr);
  out += '}';
}

}  // namespace sluice
