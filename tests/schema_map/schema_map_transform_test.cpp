// Tests for stages/schema_map/schema_map_transform.h: path extraction, every coercion rule of
// docs/schema.md, raw vs mapped bytes, rejection reasons, full validation of unvisited JSON, and
// chunks that mix good and bad records.
#include "stages/schema_map/schema_map_transform.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice::stages {
namespace {

constexpr const char* kSchema = R"([
  {"name":"s","path":["s"],"type":"string"},
  {"name":"i","path":["i"],"type":"int"},
  {"name":"u","path":["u"],"type":"id"},
  {"name":"d","path":["d"],"type":"decimal","scale":2},
  {"name":"b","path":["b"],"type":"bool"},
  {"name":"t","path":["t"],"type":"timestamp"},
  {"name":"ss","path":["ss"],"type":"stringset"},
  {"name":"is","path":["is"],"type":"idset"},
  {"name":"city","path":["origin","loc","city"]},
  {"name":"iata","path":["origin","iata"]},
  {"name":"_id","path":["id"],"type":"id"},
  {"name":"clé","path":["clé","ü\"q"]}
])";

struct Result {
  bool accepted = false;
  std::string text;  // output when accepted, reason when rejected
};

class Mapper {
 public:
  explicit Mapper(PayloadMode mode, const char* schema_json = kSchema) {
    auto schema = IngestSchema::FromJson(schema_json, "", "schema.json");
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    SchemaMapConfig config;
    config.payload_mode = mode;
    auto t = SchemaMapTransform::Create(config, std::move(schema).value());
    EXPECT_TRUE(t.ok());
    transform_ = std::move(t).value();
    state_ = transform_->MakeState();
  }
  std::vector<Result> Run(const std::vector<std::string>& records) {
    RecordChunk chunk;
    int64_t offset = 0;
    for (const auto& r : records) chunk.AddInput(r, SourcePosition{0, 0, offset++});
    chunk.FinishInput();
    transform_->Apply(*state_, chunk);
    EXPECT_EQ(chunk.outputs.size(), records.size());
    std::vector<Result> out;
    for (size_t i = 0; i < chunk.outputs.size(); ++i) {
      const auto& o = chunk.outputs[i];
      if (o.verdict == RecordVerdict::kAccepted) {
        out.push_back({true, std::string(chunk.Output(i))});
      } else {
        out.push_back({false, chunk.reasons.at(o.reason_index)});
      }
    }
    return out;
  }
  Result One(const std::string& record) { return Run({record})[0]; }

 private:
  std::unique_ptr<SchemaMapTransform> transform_;
  std::unique_ptr<TransformState> state_;
};

// Maps {"id":1, <field>} in mapped mode and returns the output or the reason.
Result Field(const std::string& field) {
  Mapper m(PayloadMode::kMapped);
  return m.One("{\"id\":1," + field + "}");
}
void ExpectMapped(const std::string& field, const std::string& mapped_value_json) {
  Result r = Field(field);
  EXPECT_TRUE(r.accepted) << field << " -> " << r.text;
  EXPECT_EQ(r.text, "{\"_id\":1" + mapped_value_json + "}") << field;
}
void ExpectRejected(const std::string& field, const std::string& reason) {
  Result r = Field(field);
  EXPECT_FALSE(r.accepted) << field << " -> " << r.text;
  EXPECT_EQ(r.text, reason) << field;
}
void ExpectInvalidJson(const std::string& record) {
  for (PayloadMode mode : {PayloadMode::kMapped, PayloadMode::kRaw}) {
    Mapper m(mode);
    Result r = m.One(record);
    EXPECT_FALSE(r.accepted) << record << " -> " << r.text;
    EXPECT_EQ(r.text.rfind("invalid JSON: ", 0), 0u) << record << " -> " << r.text;
  }
}

// --- path extraction -----------------------------------------------------------------------

