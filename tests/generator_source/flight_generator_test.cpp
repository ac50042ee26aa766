// Unit tests for FlightGenerator, the airport/airline tables and (as the generator uses it) engine/json_string.h.
#include "stages/generator_source/flight_generator.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "engine/json_string.h"
#include "stages/generator_source/flight_data.h"

namespace sluice {
namespace {

constexpr std::string_view kAirportKeys[] = {"airport", "iata", "icao", "city", "state", "country"};
constexpr std::string_view kTopKeys[] = {"airline", "origin", "destination", "stops", "price", "flight_id"};

std::vector<std::string> Generate(uint64_t seed, uint64_t first_id, int n) {
  FlightGenerator gen(seed, first_id);
  std::vector<std::string> out(static_cast<size_t>(n));
  for (auto& s : out) gen.Next(s);
  return out;
}

void ExpectAirport(simdjson::dom::element el) {
  simdjson::dom::object obj;
  ASSERT_EQ(el.get(obj), simdjson::SUCCESS);
  size_t i = 0;
  for (auto field : obj) {
    ASSERT_LT(i, std::size(kAirportKeys));
    EXPECT_EQ(field.key, kAirportKeys[i]);
    std::string_view value;
    ASSERT_EQ(field.value.get(value), simdjson::SUCCESS) << field.key;
    if (field.key == "iata") {
      EXPECT_EQ(value.size(), 3u);
    }
    if (field.key == "icao") {
      EXPECT_TRUE(value.empty() || value.size() == 4u) << value;
    }
    if (field.key == "airport" || field.key == "city" || field.key == "country") {
      EXPECT_FALSE(value.empty());
    }
    ++i;
  }
  EXPECT_EQ(i, std::size(kAirportKeys));
}

TEST(FlightGenerator, EmitsValidJsonWithTutorialShapeAndRanges) {
  simdjson::dom::parser parser;
  FlightGenerator gen(/*seed=*/3, /*first_id=*/1);
  std::set<std::string> stops_seen;
  int min_price = 1 << 30;
  int max_price = -1;
  std::string record;
  for (uint64_t id = 1; id <= 5000; ++id) {
    record.clear();
    gen.Next(record);
    ASSERT_EQ(record.find('\n'), std::string::npos);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(record).get(doc), simdjson::SUCCESS) << record;
    simdjson::dom::object obj;
    ASSERT_EQ(doc.get(obj), simdjson::SUCCESS);
    size_t i = 0;
    for (auto field : obj) {
      ASSERT_LT(i, std::size(kTopKeys));
      ASSERT_EQ(field.key, kTopKeys[i]) << record;
      ++i;
    }
    ASSERT_EQ(i, std::size(kTopKeys));

    std::string_view airline;
    ASSERT_EQ(doc["airline"].get(airline), simdjson::SUCCESS);
    EXPECT_FALSE(airline.empty());
    ExpectAirport(doc["origin"]);
    ExpectAirport(doc["destination"]);

    simdjson::dom::element stops = doc["stops"];
    if (stops.is_string()) {
      EXPECT_EQ(std::string_view(stops.get_string()), "non-stop");
      stops_seen.insert("non-stop");
    } else {
      int64_t n = 0;
      ASSERT_EQ(stops.get(n), simdjson::SUCCESS) << record;
      EXPECT_GE(n, 1);
      EXPECT_LE(n, 3);
      stops_seen.insert(std::to_string(n));
    }
    int64_t price = 0;
    ASSERT_EQ(doc["price"].get(price), simdjson::SUCCESS);
    EXPECT_GE(price, kMinFlightPrice);
    EXPECT_LE(price, kMaxFlightPrice);
    min_price = std::min<int>(min_price, static_cast<int>(price));
    max_price = std::max<int>(max_price, static_cast<int>(price));
    uint64_t flight_id = 0;
    ASSERT_EQ(doc["flight_id"].get(flight_id), simdjson::SUCCESS);
    EXPECT_EQ(flight_id, id);
  }
  EXPECT_EQ(stops_seen, (std::set<std::string>{"1", "2", "3", "non-stop"}));
  EXPECT_LT(min_price, 220);  // 5000 draws from 801 values reach both ends
  EXPECT_GT(max_price, 980);
}

TEST(FlightGenerator, SameSeedGivesSameRecords) { EXPECT_EQ(Generate(42, 1, 200), Generate(42, 1, 200)); }

TEST(FlightGenerator, DifferentSeedsGiveDifferentRecords) { EXPECT_NE(Generate(42, 1, 200), Generate(43, 1, 200)); }

TEST(FlightGenerator, CountsFlightIdsFromFirstId) {
  FlightGenerator gen(1, 1000);
  std::string s;
  gen.Next(s);
  EXPECT_NE(s.find(",\"flight_id\":1000}"), std::string::npos) << s;
  EXPECT_EQ(gen.next_id(), 1001u);
  s.clear();
  gen.Next(s);
  EXPECT_NE(s.find(",\"flight_id\":1001}"), std::string::npos) << s;
}

TEST(FlightGenerator, NextAppendsWithoutTouchingExistingContent) {
  FlightGenerator gen(9, 1);
  std::string s = "prefix|";
  gen.Next(s);
  EXPECT_EQ(s.rfind("prefix|{\"airline\":", 0), 0u) << s;
  EXPECT_EQ(s.back(), '}');
}

TEST(FlightGenerator, ApostrophesAndNonAsciiSurviveRoundTrip) {
  // Enough draws to hit the O'Hare and São Paulo entries with near certainty.
  simdjson::dom::parser parser;
  FlightGenerator gen(5, 1);
  bool saw_apostrophe = false;
  bool saw_non_ascii = false;
  std::string s;
  for (int i = 0; i < 20000 && !(saw_apostrophe && saw_non_ascii); ++i) {
    s.clear();
    gen.Next(s);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(s).get(doc), simdjson::SUCCESS);
    std::string_view name = doc["origin"]["airport"].get_string();
    saw_apostrophe |= name.find('\'') != std::string_view::npos;
    saw_non_ascii |=
        std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  }
  EXPECT_TRUE(saw_apostrophe);
  EXPECT_TRUE(saw_non_ascii);
}

