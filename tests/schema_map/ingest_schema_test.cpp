// Tests for stages/schema_map/ingest_schema.h: the tutorial files load verbatim, and every
// bad schema gives an error naming the file, the entry and the column.
#include "stages/schema_map/ingest_schema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace sluice::stages {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  return dir ? dir : ".";
}

Status SchemaError(std::string_view schema, std::string_view table = "") {
  return IngestSchema::FromJson(schema, table, "schema.json", "table.json").status();
}

TEST(IngestSchema, LoadsTutorialFilesVerbatim) {
  auto schema = IngestSchema::Load(SourceDir() + "/examples/flights/schema.json",
                                   SourceDir() + "/examples/flights/table.json");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const auto& cols = schema->columns();
  ASSERT_EQ(cols.size(), 16u);
  EXPECT_EQ(schema->id_column().name, "_id");
  EXPECT_EQ(schema->id_column().type, ColumnType::kId);
  EXPECT_EQ(schema->id_column().path, std::vector<std::string>{"flight_id"});
  EXPECT_EQ(schema->id_index(), 15u);
  EXPECT_EQ(cols[0].name, "airline");
  EXPECT_EQ(cols[1].name, "stops");
  EXPECT_EQ(cols[1].type, ColumnType::kString);
  EXPECT_EQ(cols[2].name, "price");
  EXPECT_EQ(cols[2].type, ColumnType::kDecimal);
  EXPECT_EQ(cols[2].scale, 2);
  EXPECT_EQ(cols[4].path, (std::vector<std::string>{"origin", "iata"}));
  EXPECT_EQ(cols[9].type, ColumnType::kString);  // explicit "type": "string" in schema.json
}

TEST(IngestSchema, WithoutTableColumnsDefaultToString) {
  auto schema = IngestSchema::Load(SourceDir() + "/examples/flights/schema.json", "");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->columns()[2].type, ColumnType::kString);
  EXPECT_EQ(schema->id_column().type, ColumnType::kString);
}

TEST(IngestSchema, MissingFileIsNotFound) {
  auto schema = IngestSchema::Load("/nonexistent/schema.json", "");
  EXPECT_EQ(schema.status().code(), StatusCode::kNotFound);
  EXPECT_NE(schema.status().message().find("/nonexistent/schema.json"), std::string::npos);
}

TEST(IngestSchema, BadPathNamesFileEntryAndColumn) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"a","path":["a"]},
                             {"name":"price","path":[]}])");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), R"(schema.json: entry 3 ("price"): "path" must be a non-empty list of strings)");
  s = SchemaError(R"([{"name":"_id","path":["id", 3]}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 1 ("_id"): "path" must be a non-empty list of strings)");
  s = SchemaError(R"([{"name":"_id","path":"id"}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 1 ("_id"): "path" must be a non-empty list of strings)");
}

TEST(IngestSchema, MissingIdIsAnError) {
  Status s = SchemaError(R"([{"name":"a","path":["a"]}])");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), R"(schema.json: no "_id" entry (the record key column is required))");
}

TEST(IngestSchema, UnknownTypeIsAnError) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"flaot"}])");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().rfind(R"(schema.json: entry 2 ("p"): unknown type "flaot")", 0), 0u) << s.message();
}

TEST(IngestSchema, NumberTypeIsRejectedAsAmbiguous) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"number"}])");
  EXPECT_NE(s.message().find("ambiguous"), std::string::npos) << s.message();
}

TEST(IngestSchema, DuplicateNameIsAnError) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"a","path":["a"]},{"name":"a","path":["b"]}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 3 ("a"): duplicate column name (first at entry 2))");
}

TEST(IngestSchema, SameOrOverlappingPathIsAnError) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"a","path":["id"]}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 2 ("a"): has the same path as entry 1 ("_id"))");
  s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"o","path":["o"]},{"name":"x","path":["o","x"]}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 3 ("x"): has a path that overlaps the path of entry 2 ("o"))");
}

TEST(IngestSchema, UnknownKeyInEntryIsAnError) {
  Status s = SchemaError(R"([{"name":"_id","paht":["id"]}])");
  EXPECT_EQ(s.message().rfind(R"(schema.json: entry 1 ("_id"): unknown key "paht")", 0), 0u) << s.message();
}