TEST(SchemaMapTransform, MapsNestedPathsInSchemaOrderWithIdFirst) {
  Mapper m(PayloadMode::kMapped);
  Result r = m.One(R"({"origin":{"iata":"HAN","loc":{"city":"Hanoi","zip":1}},"s":"x","id":7})");
  ASSERT_TRUE(r.accepted) << r.text;
  EXPECT_EQ(r.text, R"({"_id":7,"s":"x","city":"Hanoi","iata":"HAN"})");
}

TEST(SchemaMapTransform, MissingPathsLeaveColumnsOut) {
  ExpectMapped(R"("origin":{"loc":{}})", "");
  ExpectMapped(R"("origin":{})", "");
  ExpectMapped(R"("other":{"iata":"X"})", "");
}

TEST(SchemaMapTransform, NullObjectOnPathIsLikeMissing) {
  ExpectMapped(R"("origin":null)", "");
  ExpectMapped(R"("origin":{"loc":null,"iata":"HAN"})", R"(,"iata":"HAN")");
}

TEST(SchemaMapTransform, NonObjectOnPathIsRejected) {
  ExpectRejected(R"("origin":"HAN")", R"(column "city": expected an object at ["origin"], got a string)");
  ExpectRejected(R"("origin":{"loc":[1]})",
                 R"(column "city": expected an object at ["origin","loc"], got an array)");
}

TEST(SchemaMapTransform, MatchesEscapedAndUnicodeKeys) {
  // "\u0073" is "s"; the schema path ["clé","ü\"q"] has unicode and a quote.
  ExpectMapped(R"("\u0073":"x")", R"(,"s":"x")");
  ExpectMapped(R"("cl\u00e9":{"\u00fc\"q":"v"})", R"(,"clé":"v")");
  ExpectMapped(R"("clé":{"ü\"q":"v"})", R"(,"clé":"v")");
}

TEST(SchemaMapTransform, DuplicateKeyForAColumnIsRejected) {
  ExpectRejected(R"("s":"a","s":"b")", R"(column "s": duplicate key in the record)");
  Mapper m(PayloadMode::kMapped);
  EXPECT_FALSE(m.One(R"({"id":1,"id":2})").accepted);
}

TEST(SchemaMapTransform, MissingIdIsRejectedWithItsPath) {
  Mapper m(PayloadMode::kMapped);
  Result r = m.One(R"({"s":"x"})");
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.text, R"(missing _id (path ["id"]))");
  EXPECT_EQ(m.One(R"({"id":null})").text, R"(missing _id (path ["id"]))");
}

TEST(SchemaMapTransform, NonObjectRecordIsRejected) {
  Mapper m(PayloadMode::kMapped);
  EXPECT_EQ(m.One("[1,2]").text, "record is not a JSON object (got an array)");
  EXPECT_EQ(m.One("42").text, "record is not a JSON object (got a number)");
  EXPECT_EQ(m.One(R"("x")").text, "record is not a JSON object (got a string)");
}

// --- string ----------------------------------------------------------------------------------

TEST(SchemaMapTransform, StringKeepsOriginalTokenWithEscapesAndUnicode) {
  ExpectMapped(R"("s":"Noi Bai")", R"(,"s":"Noi Bai")");
  ExpectMapped(R"("s":"a\"b\\c\n\u00e9\ud83d\ude00")", R"(,"s":"a\"b\\c\n\u00e9\ud83d\ude00")");
  ExpectMapped(R"("s":"Hà Nội ✈")", R"(,"s":"Hà Nội ✈")");
  ExpectMapped(R"("s":"")", R"(,"s":"")");
}

TEST(SchemaMapTransform, StringFromNumberIsItsJsonText) {
  ExpectMapped(R"("s":1)", R"(,"s":"1")");
  ExpectMapped(R"("s":-2.50e3)", R"(,"s":"-2.50e3")");
}

TEST(SchemaMapTransform, StringFromBoolAndNull) {
  ExpectMapped(R"("s":true)", R"(,"s":"true")");
  ExpectMapped(R"("s":false)", R"(,"s":"false")");
  ExpectMapped(R"("s":null)", "");
}

