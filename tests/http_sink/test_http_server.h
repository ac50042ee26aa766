// File: tests/http_sink/test_http_server.h
// TestHttpServer: an in-process HTTP/1.1 server (libmicrohttpd, one thread per connection, on
// 127.0.0.1) for sender tests. It records every request exactly (method, path, query args,
// headers, body, arrival time) and answers from a per-path script, a default, or a handler:
// status, body, headers, a delay before answering, or dropping the connection unanswered.
// Thread-safety: all methods may be called from the test thread while MHD threads serve.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

struct MHD_Daemon;

namespace sluice::testing {

struct RecordedRequest {
  std::string method;
  std::string path;                           ///< without the query string
  std::map<std::string, std::string> args;    ///< query arguments, decoded
  std::map<std::string, std::string> headers; ///< names lower-cased
  std::string body;                           ///< exact bytes received
  std::chrono::steady_clock::time_point arrived{};  ///< when the full body was in

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool HasHeader(const std::string& lower_name) const { return headers.count(lower_name) != 0; }
};

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  int delay_ms = 0;   ///< wait this long before answering (counts as "in flight")
  bool drop = false;  ///< close the connection without answering
};

class TestHttpServer {
 public:
  using Handler = std::function<ScriptedResponse(const RecordedRequest&)>;

  /// Listens on 127.0.0.1:`port` (0 = any free port).
  [[nodiscard]] static StatusOr<std::unique_ptr<TestHttpServer>> Start(uint16_t port = 0);
  ~TestHttpServer();
  /// Stops listening (idempotent); recorded requests stay readable.
  void Stop();

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path) const;

  /// Answers the next requests to `path` with `responses` in order, then the default.
  void Script(const std::string& path, std::vector<ScriptedResponse> responses);
  /// The answer when no script or handler applies (initially 200, empty body).
  void SetDefault(ScriptedResponse response);
  /// Decides every answer itself (scripts and default are ignored while set).
  void SetHandler(Handler handler);

  /// Requests received so far (to `path`, or all when empty), in arrival order.
  std::vector<RecordedRequest> Requests(const std::string& path = "") const;
  /// Highest number of requests being answered at the same time.
  int MaxConcurrent() const;

 private:
  TestHttpServer() = default;
  ScriptedResponse Answer(const RecordedRequest& request);
  friend struct TestHttpServerAccess;

  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  std::map<std::string, std::deque<ScriptedResponse>> scripts_;
  ScriptedResponse default_;
  Handler handler_;
  int concurrent_ = 0;
  int max_concurrent_ = 0;
};

}  // namespace sluice::testing
