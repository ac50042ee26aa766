// End-to-end TLS tests: a throwaway CA and a server certificate for 127.0.0.1/localhost are
// made with the openssl CLI, sluice-sink-emulator serves HTTPS with them (--tls-cert/--tls-key),
// and the real `sluice run` delivers an NDJSON file to it. Verification must refuse the
// unknown CA (and store nothing), accept it through --ca-file, and be skippable with
// --insecure, which has to say so on stderr. Auth (POST /auth) goes over the same TLS port, so
// the token fetch is covered too. Secrets reach sluice only through its environment.
#include <gtest/gtest.h>
#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/emulator_process.h"
#include "tests/testing/subprocess.h"

namespace {

using sluice::testing::EmulatorProcess;
using sluice::testing::HttpResult;
using sluice::testing::ProcessOptions;
using sluice::testing::ProcessResult;
using sluice::testing::RunProcess;

constexpr int kRecords = 40;
constexpr const char* kUser = "tls-user";
constexpr const char* kPassword = "tls-secret-pw";

std::string BinDir() {
  const char* d = std::getenv("SLUICE_BIN_DIR");
  return d != nullptr ? d : ".";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// Runs the openssl CLI; returns "" or a description of the failure.
std::string OpenSsl(const std::string& dir, std::vector<std::string> args) {
  ProcessOptions o;
  o.argv = {"/usr/bin/openssl"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  for (std::string& a : o.argv) {
    if (a.rfind("@", 0) == 0) a = dir + "/" + a.substr(1);  // "@name" = file in the temp dir
  }
  ProcessResult r = RunProcess(o, 60000);
  if (r.exit_code == 0) return "";
  return "openssl " + args.at(0) + " failed (" + std::to_string(r.exit_code) + "): " + r.err;
}

/// GET over HTTPS, trusting only `ca_file`.
HttpResult HttpsGet(const std::string& url, const std::string& ca_file) {
  HttpResult r;
  CURL* h = curl_easy_init();
  curl_slist* list = sluice::testing::SetUpCall(h, "GET", url, nullptr, {}, &r);
  curl_easy_setopt(h, CURLOPT_CAINFO, ca_file.c_str());
  r.curl_code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

class TlsSink : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/sluice-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new std::string(tmpl);
    const std::string& d = *dir_;
    // EC P-256 keys: fast to generate, supported by both GnuTLS (server) and OpenSSL (curl).
    const std::vector<std::string> ec = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
    auto with_ec = [&](std::vector<std::string> head, std::vector<std::string> tail) {
      head.insert(head.end(), ec.begin(), ec.end());
      head.insert(head.end(), tail.begin(), tail.end());
      return head;
    };
    for (const char* ca : {"ca", "other-ca"}) {
      const std::string c = ca;
      ASSERT_EQ(OpenSsl(d, with_ec({"req", "-x509"}, {"-keyout", "@" + c + ".key", "-out", "@" + c + ".pem",
                                                     "-days", "2", "-subj", "/CN=sluice throwaway " + c,
                                                     "-addext", "basicConstraints=critical,CA:TRUE",
                                                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"})),
                "");
    }
    ASSERT_EQ(OpenSsl(d, with_ec({"req"}, {"-keyout", "@server.key", "-out", "@server.csr", "-subj",
                                           "/CN=localhost"})),
              "");
    WriteFile(d + "/server.ext",
              "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
              "extendedKeyUsage=serverAuth\n");
    ASSERT_EQ(OpenSsl(d, {"x509", "-req", "-in", "@server.csr", "-CA", "@ca.pem", "-CAkey", "@ca.key",
                          "-CAcreateserial", "-out", "@server.pem", "-days", "2", "-extfile", "@server.ext"}),
              "");
    // Schema, table and records: small on purpose, the subject is the transport.
    WriteFile(d + "/schema.json",
              R"([{"name":"_id","path":["flight_id"],"type":"id"},{"name":"airline","path":["airline"]}])");
    WriteFile(d + "/table.json", R"([{"name":"_id","type":"id"},{"name":"airline","type":"string"}])");
    std::string ndjson;
    for (int i = 1; i <= kRecords; ++i) {
      ndjson += "{\"flight_id\":" + std::to_string(i) + ",\"airline\":\"AL" + std::to_string(i) + "\"}\n";
    }
    WriteFile(d + "/records.ndjson", ndjson);
  }

  static void TearDownTestSuite() {
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(dir_, nullptr);
    emulator_ = std::make_unique<EmulatorProcess>(
        std::vector<std::string>{"--port", "0", "--table", Path("table.json"), "--schema", Path("schema.json"),
                                 "--tls-cert", Path("server.pem"), "--tls-key", Path("server.key")},
        std::vector<std::string>{std::string("SLUICE_EMULATOR_USERS=") + kUser + ":" + kPassword});
    ASSERT_TRUE(emulator_->ok()) << "emulator did not start: " << emulator_->first_line();
  }

  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  std::string Base(const std::string& host = "127.0.0.1") const {
    return "https://" + host + ":" + std::to_string(emulator_->port());
  }

  /// `sluice run` from the NDJSON file into sink `sink` plus `extra` flags.
  ProcessResult RunSluice(const std::string& sink, const std::vector<std::string>& extra,
                          const std::string& host = "127.0.0.1") const {
    ProcessOptions o;
    o.argv = {BinDir() + "/sluice", "run", "--source", "file:" + Path("records.ndjson"), "--schema",
              Path("schema.json"), "--table", Path("table.json"), "--sink-url", Base(host) + "/v2/sinks/" + sink,
              "--auth", "featurebase", "--auth-url", Base(host) + "/auth", "--max-retries", "2",
              "--backoff-max-ms", "200", "-q"};
    o.argv.insert(o.argv.end(), extra.begin(), extra.end());
    o.env = {std::string("SLUICE_USERNAME=") + kUser, std::string("SLUICE_PASSWORD=") + kPassword};
    return RunProcess(o, 60000);
  }

  /// Rows stored for `sink`, read over HTTPS trusting the test CA.
  std::string Rows(const std::string& sink) const {
    HttpResult r = HttpsGet(Base() + "/v2/sinks/" + sink + "/rows", Path("ca.pem"));
    EXPECT_EQ(r.curl_code, CURLE_OK) << curl_easy_strerror(r.curl_code);
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  static size_t CountLines(const std::string& text) {
    size_t n = 0;
    for (char c : text) n += c == '\n' ? 1 : 0;
    return n;
  }

  static void ExpectNoSecret(const ProcessResult& r) {
    EXPECT_EQ(r.all().find(kPassword), std::string::npos) << "the password leaked into sluice's output";
  }

  static std::string* dir_;
  std::unique_ptr<EmulatorProcess> emulator_;
};

std::string* TlsSink::dir_ = nullptr;

TEST_F(TlsSink, EmulatorServesHttpsOnlyWithItsCertificate) {
  // Plain HTTP on the TLS port gets no HTTP answer; HTTPS with the CA does.
  HttpResult plain = sluice::testing::HttpCall("GET", emulator_->Url("/v2/sinks/x/rows"));
  EXPECT_NE(plain.status, 200);
  HttpResult other_ca = HttpsGet(Base() + "/v2/sinks/x/rows", Path("other-ca.pem"));
  EXPECT_EQ(other_ca.curl_code, CURLE_PEER_FAILED_VERIFICATION) << curl_easy_strerror(other_ca.curl_code);
  HttpResult good = HttpsGet(Base() + "/v2/sinks/x/rows", Path("ca.pem"));
  EXPECT_EQ(good.curl_code, CURLE_OK) << curl_easy_strerror(good.curl_code);
  EXPECT_EQ(good.status, 200);
}

TEST_F(TlsSink, UnknownCaFailsTheRunAndStoresNothing) {
  ProcessResult r = RunSluice("no-ca", {});
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << "stderr: " << r.err;
  ExpectNoSecret(r);
  EXPECT_EQ(Rows("no-ca"), "");
}

TEST_F(TlsSink, WrongCaFileFailsTheRun) {
  ProcessResult r = RunSluice("wrong-ca", {"--ca-file", Path("other-ca.pem")});
  ASSERT_FALSE(r.timed_out) << r.all();
  EXPECT_NE(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find("certificate"), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(Rows("wrong-ca"), "");
}

TEST_F(TlsSink, CaFileDeliversEveryRecord) {
  ProcessResult r = RunSluice("with-ca", {"--ca-file", Path("ca.pem")});
  ASSERT_FALSE(r.timed_out) << r.all();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  ExpectNoSecret(r);
  EXPECT_EQ(r.err.find("--insecure"), std::string::npos) << r.err;
  const std::string rows = Rows("with-ca");
  EXPECT_EQ(CountLines(rows), static_cast<size_t>(kRecords)) << rows;
  EXPECT_NE(rows.find("\"_id\":1,\"airline\":\"AL1\""), std::string::npos) << rows;
  EXPECT_NE(rows.find("\"_id\":40,\"airline\":\"AL40\""), std::string::npos) << rows;
}

TEST_F(TlsSink, CaFileAlsoVerifiesTheHostName) {
  // The certificate names 127.0.0.1 and localhost; "localhost" must verify as well.
  ProcessResult r = RunSluice("by-name", {"--ca-file", Path("ca.pem")}, "localhost");
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_EQ(CountLines(Rows("by-name")), static_cast<size_t>(kRecords));
}

TEST_F(TlsSink, InsecureDeliversAndWarns) {
  ProcessResult r = RunSluice("insecure", {"--insecure"});
  ASSERT_FALSE(r.timed_out) << r.all();
  ASSERT_EQ(r.exit_code, 0) << r.all();
  EXPECT_NE(r.err.find(" WARN  http_sink: --insecure"), std::string::npos) << "stderr: " << r.err;
  ExpectNoSecret(r);
  EXPECT_EQ(CountLines(Rows("insecure")), static_cast<size_t>(kRecords));
}

}  // namespace