TEST(SchemaMapTransform, StringFromObjectOrArrayIsRejected) {
  ExpectRejected(R"("s":{"a":1})", R"(column "s": expected a string, got an object)");
  ExpectRejected(R"("s":["a"])", R"(column "s": expected a string, got an array)");
}

// --- int -------------------------------------------------------------------------------------

TEST(SchemaMapTransform, IntAcceptsIntegersAndExactIntegerStrings) {
  ExpectMapped(R"("i":42)", R"(,"i":42)");
  ExpectMapped(R"("i":-7)", R"(,"i":-7)");
  ExpectMapped(R"("i":-0)", R"(,"i":0)");
  ExpectMapped(R"("i":"42")", R"(,"i":42)");
  ExpectMapped(R"("i":9223372036854775807)", R"(,"i":9223372036854775807)");
}

TEST(SchemaMapTransform, IntRejectsFractionsSpacesAndOverflow) {
  ExpectRejected(R"("i":"42.0")", R"(column "i": "42.0" is not an integer)");
  ExpectRejected(R"("i":" 42")", R"(column "i": " 42" is not a number)");
  ExpectRejected(R"("i":42.5)", R"(column "i": 42.5 is not an integer)");
  ExpectRejected(R"("i":42.0)", R"(column "i": 42.0 is not an integer)");
  ExpectRejected(R"("i":1e3)", R"(column "i": 1e3 is not an integer)");
  ExpectRejected(R"("i":9223372036854775808)", R"(column "i": 9223372036854775808 is out of range for int)");
  ExpectRejected(R"("i":true)", R"(column "i": expected an int, got a boolean)");
  ExpectRejected(R"("i":[1])", R"(column "i": expected an int, got an array)");
}

// --- id --------------------------------------------------------------------------------------

TEST(SchemaMapTransform, IdAcceptsUnsignedAndExactStrings) {
  ExpectMapped(R"("u":18446744073709551615)", R"(,"u":18446744073709551615)");
  ExpectMapped(R"("u":"12")", R"(,"u":12)");
}

TEST(SchemaMapTransform, IdRejectsNegativeAndFractions) {
  ExpectRejected(R"("u":-1)", R"(column "u": -1 is negative (id is unsigned))");
  ExpectRejected(R"("u":1.5)", R"(column "u": 1.5 is not an integer)");
  ExpectRejected(R"("u":18446744073709551616)", R"(column "u": 18446744073709551616 is out of range for id)");
  ExpectRejected(R"("u":"abc")", R"(column "u": "abc" is not a number)");
}

// --- decimal ---------------------------------------------------------------------------------

TEST(SchemaMapTransform, DecimalIsPrintedWithExactlyScaleDigits) {
  ExpectMapped(R"("d":641)", R"(,"d":641.00)");
  ExpectMapped(R"("d":641.5)", R"(,"d":641.50)");
  ExpectMapped(R"("d":"641.05")", R"(,"d":641.05)");
  ExpectMapped(R"("d":641.000)", R"(,"d":641.00)");
  ExpectMapped(R"("d":1.5e2)", R"(,"d":150.00)");
  ExpectMapped(R"("d":-0.5)", R"(,"d":-0.50)");
}

TEST(SchemaMapTransform, DecimalRejectsTooManyFractionalDigits) {
  ExpectRejected(R"("d":641.005)", R"(column "d": 641.005 has 3 fractional digits, scale is 2)");
  ExpectRejected(R"("d":"0.001")", R"(column "d": "0.001" has 3 fractional digits, scale is 2)");
  ExpectRejected(R"("d":1e-3)", R"(column "d": 1e-3 has 3 fractional digits, scale is 2)");
  ExpectRejected(R"("d":1e17)", R"(column "d": 1e17 is out of range for decimal(18,2))");
  ExpectRejected(R"("d":"1,5")", R"(column "d": "1,5" is not a number)");
  ExpectRejected(R"("d":false)", R"(column "d": expected a decimal number, got a boolean)");
}

// --- bool ------------------------------------------------------------------------------------