TEST(AppendJsonString, EscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(out, std::string_view("a\"b\\c\nd\te\x01"
                                         "f\x1f",
                                         12));
  EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001f\u001f")");
}

TEST(AppendJsonString, PassesUtf8AndApostrophesThrough) {
  std::string out;
  AppendJsonString(out, "São Paulo–Guarulhos, O'Hare");
  EXPECT_EQ(out, "\"São Paulo–Guarulhos, O'Hare\"");
}

TEST(FlightData, TablesAreLargeAndWellFormed) {
  EXPECT_GE(Airports().size(), 300u);
  EXPECT_GE(Airlines().size(), 100u);
  std::set<std::string_view> iata;
  for (const AirportRecord& a : Airports()) {
    EXPECT_EQ(a.iata.size(), 3u) << a.airport;
    EXPECT_TRUE(std::all_of(a.iata.begin(), a.iata.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) << a.airport;
    EXPECT_TRUE(a.icao.empty() || a.icao.size() == 4u) << a.airport;
    EXPECT_FALSE(a.airport.empty());
    EXPECT_FALSE(a.city.empty()) << a.airport;
    EXPECT_FALSE(a.state.empty()) << a.airport;
    EXPECT_FALSE(a.country.empty()) << a.airport;
    EXPECT_TRUE(iata.insert(a.iata).second) << "duplicate IATA " << a.iata;
  }
  std::set<std::string_view> airlines(Airlines().begin(), Airlines().end());
  EXPECT_EQ(airlines.size(), Airlines().size()) << "duplicate airline";
}

}  // namespace
}  // namespace sluice
