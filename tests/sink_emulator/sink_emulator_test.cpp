// Integration tests for bin/sluice-sink-emulator: each test starts the real binary as a child
// process on a free loopback port and talks HTTP to it with libcurl.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/emulator_process.h"

namespace {

using sluice::testing::EmulatorProcess;
using sluice::testing::HttpCall;
using sluice::testing::HttpResult;

constexpr char kTable[] = R"([
  {"name": "_id", "type": "id"},
  {"name": "airline", "type": "string"},
  {"name": "price", "type": "decimal", "scale": 2},
  {"name": "stops", "type": "int"},
  {"name": "origin_city", "type": "string"},
  {"name": "tags", "type": "stringset"}
])";

constexpr char kSchema[] = R"([
  {"name": "_id", "path": ["flight_id"]},
  {"name": "airline", "path": ["airline"]},
  {"name": "price", "path": ["price"]},
  {"name": "stops", "path": ["stops"]},
  {"name": "origin_city", "path": ["origin", "city"], "type": "string"}
])";

/// Writes the table and schema into a private temp dir once per test binary.
struct Fixtures {
  std::string dir, table, schema;
  Fixtures() {
    char tmpl[] = "/tmp/sink_emulator_test_XXXXXX";
    dir = mkdtemp(tmpl);
    table = dir + "/table.json";
    schema = dir + "/schema.json";
    std::ofstream(table) << kTable;
    std::ofstream(schema) << kSchema;
  }
};

const Fixtures& Files() {
  static const Fixtures f;
  return f;
}

std::vector<std::string> BaseArgs() {
  return {"--port", "0", "--table", Files().table, "--schema", Files().schema, "--seed", "7"};
}

std::vector<std::string> With(std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

/// Parses a JSON answer; fails the test on invalid JSON.
simdjson::dom::element Json(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element e;
  EXPECT_EQ(parser.parse(text).get(e), simdjson::SUCCESS) << text;
  return e;
}

std::string Str(simdjson::dom::element e, const char* key) {
  std::string_view s;
  if (e[key].get_string().get(s)) return "<missing " + std::string(key) + ">";
  return std::string(s);
}

int64_t Int(simdjson::dom::element e, const char* key) {
  int64_t v = -1;
  if (e[key].get_int64().get(v)) return -1;
  return v;
}

std::string Records(const std::vector<std::string>& values) {
  std::string body = "{\"records\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) body += ",";
    body += "{\"value\":" + values[i] + "}";
  }
  return body + "]}";
}

std::string Login(const EmulatorProcess& emu, const std::string& user, const std::string& password) {
  HttpResult r = HttpCall("POST", emu.Url("/auth"),
                          "{\"USERNAME\":\"" + user + "\",\"PASSWORD\":\"" + password + "\"}");
  if (r.status != 200) return {};
  simdjson::dom::parser p;
  simdjson::dom::element e = Json(p, r.body);
  std::string_view token;
  if (e["AuthenticationResult"]["IdToken"].get_string().get(token)) return {};
  return std::string(token);
}

TEST(SinkEmulator, PrintsListeningLineFirst) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok()) << emu.first_line();
  EXPECT_EQ(emu.first_line(), "listening on 127.0.0.1:" + std::to_string(emu.port()));
}

TEST(SinkEmulator, AuthIssuesTokensForValidCredentials) {
  EmulatorProcess emu(BaseArgs(), {"SLUICE_EMULATOR_USERS=alice:s3cret,bob:pw"});
  ASSERT_TRUE(emu.ok());
  HttpResult r = HttpCall("POST", emu.Url("/auth"), R"({"USERNAME":"bob","PASSWORD":"pw"})");
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser p;
  simdjson::dom::element e = Json(p, r.body);
  simdjson::dom::element ar = e["AuthenticationResult"];
  EXPECT_FALSE(Str(ar, "IdToken").empty());
  EXPECT_FALSE(Str(ar, "AccessToken").empty());
  EXPECT_FALSE(Str(ar, "RefreshToken").empty());
  EXPECT_NE(Str(ar, "IdToken"), Str(ar, "AccessToken"));
  EXPECT_EQ(Int(ar, "ExpiresIn"), 3600);
}

