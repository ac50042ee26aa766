// File: tests/testing/clickhouse_server.cpp
#include "tests/testing/clickhouse_server.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "tests/testing/loopback_port.h"

namespace sluice::testing {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string Tail(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace

std::string ClickHouseServer::FindServerBinary() {
  for (const char* p : {"/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server", "/usr/bin/clickhouse"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "";
}

StatusOr<std::unique_ptr<ClickHouseServer>> ClickHouseServer::Start() {
  const std::string binary = FindServerBinary();
  if (binary.empty()) return NotFound("clickhouse-server not installed");
  auto server = std::unique_ptr<ClickHouseServer>(new ClickHouseServer());
  std::string tmpl = (std::filesystem::temp_directory_path() / "sluice-clickhouse-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return Internal("mkdtemp failed");
  server->dir_ = tmpl;
  std::mt19937_64 rng(std::random_device{}());
  server->password_ = "pw" + std::to_string(rng());
  server->http_port_ = UnusedLoopbackPort();
  const int tcp_port = UnusedLoopbackPort();
  const std::string& d = server->dir_;
  {
    std::ofstream config(d + "/config.xml");
    config << "<?xml version=\"1.0\"?>\n<yandex>\n"
           << "  <logger><level>warning</level><log>" << d << "/server.log</log><errorlog>" << d
           << "/server.err.log</errorlog><size>10M</size><count>1</count></logger>\n"
           << "  <http_port>" << server->http_port_ << "</http_port>\n"
           << "  <tcp_port>" << tcp_port << "</tcp_port>\n"
           << "  <listen_host>127.0.0.1</listen_host>\n"
           << "  <path>" << d << "/data/</path>\n"
           << "  <tmp_path>" << d << "/tmp/</tmp_path>\n"
           << "  <user_files_path>" << d << "/user_files/</user_files_path>\n"
           << "  <format_schema_path>" << d << "/format_schemas/</format_schema_path>\n"
           << "  <users_config>" << d << "/users.xml</users_config>\n"
           << "  <default_profile>default</default_profile>\n"
           << "  <default_database>default</default_database>\n"
           << "  <mark_cache_size>104857600</mark_cache_size>\n"
           << "  <uncompressed_cache_size>104857600</uncompressed_cache_size>\n"
           << "  <max_concurrent_queries>64</max_concurrent_queries>\n"
           << "</yandex>\n";
    std::ofstream users(d + "/users.xml");
    users << "<?xml version=\"1.0\"?>\n<yandex>\n"
          << "  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>\n"
          << "  <users><" << server->user_ << "><password>" << server->password_ << "</password>"
          << "<networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></"
          << server->user_ << "></users>\n"
          << "  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>"
          << "<result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>"
          << "</default></quotas>\n</yandex>\n";
    if (!config || !users) return Internal("cannot write the ClickHouse config in " + d);
  }

  std::vector<std::string> argv = {binary};
  if (binary.size() >= 11 && binary.substr(binary.size() - 11) == "/clickhouse") argv.push_back("server");
  argv.push_back("--config-file=" + d + "/config.xml");
  ProcessOptions options;
  options.argv = argv;
  std::string error;
  server->process_ = Subprocess::Start(options, &error);
  if (!server->process_) return Internal("cannot start " + binary + ": " + error);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!server->process_->Running()) {
      const ProcessResult exited = server->process_->Wait(0);
      server->process_.reset();
      std::string console = exited.all();
      if (console.size() > 1000) console = console.substr(console.size() - 1000);
      return Internal("clickhouse-server exited during startup: " + console + Tail(d + "/server.err.log", 2000));
    }
    std::string body;
    CURL* curl = curl_easy_init();
    const std::string ping = server->Url() + "ping";
    curl_easy_setopt(curl, CURLOPT_URL, ping.c_str());
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 1000L);
    const CURLcode res = curl_easy_perform(curl);
    curl_easy_cleanup(curl);
    if (res == CURLE_OK && body.rfind("Ok.", 0) == 0) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status(StatusCode::kDeadlineExceeded, "clickhouse-server did not answer /ping within 60 s: " +
                                                   Tail(d + "/server.err.log", 2000));
}

ClickHouseServer::~ClickHouseServer() {
  if (process_) {
    process_->Signal(SIGTERM);
    process_->Wait(20000);  // SIGKILL after 20 s
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string ClickHouseServer::Url() const { return "http://127.0.0.1:" + std::to_string(http_port_) + "/"; }

StatusOr<std::string> ClickHouseServer::Query(const std::string& sql) const {
  std::string body;
  CURL* curl = curl_easy_init();
  // 64-bit integers as JSON numbers, so rows compare with the source without string juggling.
  const std::string url = Url() + "?output_format_json_quote_64bit_integers=0";
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(sql.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl, CURLOPT_USERNAME, user_.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, password_.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 60000L);
  const CURLcode res = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);
  if (res != CURLE_OK) return Unavailable(std::string("ClickHouse query: ") + curl_easy_strerror(res));
  if (status != 200) return InvalidArgument("ClickHouse HTTP " + std::to_string(status) + ": " + body);
  return body;
}

StatusOr<uint64_t> ClickHouseServer::QueryNumber(const std::string& sql) const {
  StatusOr<std::string> body = Query(sql);
  if (!body.ok()) return body.status();
  char* end = nullptr;
  const unsigned long long v = std::strtoull(body->c_str(), &end, 10);
  if (end == body->c_str()) return InvalidArgument("not a number: " + *body);
  return static_cast<uint64_t>(v);
}

}  // namespace sluice::testing
