// File: stages/generator_source/flight_data.h
// Constant tables of real airports and airlines from which FlightGenerator draws the tutorial's
// fake flights (the faker_airtravel shape). Plain constant data: thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace sluice {

/// One real airport. Strings are UTF-8; `icao` is empty for fields without an ICAO code
/// (some seaplane bases and small strips only have an IATA/FAA code).
struct AirportRecord {
  std::string_view airport;  ///< official name, e.g. "Chicago O'Hare International Airport"
  std::string_view iata;     ///< 3-letter IATA code
  std::string_view icao;     ///< 4-letter ICAO code or empty
  std::string_view city;
  std::string_view state;    ///< state, province or region
  std::string_view country;
};

/// All airports in the table (a few hundred). Static storage; never empty.
[[nodiscard]] std::span<const AirportRecord> Airports();
/// All airline names (about a hundred). Static storage; never empty.
[[nodiscard]] std::span<const std::string_view> Airlines();

}  // namespace sluice