TEST(SinkEmulator, AuthRejectsWrongPassword) {
  EmulatorProcess emu(With(BaseArgs(), {"--user", "alice:s3cret"}));
  ASSERT_TRUE(emu.ok());
  HttpResult r = HttpCall("POST", emu.Url("/auth"), R"({"USERNAME":"alice","PASSWORD":"nope"})");
  EXPECT_EQ(r.status, 401);
  simdjson::dom::parser p;
  simdjson::dom::element e = Json(p, r.body);
  EXPECT_EQ(Str(e, "code"), "NotAuthorizedException");
  EXPECT_EQ(Str(e, "message"), "Incorrect username or password.");
  HttpResult unknown = HttpCall("POST", emu.Url("/auth"), R"({"USERNAME":"mallory","PASSWORD":"s3cret"})");
  EXPECT_EQ(unknown.status, 401);
}

TEST(SinkEmulator, IngestRequiresBearerToken) {
  EmulatorProcess emu(BaseArgs(), {"SLUICE_EMULATOR_USERS=alice:s3cret"});
  ASSERT_TRUE(emu.ok());
  const std::string body = Records({R"({"flight_id":1})"});
  HttpResult none = HttpCall("POST", emu.Url("/v2/sinks/s"), body);
  EXPECT_EQ(none.status, 401);
  simdjson::dom::parser p;
  EXPECT_EQ(Str(Json(p, none.body), "code"), "Unauthorized");
  HttpResult bad = HttpCall("POST", emu.Url("/v2/sinks/s"), body, {"Authorization: Bearer forged"});
  EXPECT_EQ(bad.status, 401);
  const std::string token = Login(emu, "alice", "s3cret");
  ASSERT_FALSE(token.empty());
  HttpResult good = HttpCall("POST", emu.Url("/v2/sinks/s"), body, {"Authorization: Bearer " + token});
  EXPECT_EQ(good.status, 200) << good.body;
}

TEST(SinkEmulator, AcceptsApiKeyHeader) {
  EmulatorProcess emu(BaseArgs(), {"SLUICE_EMULATOR_API_KEY=k-123", "SLUICE_EMULATOR_USERS=alice:s3cret"});
  ASSERT_TRUE(emu.ok());
  const std::string body = Records({R"({"flight_id":1})"});
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body, {"X-API-Key: k-123"}).status, 200);
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body, {"X-API-Key: wrong"}).status, 401);
}

TEST(SinkEmulator, ExpiredTokenIsRejected) {
  EmulatorProcess emu(With(BaseArgs(), {"--token-ttl-s", "1"}), {"SLUICE_EMULATOR_USERS=alice:s3cret"});
  ASSERT_TRUE(emu.ok());
  const std::string token = Login(emu, "alice", "s3cret");
  ASSERT_FALSE(token.empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // longer than the 1 s lifetime
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"), Records({R"({"flight_id":1})"}),
                          {"Authorization: Bearer " + token});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST(SinkEmulator, ListsPerRecordErrorsByIndex) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok());
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"),
                          Records({R"({"flight_id":1,"price":10.5})",
                                   R"({"flight_id":2,"price":1.234})",
                                   R"({"airline":"no id"})",
                                   R"({"flight_id":-4})",
                                   R"({"flight_id":5,"stops":"two"})",
                                   R"({"flight_id":6,"airline":"ok","price":"3.10"})"}));
  ASSERT_EQ(r.status, 200) << r.body;
  simdjson::dom::parser p;
  simdjson::dom::element e = Json(p, r.body);
  EXPECT_EQ(Int(e, "records_received"), 6);
  EXPECT_EQ(Int(e, "records_stored"), 2);
  simdjson::dom::array errors;
  ASSERT_EQ(e["errors"].get_array().get(errors), simdjson::SUCCESS);
  ASSERT_EQ(errors.size(), 4u);
  std::vector<int64_t> indexes;
  for (simdjson::dom::element err : errors) indexes.push_back(Int(err, "index"));
  EXPECT_EQ(indexes, (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(Int(errors.at(0).value(), "id"), 2);
  EXPECT_NE(Str(errors.at(0).value(), "message").find("more than 2 fractional digits"), std::string::npos);
  EXPECT_TRUE(errors.at(1).value()["id"].is_null());
  EXPECT_EQ(Str(errors.at(1).value(), "message"), "missing _id");
  EXPECT_NE(Str(errors.at(3).value(), "message").find("stops"), std::string::npos);
}

TEST(SinkEmulator, MalformedBodyIsInvalidRequest) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok());
  simdjson::dom::parser p;
  for (const std::string body : {"{\"records\":[{\"value\":{\"flight_id\":1}}", "[1,2]", "{\"rows\":[]}", ""}) {
    HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"), body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(Str(Json(p, r.body), "code"), "InvalidRequest") << body;
  }
  HttpResult stats = HttpCall("GET", emu.Url("/v2/sinks/s/stats"));
  EXPECT_EQ(Int(Json(p, stats.body), "distinct_ids"), 0);
}

