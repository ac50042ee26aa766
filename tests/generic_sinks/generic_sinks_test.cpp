// `sluice run --source file:PATH` into a recording HTTP server, once per generic sink format:
// the exact body bytes and headers that arrive (bearer auth from the environment, an extra
// --header, gzip) are compared with what each format promises.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/generic_sinks/recording_server.h"

namespace sluice::testing {
namespace {

constexpr char kToken[] = "tok-7f3a9c-generic";

constexpr char kSchema[] = R"json([
  {"name": "_id", "path": ["id"], "type": "id"},
  {"name": "city", "path": ["where", "city"]},
  {"name": "price", "path": ["price"], "type": "decimal(2)"}
])json";

// Whitespace, a nested object, escapes, UTF-8, a numeric string and an unmapped key on purpose.
const std::vector<std::string> kRecords = {
    R"({"id":1,"where":{"city":"Oslo"},"price":10})",
    "{\"id\": 2, \"where\": {\"city\": \"K\xc3\xb6ln \\\"x\\\"\"},  \"price\": 2.5}",
    R"({"id":3,"where":{"city":"Lima"},"price":"7.25","extra":[true,null]})",
};
const std::vector<std::string> kRaw = {
    R"({"id":1,"where":{"city":"Oslo"},"price":10})",
    "{\"id\":2,\"where\":{\"city\":\"K\xc3\xb6ln \\\"x\\\"\"},\"price\":2.5}",
    R"({"id":3,"where":{"city":"Lima"},"price":"7.25","extra":[true,null]})",
};
const std::vector<std::string> kMapped = {
    R"({"_id":1,"city":"Oslo","price":10.00})",
    "{\"_id\":2,\"city\":\"K\xc3\xb6ln \\\"x\\\"\",\"price\":2.50}",
    R"({"_id":3,"city":"Lima","price":7.25})",
};

class GenericSinks : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-generic-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/schema.json") << kSchema;
    std::ofstream records(dir_ + "/records.ndjson", std::ios::binary);
    for (const std::string& r : kRecords) records << r << '\n';
    auto server = RecordingServer::Start();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  /// Runs sluice with bearer auth and X-Test, expects success and exactly one request.
  ReceivedRequest RunOne(const std::string& format, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {BinPath("sluice"), "run", "--source", "file:" + dir_ + "/records.ndjson",
                                     "--schema", dir_ + "/schema.json", "--sink-url", server_->Url("/ingest"),
                                     "--sink-format", format, "--auth", "bearer", "--header", "X-Test: 1", "--quiet"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessResult r = RunProgram(argv, {std::string("SLUICE_BEARER_TOKEN=") + kToken}, 60000);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find(kToken), std::string::npos) << "the token leaked into stderr";
    EXPECT_EQ(r.out.find(kToken), std::string::npos) << "the token leaked into stdout";
    std::vector<ReceivedRequest> requests = server_->Requests();
    EXPECT_EQ(requests.size(), 1u) << r.err;
    if (requests.empty()) return {};
    const ReceivedRequest& q = requests.front();
    EXPECT_EQ(q.method, "POST");
    EXPECT_EQ(q.path, "/ingest");
    EXPECT_EQ(q.query, "");
    EXPECT_EQ(q.Header("authorization"), std::string("Bearer ") + kToken);
    EXPECT_EQ(q.Header("x-test"), "1");
    return q;
  }

  static std::string Joined(const std::vector<std::string>& values, const std::string& before,
                            const std::string& after, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) out += (i ? separator : "") + before + values[i] + after;
    return out;
  }

  std::string dir_;
  std::unique_ptr<RecordingServer> server_;
};

TEST_F(GenericSinks, NdjsonSendsMappedRowsOnePerLine) {
  ReceivedRequest q = RunOne("ndjson");
  EXPECT_EQ(q.body, Joined(kMapped, "", "\n", ""));
  EXPECT_EQ(q.Header("content-type"), "application/x-ndjson");
  EXPECT_EQ(q.Header("content-encoding"), "");
  EXPECT_EQ(q.Header("content-length"), std::to_string(q.body.size()));
}

TEST_F(GenericSinks, NdjsonRawSendsTheMinifiedOriginals) {
  ReceivedRequest q = RunOne("ndjson", {"--payload", "raw"});
  EXPECT_EQ(q.body, Joined(kRaw, "", "\n", ""));
}

TEST_F(GenericSinks, JsonArraySendsOneArrayOfMappedRows) {
  ReceivedRequest q = RunOne("json-array");
  EXPECT_EQ(q.body, "[" + Joined(kMapped, "", "", ",") + "]");
  EXPECT_EQ(q.Header("content-type"), "application/json");
}

TEST_F(GenericSinks, FeatureBaseRawWrapsEachOriginalAsValue) {
  ReceivedRequest q = RunOne("featurebase", {"--payload", "raw"});
  EXPECT_EQ(q.body, "{\"records\":[" + Joined(kRaw, "{\"value\":", "}", ",") + "]}");
  EXPECT_EQ(q.Header("content-type"), "application/json");
}

TEST_F(GenericSinks, FeatureBaseDefaultsToRaw) {
  ReceivedRequest q = RunOne("featurebase");
  EXPECT_EQ(q.body, "{\"records\":[" + Joined(kRaw, "{\"value\":", "}", ",") + "]}");
}

TEST_F(GenericSinks, FeatureBaseMappedWrapsEachRowAsValue) {
  ReceivedRequest q = RunOne("featurebase", {"--payload", "mapped"});
  EXPECT_EQ(q.body, "{\"records\":[" + Joined(kMapped, "{\"value\":", "}", ",") + "]}");
}

TEST_F(GenericSinks, GzipBodiesInflateToTheSameBytes) {
  for (const std::string format : {"ndjson", "json-array", "featurebase"}) {
    SCOPED_TRACE(format);
    server_ = std::move(RecordingServer::Start().value());
    ReceivedRequest q = RunOne(format, {"--compress", "gzip", "--payload", "mapped"});
    EXPECT_EQ(q.Header("content-encoding"), "gzip");
    ASSERT_TRUE(q.inflate_ok) << "not a complete gzip stream (" << q.body.size() << " bytes)";
    EXPECT_NE(q.body, q.inflated_body);
    std::string expected;
    if (format == "ndjson") expected = Joined(kMapped, "", "\n", "");
    if (format == "json-array") expected = "[" + Joined(kMapped, "", "", ",") + "]";
    if (format == "featurebase") expected = "{\"records\":[" + Joined(kMapped, "{\"value\":", "}", ",") + "]}";
    EXPECT_EQ(q.inflated_body, expected);
  }
}

TEST_F(GenericSinks, MissingBearerTokenIsAConfigurationError) {
  ProcessResult r = RunProgram({BinPath("sluice"), "run", "--source", "file:" + dir_ + "/records.ndjson", "--schema",
                                dir_ + "/schema.json", "--sink-url", server_->Url("/ingest"), "--sink-format",
                                "ndjson", "--auth", "bearer", "--quiet"},
                               {"SLUICE_BEARER_TOKEN="}, 30000);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("SLUICE_BEARER_TOKEN"), std::string::npos) << r.err;
  EXPECT_TRUE(server_->Requests().empty());
}

}  // namespace
}  // namespace sluice::testing