TEST(SchemaMapTransform, BoolAcceptsLiteralsStringsAndZeroOne) {
  ExpectMapped(R"("b":true)", R"(,"b":true)");
  ExpectMapped(R"("b":false)", R"(,"b":false)");
  ExpectMapped(R"("b":"true")", R"(,"b":true)");
  ExpectMapped(R"("b":"false")", R"(,"b":false)");
  ExpectMapped(R"("b":1)", R"(,"b":true)");
  ExpectMapped(R"("b":0)", R"(,"b":false)");
}

TEST(SchemaMapTransform, BoolRejectsEverythingElse) {
  const std::string help = " is not a bool (use true/false, \"true\"/\"false\", 0 or 1)";
  ExpectRejected(R"("b":2)", R"(column "b": 2)" + help);
  ExpectRejected(R"("b":1.0)", R"(column "b": 1.0)" + help);
  ExpectRejected(R"("b":"TRUE")", R"(column "b": "TRUE")" + help);
  ExpectRejected(R"("b":"yes")", R"(column "b": "yes")" + help);
  ExpectRejected(R"("b":{})", R"(column "b": expected a bool, got an object)");
}

// --- timestamp -------------------------------------------------------------------------------

TEST(SchemaMapTransform, TimestampKeepsValidRfc3339Strings) {
  ExpectMapped(R"("t":"2024-02-29T12:00:00.5+01:00")", R"(,"t":"2024-02-29T12:00:00.5+01:00")");
}

TEST(SchemaMapTransform, TimestampRejectsOtherFormsAndNumbers) {
  ExpectRejected(R"("t":"2024-02-30T12:00:00Z")",
                 R"(column "t": "2024-02-30T12:00:00Z" is not an RFC 3339 timestamp)");
  ExpectRejected(R"("t":"2024-01-01 12:00:00")",
                 R"(column "t": "2024-01-01 12:00:00" is not an RFC 3339 timestamp)");
  ExpectRejected(R"("t":1700000000)", R"(column "t": expected an RFC 3339 timestamp string, got a number)");
}

// --- sets ------------------------------------------------------------------------------------

TEST(SchemaMapTransform, StringSetTakesArraysAndScalars) {
  ExpectMapped(R"("ss":["a","b\u0020c"])", R"(,"ss":["a","b\u0020c"])");
  ExpectMapped(R"("ss":"solo")", R"(,"ss":["solo"])");
  ExpectMapped(R"("ss":[])", R"(,"ss":[])");
  ExpectMapped(R"("ss":[1,true])", R"(,"ss":["1","true"])");
  ExpectRejected(R"("ss":["a",null])", R"(column "ss": null inside a set)");
  ExpectRejected(R"("ss":[["a"]])", R"(column "ss": expected a string or a list of strings, got an array)");
  ExpectRejected(R"("ss":{"a":1})", R"(column "ss": expected a string or a list of strings, got an object)");
}

TEST(SchemaMapTransform, IdSetTakesArraysAndScalars) {
  ExpectMapped(R"("is":[1,"2",3])", R"(,"is":[1,2,3])");
  ExpectMapped(R"("is":5)", R"(,"is":[5])");
  ExpectRejected(R"("is":[1,-2])", R"(column "is": -2 is negative (id is unsigned))");
  ExpectRejected(R"("is":["x"])", R"(column "is": "x" is not an unsigned id)");
  ExpectRejected(R"("is":[true])", R"(column "is": expected an id or a list of ids, got a boolean)");
}

// --- full validation, both modes -------------------------------------------------------------