TEST(SinkEmulator, UpsertKeepsLatestAndCountsDuplicates) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok());
  ASSERT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"),
                     Records({R"({"flight_id":1,"airline":"A"})", R"({"flight_id":2,"airline":"B"})",
                              R"({"flight_id":1,"airline":"C"})"})).status, 200);
  ASSERT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), Records({R"({"flight_id":2,"airline":"D"})"})).status, 200);
  simdjson::dom::parser p;
  simdjson::dom::element s = Json(p, HttpCall("GET", emu.Url("/v2/sinks/s/stats")).body);
  EXPECT_EQ(Int(s, "requests"), 2);
  EXPECT_EQ(Int(s, "records_received"), 4);
  EXPECT_EQ(Int(s, "records_stored"), 4);
  EXPECT_EQ(Int(s, "distinct_ids"), 2);
  EXPECT_EQ(Int(s, "duplicates"), 2);
  EXPECT_EQ(Int(s, "rejected"), 0);
  EXPECT_GT(Int(s, "bytes_received"), 0);
  const std::string rows = HttpCall("GET", emu.Url("/v2/sinks/s/rows")).body;
  EXPECT_NE(rows.find("\"_id\":1,\"airline\":\"C\""), std::string::npos) << rows;
  EXPECT_NE(rows.find("\"_id\":2,\"airline\":\"D\""), std::string::npos) << rows;
  // Another sink id has its own rows; DELETE clears one sink.
  EXPECT_EQ(HttpCall("GET", emu.Url("/v2/sinks/other/rows")).body, "");
  EXPECT_EQ(HttpCall("DELETE", emu.Url("/v2/sinks/s")).status, 200);
  EXPECT_EQ(Int(Json(p, HttpCall("GET", emu.Url("/v2/sinks/s/stats")).body), "distinct_ids"), 0);
}

TEST(SinkEmulator, RowsAreNormalizedInColumnOrderSortedById) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok());
  HttpResult r = HttpCall(
      "POST", emu.Url("/v2/sinks/rows"),
      Records({R"({"flight_id":10,"airline":"Delta \"D\"","price":641,"stops":0,"origin":{"city":"Boston"}})",
               R"({"flight_id":9,"airline":7,"price":"12.5","tags":["b","a","b"]})",
               // flattened ("mapped") record: column names as top-level keys
               R"({"_id":"100","airline":"Flat","price":1e1,"origin_city":"Paris","tags":"x"})"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HttpCall("GET", emu.Url("/v2/sinks/rows/rows")).body,
            "{\"_id\":9,\"airline\":\"7\",\"price\":12.50,\"stops\":null,\"origin_city\":null,\"tags\":[\"a\",\"b\"]}\n"
            "{\"_id\":10,\"airline\":\"Delta \\\"D\\\"\",\"price\":641.00,\"stops\":0,\"origin_city\":\"Boston\",\"tags\":null}\n"
            "{\"_id\":100,\"airline\":\"Flat\",\"price\":10.00,\"stops\":null,\"origin_city\":\"Paris\",\"tags\":[\"x\"]}\n");
}

TEST(SinkEmulator, OversizedBodyGets413) {
  EmulatorProcess emu(With(BaseArgs(), {"--max-body-bytes", "1000"}));
  ASSERT_TRUE(emu.ok());
  std::vector<std::string> values(100, R"({"flight_id":1,"airline":"AAAAAAAAAA"})");
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"), Records(values));
  EXPECT_EQ(r.status, 413);
  simdjson::dom::parser p;
  EXPECT_EQ(Str(Json(p, r.body), "code"), "PayloadTooLarge");
  // A small body on a fresh connection still works.
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), Records({R"({"flight_id":1})"})).status, 200);
}

