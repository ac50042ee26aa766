// Exact bytes of every format's framing, and the response rules of every Judge().
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "stages/sink_formats/clickhouse_format.h"
#include "stages/sink_formats/featurebase_format.h"
#include "stages/sink_formats/json_array_format.h"
#include "stages/sink_formats/make_sink_format.h"
#include "stages/sink_formats/ndjson_format.h"
#include "stages/sink_formats/response_classifier.h"

namespace sluice::stages {
namespace {

// Frames `values` and checks every returned offset points at its value.
std::string Frame(const SinkFormat& f, const std::vector<std::string>& values) {
  std::string payload;
  f.Open(payload);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint32_t off = f.Append(payload, values[i], i == 0);
    EXPECT_EQ(payload.substr(off, values[i].size()), values[i]);
  }
  f.Close(payload);
  return payload;
}

SinkFormatConfig Cfg(std::string name, std::string table = "", std::set<int> retry_on = {},
                     std::set<int> no_retry_on = {}) {
  SinkFormatConfig c;
  c.name = std::move(name);
  c.clickhouse_table = std::move(table);
  c.retry_on = std::move(retry_on);
  c.no_retry_on = std::move(no_retry_on);
  return c;
}

const std::vector<std::string> kTwo = {"{\"a\":1}", "\"x\""};

TEST(FeatureBaseFormat, FramesRecordsAsValueObjects) {
  FeatureBaseFormat f;
  EXPECT_EQ(Frame(f, kTwo), "{\"records\":[{\"value\":{\"a\":1}},{\"value\":\"x\"}]}");
  EXPECT_EQ(Frame(f, {}), "{\"records\":[]}");
  EXPECT_EQ(Frame(f, {"1"}).size(), std::string("{\"records\":[]}").size() + 1 + f.PerRecordOverheadBytes() - 1);
  EXPECT_EQ(f.ContentType(), "application/json");
}

TEST(NdjsonFormat, FramesOneValuePerLine) {
  NdjsonFormat f;
  EXPECT_EQ(Frame(f, kTwo), "{\"a\":1}\n\"x\"\n");
  EXPECT_EQ(f.ContentType(), "application/x-ndjson");
}

TEST(JsonArrayFormat, FramesOneArray) {
  JsonArrayFormat f;
  EXPECT_EQ(Frame(f, kTwo), "[{\"a\":1},\"x\"]");
  EXPECT_EQ(Frame(f, {}), "[]");
  EXPECT_EQ(f.ContentType(), "application/json");
}

TEST(ClickHouseFormat, FramesJsonEachRowAndBuildsInsertUrl) {
  ClickHouseFormat f("db.flights");
  EXPECT_EQ(Frame(f, {"{\"a\":1}", "{\"b\":2}"}), "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(f.RequestUrlSuffix(), "?query=INSERT%20INTO%20db.flights%20FORMAT%20JSONEachRow");
  EXPECT_EQ(ClickHouseFormat("a b").RequestUrlSuffix(), "?query=INSERT%20INTO%20a%20b%20FORMAT%20JSONEachRow");
  SinkFormatConfig c = Cfg("clickhouse", "t");
  EXPECT_EQ(RequestUrl(c, "http://h:8123/"), "http://h:8123/?query=INSERT%20INTO%20t%20FORMAT%20JSONEachRow");
  EXPECT_EQ(RequestUrl(c, "http://h/?x=1"), "http://h/?x=1&query=INSERT%20INTO%20t%20FORMAT%20JSONEachRow");
  EXPECT_EQ(RequestUrl(SinkFormatConfig{}, "http://h/s"), "http://h/s");
}

TEST(ResponseClassifier, AppliesDefaultRules) {
  RetryOverrides none;
  EXPECT_EQ(ClassifyHttpStatus(200, "", none), ResponseClass::kAccepted);
  EXPECT_EQ(ClassifyHttpStatus(204, "", none), ResponseClass::kAccepted);
  EXPECT_EQ(ClassifyHttpStatus(400, "", none), ResponseClass::kRejectedRequest);
  EXPECT_EQ(ClassifyHttpStatus(400, "ResourceThroughputExceeded", none), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(401, "", none), ResponseClass::kRefreshAuth);
  EXPECT_EQ(ClassifyHttpStatus(403, "", none), ResponseClass::kFatal);
  EXPECT_EQ(ClassifyHttpStatus(404, "", none), ResponseClass::kFatal);
  EXPECT_EQ(ClassifyHttpStatus(408, "", none), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(413, "", none), ResponseClass::kTooLarge);
  EXPECT_EQ(ClassifyHttpStatus(429, "", none), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(500, "", none), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(501, "", none), ResponseClass::kFatal);
  EXPECT_EQ(ClassifyHttpStatus(503, "", none), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(302, "", none), ResponseClass::kFatal);
}

TEST(ResponseClassifier, HonoursRetryOverrides) {
  RetryOverrides o{.retry_on = {409, 400}, .no_retry_on = {503}};
  EXPECT_EQ(ClassifyHttpStatus(409, "", o), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(400, "", o), ResponseClass::kRetry);
  EXPECT_EQ(ClassifyHttpStatus(503, "", o), ResponseClass::kFatal);
  EXPECT_EQ(ClassifyHttpStatus(500, "", o), ResponseClass::kRetry);
}

TEST(ResponseClassifier, ExtractsJsonErrorCodeLeniently) {
  EXPECT_EQ(ExtractJsonErrorCode(R"({"code":"ResourceThroughputExceeded","message":"slow"})"),
            "ResourceThroughputExceeded");
  EXPECT_EQ(ExtractJsonErrorCode(R"({"error":{"code":"X"}})"), "X");
  EXPECT_EQ(ExtractJsonErrorCode("not json"), "");
  EXPECT_EQ(ExtractJsonErrorCode(R"({"code":12})"), "");
  EXPECT_EQ(BodySnippet("a\nb", 10), "a b");
  EXPECT_EQ(BodySnippet("abcdef", 3), "abc...");
}

TEST(FeatureBaseFormat, JudgeListsPerRecordErrorsOfAcceptedRequest) {
  FeatureBaseFormat f;
  const std::string body = R"({"success":true,"records_received":3,"records_stored":1,"errors":[)"
                           R"({"index":2,"id":"x","message":"bad _id"},{"index":0,"error":"type"},)"
                           R"({"index":7,"message":"out of range"},{"index":2,"message":"dup"},"junk"]})";
  ResponseVerdict v = f.Judge(200, body, 3);
  EXPECT_EQ(v.cls, ResponseClass::kAccepted);
  ASSERT_EQ(v.rejected.size(), 2u);
  EXPECT_EQ(v.rejected[0].index, 2u);
  EXPECT_EQ(v.rejected[0].reason, "bad _id");
  EXPECT_EQ(v.rejected[1].index, 0u);
  EXPECT_EQ(v.rejected[1].reason, "type");
  EXPECT_EQ(f.Judge(200, "", 3).cls, ResponseClass::kAccepted);
  EXPECT_TRUE(f.Judge(200, "", 3).rejected.empty());
  EXPECT_EQ(f.Judge(200, R"({"errors":[]})", 3).cls, ResponseClass::kAccepted);
  EXPECT_TRUE(f.Judge(200, R"({"errors":[]})", 3).rejected.empty());
}

// Each 2xx answer shape of the README's table (delivery guarantee).
TEST(FeatureBaseFormat, JudgeAcknowledgesOnlyAnswersThatAccountForEveryRecord) {
  FeatureBaseFormat f;
  // Every record stored, or stored + named failures = sent.
  EXPECT_EQ(f.Judge(200, R"({"success":true,"records_stored":3})", 3).cls, ResponseClass::kAccepted);
  ResponseVerdict named = f.Judge(
      200, R"({"success":true,"records_stored":1,"errors":[{"index":0,"message":"a"},{"index":2,"message":"b"}]})", 3);
  EXPECT_EQ(named.cls, ResponseClass::kAccepted);
  EXPECT_EQ(named.rejected.size(), 2u);
  // success:false that names every failure is a per-record answer like any other.
  ResponseVerdict all_named =
      f.Judge(200, R"({"success":false,"records_stored":0,"errors":[{"index":0,"message":"a"}]})", 1);
  EXPECT_EQ(all_named.cls, ResponseClass::kAccepted);
  EXPECT_EQ(all_named.rejected.size(), 1u);
  // Fewer stored than sent, without saying which: nothing is acknowledged.
  ResponseVerdict failed = f.Judge(200, R"({"success":false,"records_stored":0})", 3);
  EXPECT_EQ(failed.cls, ResponseClass::kNotUnderstood);
  EXPECT_NE(failed.reason.find("success"), std::string::npos) << failed.reason;
  EXPECT_TRUE(failed.rejected.empty());
  EXPECT_EQ(f.Judge(200, R"({"success":false})", 3).cls, ResponseClass::kNotUnderstood);
  ResponseVerdict half = f.Judge(200, R"({"success":true,"records_stored":2})", 4);
  EXPECT_EQ(half.cls, ResponseClass::kNotUnderstood);
  EXPECT_NE(half.reason.find("stored 2 of 4"), std::string::npos) << half.reason;
  EXPECT_EQ(f.Judge(200, R"({"success":true,"records_stored":1,"errors":[{"index":0,"message":"a"}]})", 3).cls,
            ResponseClass::kNotUnderstood);
  // Not the JSON object FeatureBase answers: nothing is acknowledged.
  EXPECT_EQ(f.Judge(200, "<html>ok</html>", 3).cls, ResponseClass::kNotUnderstood);
  EXPECT_EQ(f.Judge(201, "ok", 3).cls, ResponseClass::kNotUnderstood);
  EXPECT_EQ(f.Judge(200, R"({"success":true,"records_stored":3,"errors":[{"ind)", 3).cls,
            ResponseClass::kNotUnderstood);
  EXPECT_EQ(f.Judge(200, "[1,2,3]", 3).cls, ResponseClass::kNotUnderstood);
}

TEST(SinkFormat, AnIncompleteAnswerAcknowledgesNothing) {
  FeatureBaseFormat fb;
  NdjsonFormat nd;
  const std::string whole = R"({"success":true,"records_stored":3})";
  for (const SinkFormat* f : std::initializer_list<const SinkFormat*>{&fb, &nd}) {
    EXPECT_EQ(f->JudgeAnswer(200, whole, 3, true).cls, ResponseClass::kAccepted) << f->Name();
    ResponseVerdict cut = f->JudgeAnswer(200, whole.substr(0, 10), 3, false);
    EXPECT_EQ(cut.cls, ResponseClass::kNotUnderstood) << f->Name();
    EXPECT_NE(cut.reason.find("not read whole"), std::string::npos) << cut.reason;
    // Other statuses keep their meaning: a cut 503 is still a 503.
    EXPECT_EQ(f->JudgeAnswer(503, "x", 3, false).cls, ResponseClass::kRetry) << f->Name();
  }
  // Formats whose sinks answer an empty body: an empty complete 2xx acknowledges the batch.
  EXPECT_EQ(nd.JudgeAnswer(200, "", 3, true).cls, ResponseClass::kAccepted);
  EXPECT_EQ(nd.JudgeAnswer(200, "<html>ok</html>", 3, true).cls, ResponseClass::kAccepted);
}

// The verdict says what a retry means for the sender (how it is counted, whether the adaptive
// limit shrinks), so the sender never re-derives it from the status.
TEST(SinkFormat, ARetryVerdictSaysWhetherTheSinkPushedBack) {
  FeatureBaseFormat fb;
  NdjsonFormat nd;
  for (const SinkFormat* f : std::initializer_list<const SinkFormat*>{&fb, &nd}) {
    EXPECT_EQ(f->JudgeAnswer(429, "", 3, true).pressure, RetryPressure::kThrottled) << f->Name();
    EXPECT_EQ(f->JudgeAnswer(503, "", 3, true).pressure, RetryPressure::kOverloaded) << f->Name();
    EXPECT_EQ(f->JudgeAnswer(504, "", 3, true).pressure, RetryPressure::kOverloaded) << f->Name();
    EXPECT_EQ(f->JudgeAnswer(408, "", 3, true).pressure, RetryPressure::kOverloaded) << f->Name();
    EXPECT_EQ(f->JudgeAnswer(500, "", 3, true).pressure, RetryPressure::kNone) << f->Name();
    EXPECT_EQ(f->JudgeAnswer(502, "", 3, true, /*retry_after=*/true).pressure, RetryPressure::kThrottled) << f->Name();
    // Not a retry: no pressure, Retry-After or not.
    EXPECT_EQ(f->JudgeAnswer(200, R"({"success":true,"records_stored":3})", 3, true, true).pressure,
              RetryPressure::kNone)
        << f->Name();
  }
  EXPECT_EQ(fb.JudgeAnswer(400, R"({"code":"ResourceThroughputExceeded"})", 3, true).pressure,
            RetryPressure::kThrottled);
}

TEST(FeatureBaseFormat, JudgeClassifiesErrors) {
  FeatureBaseFormat f;
  EXPECT_EQ(f.Judge(400, R"({"code":"ResourceThroughputExceeded","message":"m"})", 1).cls, ResponseClass::kRetry);
  ResponseVerdict bad = f.Judge(400, R"({"code":"InvalidRequest","message":"bad json"})", 1);
  EXPECT_EQ(bad.cls, ResponseClass::kRejectedRequest);
  EXPECT_NE(bad.reason.find("bad json"), std::string::npos);
  EXPECT_EQ(f.Judge(401, "", 1).cls, ResponseClass::kRefreshAuth);
  EXPECT_EQ(f.Judge(403, "", 1).cls, ResponseClass::kFatal);
  EXPECT_EQ(f.Judge(413, "", 1).cls, ResponseClass::kTooLarge);
  EXPECT_EQ(f.Judge(429, "", 1).cls, ResponseClass::kRetry);
  EXPECT_EQ(f.Judge(502, "", 1).cls, ResponseClass::kRetry);
  FeatureBaseFormat strict(RetryOverrides{.retry_on = {}, .no_retry_on = {429}});
  EXPECT_EQ(strict.Judge(429, "", 1).cls, ResponseClass::kFatal);
}

TEST(ClickHouseFormat, JudgeReadsExceptionCodes) {
  ClickHouseFormat f("t");
  EXPECT_EQ(ClickHouseFormat::ExceptionCode("Code: 27. DB::Exception: Cannot parse input"), 27);
  EXPECT_EQ(ClickHouseFormat::ExceptionCode("oops"), -1);
  ResponseVerdict parse = f.Judge(500, "Code: 27. DB::Exception: Cannot parse input: expected ','\n", 2);
  EXPECT_EQ(parse.cls, ResponseClass::kRejectedRequest);
  EXPECT_EQ(parse.reason, "Code: 27. DB::Exception: Cannot parse input: expected ','");
  EXPECT_EQ(f.Judge(400, "Code: 117. DB::Exception: Unknown field found", 2).cls, ResponseClass::kRejectedRequest);
  EXPECT_EQ(f.Judge(500, "Code: 53. DB::Exception: Type mismatch", 2).cls, ResponseClass::kRejectedRequest);
  EXPECT_EQ(f.Judge(500, "Code: 241. DB::Exception: Memory limit exceeded", 2).cls, ResponseClass::kRetry);
  EXPECT_EQ(f.Judge(500, "Code: 252. DB::Exception: Too many parts", 2).cls, ResponseClass::kRetry);
  EXPECT_EQ(f.Judge(404, "Code: 60. DB::Exception: Table default.t does not exist", 2).cls, ResponseClass::kFatal);
  EXPECT_EQ(f.Judge(500, "Code: 60. DB::Exception: Table default.t does not exist", 2).cls, ResponseClass::kFatal);
  EXPECT_EQ(f.Judge(403, "Code: 516. DB::Exception: Authentication failed", 2).cls, ResponseClass::kFatal);
  EXPECT_EQ(f.Judge(503, "", 2).cls, ResponseClass::kRetry);
  EXPECT_EQ(f.Judge(200, "", 2).cls, ResponseClass::kAccepted);
}

TEST(MakeSinkFormat, BuildsEveryNamedFormat) {
  for (const char* name : {"featurebase", "ndjson", "json-array"}) {
    auto f = MakeSinkFormat(Cfg(name));
    ASSERT_TRUE(f.ok()) << name;
    EXPECT_EQ((*f)->Name(), name);
  }
  auto ch = MakeSinkFormat(Cfg("clickhouse", "t"));
  ASSERT_TRUE(ch.ok());
  EXPECT_EQ((*ch)->Name(), "clickhouse");
}

TEST(MakeSinkFormat, RejectsBadConfig) {
  EXPECT_EQ(MakeSinkFormat(Cfg("csv")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSinkFormat(Cfg("clickhouse")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeSinkFormat(Cfg("featurebase", "", {500}, {500})).status().code(), StatusCode::kInvalidArgument);
  auto passes = MakeSinkFormat(Cfg("featurebase", "", {409}));
  ASSERT_TRUE(passes.ok());
  EXPECT_EQ((*passes)->Judge(409, "", 1).cls, ResponseClass::kRetry);
}

}  // namespace
}  // namespace sluice::stages