TEST(SchemaMapTransform, InvalidJsonAnywhereIsRejectedInBothModes) {
  ExpectInvalidJson(R"({"id":1,"x":tru})");
  ExpectInvalidJson(R"({"id":1,"x":nul})");
  ExpectInvalidJson(R"({"id":1,"x":[1,2})");
  ExpectInvalidJson(R"({"id":1,"x":{"y":1]})");
  ExpectInvalidJson(R"({"id":1,"x":{"y":01}})");
  ExpectInvalidJson(R"({"id":1,"x":"bad \q escape"})");
  ExpectInvalidJson(R"({"id":1,"x":["\ud800"]})");
  ExpectInvalidJson("{\"id\":1,\"x\":\"raw\x01control\"}");
  ExpectInvalidJson("{\"id\":1,\"x\":\"bad utf8 \xff\"}");
  ExpectInvalidJson(R"({"id":1} {"id":2})");
  ExpectInvalidJson(R"({"id":1}})");
  ExpectInvalidJson(R"({"id":1,"x":1 2})");
  ExpectInvalidJson(R"({"id":1,)");
  ExpectInvalidJson(R"({"id":1)");
  ExpectInvalidJson(R"({"id":1,"x":{"y":[1,{"z":"w"]}}})");
  ExpectInvalidJson(R"({"id":1 "x":2})");
  ExpectInvalidJson(R"({"id":1,"x"})");
  ExpectInvalidJson(R"({"i\d":1})");
  ExpectInvalidJson("");
  ExpectInvalidJson("   ");
}

TEST(SchemaMapTransform, TooDeepNestingIsRejected) {
  std::string deep = "{\"id\":1,\"x\":" + std::string(300, '[') + std::string(300, ']') + "}";
  Mapper m(PayloadMode::kMapped);
  Result r = m.One(deep);
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.text.rfind("invalid JSON: ", 0), 0u) << r.text;
  std::string ok = "{\"id\":1,\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_TRUE(m.One(ok).accepted);
}

// --- raw vs mapped ---------------------------------------------------------------------------

TEST(SchemaMapTransform, RawModeWritesTheOriginalMinified) {
  const std::string record =
      "{ \"id\" : 7,\n  \"s\": \"a b\\n\\\"c\\\" \",\t\"extra\": [1, 2, {\"k\": \"v w\"}],"
      " \"d\": 641.005e0 , \"i\":\"42\" }\n";
  Mapper raw(PayloadMode::kRaw);
  Result r = raw.One(record);
  ASSERT_FALSE(r.accepted);  // 641.005e0 has 3 fractional digits: rejected the same in raw mode
  EXPECT_EQ(r.text, R"(column "d": 641.005e0 has 3 fractional digits, scale is 2)");

  const std::string good =
      "{ \"id\" : 7,\n  \"s\": \"a b\\n\\\"c\\\" \",\t\"extra\": [1, 2, {\"k\": \"v w\"}],"
      " \"d\": 64101e-2 , \"i\":\"42\" }\n";
  r = raw.One(good);
  ASSERT_TRUE(r.accepted) << r.text;
  EXPECT_EQ(r.text, R"({"id":7,"s":"a b\n\"c\" ","extra":[1,2,{"k":"v w"}],"d":64101e-2,"i":"42"})");
  Mapper mapped(PayloadMode::kMapped);
  r = mapped.One(good);
  ASSERT_TRUE(r.accepted) << r.text;
  EXPECT_EQ(r.text, R"({"_id":7,"s":"a b\n\"c\" ","i":42,"d":641.01})");
}

TEST(SchemaMapTransform, RawModeCopiesCompactRecordsAsIs) {
  const std::string record = R"({"id":1,"s":"x","z":[true,false,null]})";
  Mapper raw(PayloadMode::kRaw);
  Result r = raw.One(record);
  ASSERT_TRUE(r.accepted) << r.text;
  EXPECT_EQ(r.text, record);
}