TEST(SinkEmulator, ThrottlesWithResourceThroughputExceeded) {
  EmulatorProcess emu(With(BaseArgs(), {"--limit-records-per-s", "1", "--limit-burst-records", "10"}));
  ASSERT_TRUE(emu.ok());
  std::vector<std::string> ten;
  for (int i = 0; i < 10; ++i) ten.push_back("{\"flight_id\":" + std::to_string(i) + "}");
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), Records(ten)).status, 200);
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"), Records(ten));
  EXPECT_EQ(r.status, 400);
  simdjson::dom::parser p;
  EXPECT_EQ(Str(Json(p, r.body), "code"), "ResourceThroughputExceeded");
  // Limits are per endpoint: another sink id has its own bucket.
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/t"), Records(ten)).status, 200);
  EXPECT_EQ(Int(Json(p, HttpCall("GET", emu.Url("/v2/sinks/s/stats")).body), "records_received"), 10);
}

TEST(SinkEmulator, FaultInjectionSwitchesAtRuntime) {
  EmulatorProcess emu(BaseArgs());
  ASSERT_TRUE(emu.ok());
  const std::string body = Records({R"({"flight_id":1})"});
  ASSERT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"error_500_rate":1.0})").status, 200);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body).status, 500);
  simdjson::dom::parser p;
  simdjson::dom::element f = Json(p, HttpCall("GET", emu.Url("/admin/faults")).body);
  double rate = 0;
  ASSERT_EQ(f["error_500_rate"].get_double().get(rate), simdjson::SUCCESS);
  EXPECT_EQ(rate, 1.0);
  ASSERT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"error_500_rate":0})").status, 200);
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body).status, 200);
  EXPECT_EQ(Int(Json(p, HttpCall("GET", emu.Url("/v2/sinks/s/stats")).body), "requests"), 1);

  ASSERT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"error_429_rate":1,"retry_after_s":3})").status, 200);
  HttpResult r429 = HttpCall("POST", emu.Url("/v2/sinks/s"), body);
  EXPECT_EQ(r429.status, 429);
  EXPECT_EQ(r429.headers["retry-after"], "3");
  ASSERT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"error_429_rate":0,"drop_connection_rate":1})").status, 200);
  HttpResult dropped = HttpCall("POST", emu.Url("/v2/sinks/s"), body);
  EXPECT_EQ(dropped.status, 0);
  EXPECT_NE(dropped.curl_code, CURLE_OK);
  ASSERT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"drop_connection_rate":0})").status, 200);

  EXPECT_EQ(HttpCall("POST", emu.Url("/admin/stop")).status, 200);
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body).status, 503);
  EXPECT_EQ(HttpCall("POST", emu.Url("/admin/start")).status, 200);
  EXPECT_EQ(HttpCall("POST", emu.Url("/v2/sinks/s"), body).status, 200);

  EXPECT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"error_500_rate":2})").status, 400);
  EXPECT_EQ(HttpCall("POST", emu.Url("/admin/faults"), R"({"no_such_fault":1})").status, 400);
}

TEST(SinkEmulator, RejectIdsFailOnlyThoseRecords) {
  EmulatorProcess emu(With(BaseArgs(), {"--fault-reject-id", "2"}));
  ASSERT_TRUE(emu.ok());
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"),
                          Records({R"({"flight_id":1})", R"({"flight_id":2})", R"({"flight_id":3})"}));
  ASSERT_EQ(r.status, 200);
  simdjson::dom::parser p;
  simdjson::dom::element e = Json(p, r.body);
  EXPECT_EQ(Int(e, "records_stored"), 2);
  simdjson::dom::array errors;
  ASSERT_EQ(e["errors"].get_array().get(errors), simdjson::SUCCESS);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(Int(errors.at(0).value(), "index"), 1);
  EXPECT_EQ(Str(errors.at(0).value(), "message"), "rejected by fault injection");
}