TEST(IngestSchema, NotAListIsAnError) {
  EXPECT_EQ(SchemaError(R"({"name":"_id"})").message(), "schema.json: must be a JSON list of column entries");
  EXPECT_EQ(SchemaError(R"([{"name":"_id",)").message().rfind("schema.json: invalid JSON: ", 0), 0u);
  EXPECT_EQ(SchemaError(R"([42])").message().rfind("schema.json: entry 1: must be an object", 0), 0u);
  EXPECT_EQ(SchemaError(R"([{"path":["id"]}])").message(),
            R"(schema.json: entry 1: "name" must be a non-empty string)");
}

TEST(IngestSchema, TableColumnUnknownToSchemaIsAnError) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]}])",
                         R"([{"name":"_id","type":"id"},{"name":"ghost","type":"int"}])");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), R"(table.json: entry 2 ("ghost"): column is not in the schema schema.json)");
}

TEST(IngestSchema, TableErrorsNameTheTableEntry) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]}])", R"([{"name":"_id","type":"uuid"}])");
  EXPECT_EQ(s.message().rfind(R"(table.json: entry 1 ("_id"): unknown type "uuid")", 0), 0u) << s.message();
  s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"]}])",
                  R"([{"name":"p","type":"int","scale":2}])");
  EXPECT_EQ(s.message(), R"(table.json: entry 1 ("p"): "scale" is only for decimal columns)");
  s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"]}])",
                  R"([{"name":"p","type":"decimal","scale":19}])");
  EXPECT_EQ(s.message(), R"(table.json: entry 1 ("p"): "scale" must be an integer 0..18)");
}

TEST(IngestSchema, SchemaTypeWinsOverTableType) {
  auto schema = IngestSchema::FromJson(
      R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"int"}])",
      R"([{"name":"p","type":"string"}])", "s", "t");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->columns()[1].type, ColumnType::kInt);
}

TEST(IngestSchema, DecimalNeedsScale) {
  Status s = SchemaError(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"decimal"}])");
  EXPECT_EQ(s.message(), R"(schema.json: entry 2 ("p"): decimal needs a "scale" (here or in the table))");
  // Scale can come from the schema entry, the FeatureBase spelling, or the table.
  auto a = IngestSchema::FromJson(
      R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"decimal","scale":3}])", "", "s");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->columns()[1].scale, 3);
  auto b = IngestSchema::FromJson(
      R"js([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"DECIMAL(4)"}])js", "", "s");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->columns()[1].scale, 4);
  auto c = IngestSchema::FromJson(R"([{"name":"_id","path":["id"]},{"name":"p","path":["p"],"type":"decimal"}])",
                                  R"([{"name":"p","type":"decimal","scale":5}])", "s");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->columns()[1].scale, 5);
}

TEST(IngestSchema, AcceptsAliases) {
  auto schema = IngestSchema::FromJson(R"([{"name":"_id","path":["id"],"type":"uint64"},
      {"name":"a","path":["a"],"type":"Integer"},{"name":"b","path":["b"],"type":"boolean"},
      {"name":"c","path":["c"],"type":"datetime"},{"name":"d","path":["d"],"type":"string_set"},
      {"name":"e","path":["e"],"type":"id_set"},{"name":"f","path":["f"],"type":"text"}])", "", "s");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const auto& c = schema->columns();
  EXPECT_EQ(c[0].type, ColumnType::kId);
  EXPECT_EQ(c[1].type, ColumnType::kInt);
  EXPECT_EQ(c[2].type, ColumnType::kBool);
  EXPECT_EQ(c[3].type, ColumnType::kTimestamp);
  EXPECT_EQ(c[4].type, ColumnType::kStringSet);
  EXPECT_EQ(c[5].type, ColumnType::kIdSet);
  EXPECT_EQ(c[6].type, ColumnType::kString);
}

TEST(IngestSchema, IdMustBeIdOrString) {
  Status s = SchemaError(R"js([{"name":"_id","path":["id"],"type":"decimal(2)"}])js");
  EXPECT_EQ(s.message(), R"(schema.json: entry 1 ("_id"): _id must be of type id or string, not decimal)");
}

}  // namespace
}  // namespace sluice::stages