TEST(SchemaMapTransform, RawModeMinifiesWhitespaceNextToClosingBrackets) {
  // Raw mode copies a record unchanged only when the walk proves it has no insignificant
  // whitespace; these hide it where no key or scalar token touches it.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"id":1,"origin":{"iata":"X"} })", R"({"id":1,"origin":{"iata":"X"}})"},
      {R"({"id":1,"x":[1,2] })", R"({"id":1,"x":[1,2]})"},
      {R"({"id":1,"x":{"a":[[] ]}})", R"({"id":1,"x":{"a":[[]]}})"},
      {R"({"id":1,"ss":["a" ,"b"],"is":[ 1]})", R"({"id":1,"ss":["a","b"],"is":[1]})"},
      {"{\"id\":1,\"origin\":{\"loc\":{\"city\":\"c\"}\n}}",
       R"({"id":1,"origin":{"loc":{"city":"c"}}})"},
      {R"({"id":1,"origin":null })", R"({"id":1,"origin":null})"},
      {R"({"id" :1})", R"({"id":1})"},
      {R"({"id": 1})", R"({"id":1})"},
      {R"( {"id":1})", R"({"id":1})"},
      {"{\"id\":1}\n", R"({"id":1})"},
      {R"({"id":1,"k":"a b"})", R"({"id":1,"k":"a b"})"},
  };
  Mapper raw(PayloadMode::kRaw);
  for (const auto& [record, minified] : cases) {
    Result r = raw.One(record);
    ASSERT_TRUE(r.accepted) << record << " -> " << r.text;
    EXPECT_EQ(r.text, minified) << record;
  }
}

TEST(SchemaMapTransform, KeysAndStringsAreCheckedWhetherOrNotTheRecordHasBackslashes) {
  // A backslash anywhere switches the record to the escape-aware checks; the same records
  // must map the same either way.
  ExpectMapped(R"("s":"x","n":"\\")", R"(,"s":"x")");
  ExpectMapped(R"("s":"x\"y")", R"(,"s":"x\"y")");
  ExpectMapped(R"("x\"y":{"\u0073":1},"s":"z")", R"(,"s":"z")");
  ExpectInvalidJson(R"({"id":1,"s":"x","o":{"k\q":1}})");
  ExpectMapped(R"("i":-0)", R"(,"i":0)");
  ExpectMapped(R"("i":-12,"u":18446744073709551615)", R"(,"i":-12,"u":18446744073709551615)");
  ExpectMapped(R"("d":-12.5)", R"(,"d":-12.50)");
}

TEST(SchemaMapTransform, TutorialFlightMapsToFlatRow) {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  std::string root = dir ? dir : ".";
  auto schema = IngestSchema::Load(root + "/examples/flights/schema.json",
                                   root + "/examples/flights/table.json");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  auto t = SchemaMapTransform::Create(SchemaMapConfig{}, std::move(schema).value());
  ASSERT_TRUE(t.ok());
  auto state = (*t)->MakeState();
  RecordChunk chunk;
  chunk.AddInput(
      R"({"airline":"Maya Island Air","origin":{"airport":"Noi Bai Airport","iata":"HAN","icao":"VVNB","city":"Hanoi","state":"Ha Noi","country":"Vietnam"},"destination":{"airport":"Jorge Chavez","iata":"LIM","icao":"SPJC","city":"Lima","state":"Lima","country":"Peru"},"stops":"non-stop","price":641,"flight_id":123})",
      {});
  chunk.AddInput(R"({"airline":"X","stops":2,"price":99.9,"flight_id":124})", {});
  chunk.FinishInput();
  (*t)->Apply(*state, chunk);
  ASSERT_EQ(chunk.outputs[0].verdict, RecordVerdict::kAccepted);
  EXPECT_EQ(chunk.Output(0),
            R"({"_id":123,"airline":"Maya Island Air","stops":"non-stop","price":641.00,)"
            R"("origin_airport":"Noi Bai Airport","origin_iata":"HAN","origin_icao":"VVNB",)"
            R"("origin_loc_city":"Hanoi","origin_loc_state":"Ha Noi","origin_loc_country":"Vietnam",)"
            R"("destination_airport":"Jorge Chavez","destination_iata":"LIM","destination_icao":"SPJC",)"
            R"("destination_loc_city":"Lima","destination_loc_state":"Lima","destination_loc_country":"Peru"})");
  ASSERT_EQ(chunk.outputs[1].verdict, RecordVerdict::kAccepted);
  EXPECT_EQ(chunk.Output(1), R"({"_id":124,"airline":"X","stops":"2","price":99.90})");
}

// --- chunks ----------------------------------------------------------------------------------