TEST(SinkEmulator, LatencyDelaysTheAnswerWithoutLosingIt) {
  EmulatorProcess emu(With(BaseArgs(), {"--fault-latency-ms", "300"}));
  ASSERT_TRUE(emu.ok());
  const auto start = std::chrono::steady_clock::now();
  HttpResult r = HttpCall("POST", emu.Url("/v2/sinks/s"), Records({R"({"flight_id":1})"}));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));  // a lower bound: cannot be flaky
}

TEST(SinkEmulator, ServesManyConcurrentKeepAliveConnections) {
  // Latency keeps every request in flight at once: with 2 MHD threads this only completes if
  // delayed connections are suspended rather than sleeping on a thread.
  EmulatorProcess emu(With(BaseArgs(), {"--fault-latency-ms", "200"}));
  ASSERT_TRUE(emu.ok());
  constexpr int kConnections = 80;
  CURLM* multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(kConnections));
  std::vector<CURL*> handles;
  std::vector<HttpResult> results(kConnections);
  std::vector<std::string> bodies;
  std::vector<curl_slist*> lists;
  for (int i = 0; i < kConnections; ++i) bodies.push_back(Records({"{\"flight_id\":" + std::to_string(i) + "}"}));
  for (int round = 0; round < 2; ++round) {  // the second round reuses the kept-alive connections
    for (int i = 0; i < kConnections; ++i) {
      results[i] = HttpResult();
      CURL* h = round == 0 ? curl_easy_init() : handles[i];
      if (round == 0) handles.push_back(h);
      lists.push_back(sluice::testing::SetUpCall(h, "POST", emu.Url("/v2/sinks/many"), &bodies[i], {}, &results[i]));
      curl_multi_add_handle(multi, h);
    }
    int running = 1;
    while (running > 0) {
      curl_multi_perform(multi, &running);
      if (running > 0) curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
    for (int i = 0; i < kConnections; ++i) {
      long status = 0;
      curl_easy_getinfo(handles[i], CURLINFO_RESPONSE_CODE, &status);
      EXPECT_EQ(status, 200) << "connection " << i << " round " << round;
      curl_multi_remove_handle(multi, handles[i]);
    }
  }
  long new_connections_round2 = 0;
  for (CURL* h : handles) {
    long n = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &n);
    new_connections_round2 += n;
    curl_easy_cleanup(h);
  }
  EXPECT_EQ(new_connections_round2, 0) << "keep-alive connections were not reused";
  for (curl_slist* l : lists) curl_slist_free_all(l);
  curl_multi_cleanup(multi);
  simdjson::dom::parser p;
  simdjson::dom::element s = Json(p, HttpCall("GET", emu.Url("/v2/sinks/many/stats")).body);
  EXPECT_EQ(Int(s, "requests"), 2 * kConnections);
  EXPECT_EQ(Int(s, "distinct_ids"), kConnections);
}

TEST(SinkEmulator, LoadsTheTutorialTableAndSchema) {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  EmulatorProcess emu({"--port", "0", "--table", std::string(src) + "/examples/flights/table.json", "--schema",
                       std::string(src) + "/examples/flights/schema.json"});
  ASSERT_TRUE(emu.ok()) << emu.first_line();
  HttpResult r = HttpCall(
      "POST", emu.Url("/v2/sinks/f"),
      Records({R"({"flight_id":42,"airline":"United","stops":"nonstop","price":641,"origin":{"airport":"JFK Intl","iata":"JFK","icao":"KJFK","city":"New York","state":"NY","country":"US"},"destination":{"airport":"LAX","iata":"LAX","icao":"KLAX","city":"Los Angeles","state":"CA","country":"US"}})"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(HttpCall("GET", emu.Url("/v2/sinks/f/rows")).body,
            "{\"_id\":42,\"airline\":\"United\",\"stops\":\"nonstop\",\"price\":641.00,\"origin_airport\":\"JFK Intl\","
            "\"origin_iata\":\"JFK\",\"origin_icao\":\"KJFK\",\"origin_loc_city\":\"New York\",\"origin_loc_state\":\"NY\","
            "\"origin_loc_country\":\"US\",\"destination_airport\":\"LAX\",\"destination_iata\":\"LAX\","
            "\"destination_icao\":\"KLAX\",\"destination_loc_city\":\"Los Angeles\",\"destination_loc_state\":\"CA\","
            "\"destination_loc_country\":\"US\"}\n");
}

}  // namespace
