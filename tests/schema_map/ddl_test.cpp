// Tests for stages/schema_map/ddl.h.
#include "stages/schema_map/ddl.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace sluice::stages {
namespace {

TEST(ClickHouseDdl, TutorialSchemaGivesIdFirstAndDecimal) {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  std::string root = dir ? dir : ".";
  auto schema = IngestSchema::Load(root + "/examples/flights/schema.json",
                                   root + "/examples/flights/table.json");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(ClickHouseDdl(*schema, "flights"),
            "CREATE TABLE IF NOT EXISTS flights (_id UInt64, airline String, stops String, "
            "price Decimal(18, 2), origin_airport String, origin_iata String, origin_icao String, "
            "origin_loc_city String, origin_loc_state String, origin_loc_country String, "
            "destination_airport String, destination_iata String, destination_icao String, "
            "destination_loc_city String, destination_loc_state String, "
            "destination_loc_country String) ENGINE = ReplacingMergeTree ORDER BY _id");
}

TEST(ClickHouseDdl, MapsEveryTypeAndQuotesOddNames) {
  auto schema = IngestSchema::FromJson(R"([{"name":"_id","path":["k"]},
      {"name":"i","path":["i"],"type":"int"},{"name":"b","path":["b"],"type":"bool"},
      {"name":"t","path":["t"],"type":"timestamp"},{"name":"ss","path":["ss"],"type":"stringset"},
      {"name":"is","path":["is"],"type":"idset"},{"name":"odd name`","path":["o"]}])", "", "s");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(ClickHouseDdl(*schema, "my-table"),
            "CREATE TABLE IF NOT EXISTS `my-table` (_id String, i Int64, b UInt8, t String, "
            "ss Array(String), is Array(UInt64), `odd name\\`` String) "
            "ENGINE = ReplacingMergeTree ORDER BY _id");
}

}  // namespace
}  // namespace sluice::stages