TEST(SchemaMapTransform, ChunkMixingGoodAndBadRecordsKeepsEveryRecord) {
  for (PayloadMode mode : {PayloadMode::kMapped, PayloadMode::kRaw}) {
    Mapper m(mode);
    std::vector<std::string> records = {
        R"({"id":1,"s":"a"})",  R"({"id":2,"d":1.234})", R"(not json)",
        R"({"s":"no id"})",     R"({"id":5,"s":"e"})",   R"({"id":6,"s":"f"}garbage)",
    };
    auto results = m.Run(records);
    ASSERT_EQ(results.size(), 6u);
    EXPECT_TRUE(results[0].accepted);
    EXPECT_EQ(results[1].text, R"(column "d": 1.234 has 3 fractional digits, scale is 2)");
    EXPECT_FALSE(results[2].accepted);
    EXPECT_EQ(results[2].text.rfind("invalid JSON: ", 0), 0u);
    EXPECT_EQ(results[3].text, R"(missing _id (path ["id"]))");
    EXPECT_TRUE(results[4].accepted);
    EXPECT_FALSE(results[5].accepted);
    if (mode == PayloadMode::kMapped) {
      EXPECT_EQ(results[0].text, R"({"_id":1,"s":"a"})");
      EXPECT_EQ(results[4].text, R"({"_id":5,"s":"e"})");
    } else {
      EXPECT_EQ(results[0].text, records[0]);
      EXPECT_EQ(results[4].text, records[4]);
    }
  }
}

TEST(SchemaMapTransform, ReusedStateAndChunkGiveTheSameBytes) {
  Mapper m(PayloadMode::kMapped);
  std::vector<std::string> records = {R"({"id":1,"s":"a","d":"2"})", R"({"id":2,"ss":["x"]})"};
  auto first = m.Run(records);
  auto second = m.Run(records);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(first[i].text, second[i].text);
  EXPECT_EQ(first[0].text, R"({"_id":1,"s":"a","d":2.00})");
  EXPECT_EQ(first[1].text, R"({"_id":2,"ss":["x"]})");
}

// The engine takes the rejecting stage from the transform and never reads the reason: a value
// that is not JSON is refused by the parse stage, JSON the schema cannot map by the map stage.
TEST(SchemaMapTransform, RejectionsNameTheStageThatRefused) {
  auto schema = IngestSchema::FromJson(kSchema, "", "schema.json");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  SchemaMapConfig config;
  config.payload_mode = PayloadMode::kMapped;
  config.max_record_bytes = 64;
  auto transform = SchemaMapTransform::Create(config, std::move(schema).value());
  ASSERT_TRUE(transform.ok());
  std::unique_ptr<TransformState> state = (*transform)->MakeState();
  const std::vector<std::string> records = {
      R"({"id":1,"s":"x")",                                  // unterminated object
      "not json",                                            // not JSON at all
      R"({"s":"no id"})",                                    // missing _id
      R"({"id":1,"i":"x"})",                                 // wrong type for a column
      "{\"id\":1,\"s\":\"" + std::string(100, 'a') + "\"}",  // over --max-record-bytes
      R"({"id":2})",                                         // accepted
  };
  RecordChunk chunk;
  int64_t offset = 0;
  for (const auto& r : records) chunk.AddInput(r, SourcePosition{0, 0, offset++});
  chunk.FinishInput();
  (*transform)->Apply(*state, chunk);
  ASSERT_EQ(chunk.outputs.size(), records.size());
  const std::vector<RejectStage> expected = {RejectStage::kParse, RejectStage::kParse, RejectStage::kMap,
                                             RejectStage::kMap};
  for (size_t i = 0; i + 1 < records.size(); ++i) {
    ASSERT_EQ(chunk.outputs[i].verdict, RecordVerdict::kRejected) << records[i];
    const RejectStage want = i < expected.size() ? expected[i] : RejectStage::kMap;
    EXPECT_EQ(RejectStageName(chunk.outputs[i].reject_stage), RejectStageName(want))
        << records[i] << ": " << chunk.reasons.at(chunk.outputs[i].reason_index);
  }
  EXPECT_EQ(chunk.outputs.back().verdict, RecordVerdict::kAccepted);
}

}  // namespace
}  // namespace sluice::stages
