// File: tests/schema/flight_samples.h
// Sample records for the `sluice schema check` tests: flights in the shape of
// examples/flights/schema.json, written out by hand so a test states exactly what the samples
// hold, and where the example schema/table are. Header-only; used by the tests of tests/schema/.
// Thread-safety: pure functions.
#pragma once

#include <cstdlib>
#include <string>

namespace sluice::cli::schema_samples {

/// One flight record, every path of the example schema present.
inline std::string FlightRecord(int id, const std::string& origin_iata, const std::string& price) {
  return "{\"flight_id\":" + std::to_string(id) +
         ",\"airline\":\"Maya Island Air\",\"stops\":\"non-stop\",\"price\":" + price +
         ",\"origin\":{\"airport\":\"Noi Bai\",\"iata\":\"" + origin_iata +
         "\",\"icao\":\"VVNB\",\"city\":\"Hanoi\",\"state\":null,\"country\":\"Vietnam\"}"
         ",\"destination\":{\"airport\":\"Changi\",\"iata\":\"SIN\",\"icao\":\"WSSS\",\"city\":\"Singapore\","
         "\"state\":\"Singapore\",\"country\":\"Singapore\"}}";
}

/// Five clean flights, one per line (origin.state is null in each: present, but null).
inline std::string FiveFlights() {
  std::string lines;
  const char* iata[] = {"HAN", "SGN", "DAD", "HPH", "CXR"};
  for (int i = 0; i < 5; ++i) lines += FlightRecord(i + 1, iata[i], std::to_string(100 + i)) + "\n";
  return lines;
}

/// The example schema with origin_iata's path misspelled as ["origin","iatta"].
inline std::string ExampleSchemaWithTypo(const std::string& example_schema_text) {
  std::string text = example_schema_text;
  const std::string from = "\"origin\",\n      \"iata\"";
  const size_t at = text.find(from);
  if (at == std::string::npos) std::abort();  // the example changed shape: fix the test data
  text.replace(at, from.size(), "\"origin\",\n      \"iatta\"");
  return text;
}

/// $SLUICE_SOURCE_DIR/examples/flights (ctest sets it), "./examples/flights" otherwise.
inline std::string ExamplesDir() {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  return std::string(root ? root : ".") + "/examples/flights";
}

}  // namespace sluice::cli::schema_samples
