// File: stages/http_sink/plain_http_client.h
// PlainHttpClient: HTTP/1.1 POSTs over plain TCP (http:// URLs) for HttpSender's data requests.
// libcurl 7.88 copies every request body into its upload buffer and sends head and body in
// separate calls; against a local nginx that cost ~3x the CPU per 200 KB request that wrk
// needs (bench/wrk). This client sends head and body with one sendmsg straight from the
// batch's buffer, keeps connections alive per endpoint, and parses answers with http-parser
// (Debian's libhttp-parser). TLS, HTTP/2, proxies and basic auth stay with libcurl.
//
// It never waits: each socket is registered once, edge-triggered, in the caller's epoll set
// (epoll_event.data.fd = the socket). The caller routes events for sockets it Owns() to
// OnSocketEvent(), calls OnTimeouts() once NextDeadline() has passed, and collects finished
// requests with TakeFinished() (a request never finishes inside Start()).
// Host names are resolved (getaddrinfo, blocking) on a connection's first connect and cached;
// a failed connect drops the cache. Meant for sinks on IP addresses or local names.
// Thread-safety: none; the loop thread owns it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "stages/http_sink/answer_budget.h"

namespace sluice::stages {

/// The parts of an http:// URL a request needs.
struct PlainHttpUrl {
  std::string host;         ///< name or address, without IPv6 brackets
  uint16_t port = 80;
  std::string target;       ///< path and query, "/" if the URL has none
  std::string host_header;  ///< "host[:port]" as the Host header carries it
};

/// Parses "http://host[:port][/path][?query]". InvalidArgument for any other scheme, for
/// user info ("user:pass@"; libcurl handles that) and for a bad port.
[[nodiscard]] StatusOr<PlainHttpUrl> ParsePlainHttpUrl(std::string_view url);

/// One request. Everything it points at must stay valid until it is finished.
struct PlainHttpRequest {
  void* tag = nullptr;             ///< handed back in PlainHttpFinished
  size_t endpoint = 0;             ///< index into the client's URLs
  std::string_view header_fields;  ///< "Name: value\r\n" lines (no Host, no Content-Length)
  std::string_view body;
  std::string* response = nullptr;  ///< the answer's body is appended (up to the cap)
  long* retry_after_s = nullptr;    ///< set when the answer has "Retry-After: <seconds>"
  std::string* location = nullptr;  ///< set to the answer's Location header, if any
  /// This answer's cap; 0 = the client's max_response_bytes. A longer answer is aborted and
  /// finishes as kAnswerIncomplete.
  size_t max_response_bytes = 0;
  /// Optional: total answer bytes held by all requests. Each chunk kept is counted in it and in
  /// *answer_held (both must be set, and *answer_held released by the caller when done); an
  /// answer the budget refuses is aborted and finishes as kAnswerOverBudget.
  AnswerBudget* answer_budget = nullptr;
  size_t* answer_held = nullptr;
};

/// Why a request got no HTTP answer.
enum class PlainHttpFailure {
  kNone,      ///< answered: see status
  kConnect,   ///< could not resolve or connect
  kNetwork,   ///< reset or closed mid-request
  kTimeout,   ///< request_timeout_ms (or connect_timeout_ms) passed
  kProtocol,  ///< the answer was not HTTP/1.x
  kAnswerIncomplete,  ///< the answer's head arrived (see status) but its body did not arrive
                      ///< whole: the connection ended early, or it passed its cap
  kAnswerOverBudget,  ///< aborted: keeping more of it would pass the answer budget's total
};

struct PlainHttpFinished {
  void* tag = nullptr;
  PlainHttpFailure failure = PlainHttpFailure::kNone;
  long status = 0;    ///< HTTP status when failure is kNone, kAnswerIncomplete or kAnswerOverBudget
  std::string error;  ///< what went wrong otherwise (no secrets: only addresses and errno text)
};

struct PlainHttpClientOptions {
  /// The caller's epoll set. Required.
  int epoll_fd = -1;
  /// Connect timeout per attempt. Default 5000.
  int connect_timeout_ms = 5000;
  /// Whole-request timeout, from Start() to the last byte of the answer. Default 30000.
  int request_timeout_ms = 30000;
  /// Cap of an answer's body when the request gives none; a longer answer is aborted
  /// (kAnswerIncomplete), never kept in part as if whole. Default 1 MiB.
  size_t max_response_bytes = 1u << 20;
};

class PlainHttpClient {
 public:
  using Clock = std::chrono::steady_clock;

  /// Parses every URL (InvalidArgument naming the bad one). No I/O yet.
  [[nodiscard]] static StatusOr<std::unique_ptr<PlainHttpClient>> Create(const PlainHttpClientOptions& options,
                                                                         const std::vector<std::string>& urls);
  ~PlainHttpClient();  ///< Closes every socket; unfinished requests are dropped unreported.
  PlainHttpClient(const PlainHttpClient&) = delete;
  PlainHttpClient& operator=(const PlainHttpClient&) = delete;

  /// Sends on an idle keep-alive connection to the endpoint, or opens a new one. A reused
  /// connection the server had already closed is replaced once, transparently.
  void Start(const PlainHttpRequest& request, Clock::time_point now);
  /// Whether `fd` is one of this client's sockets.
  [[nodiscard]] bool Owns(int fd) const;
  /// An epoll event for a socket this client Owns().
  void OnSocketEvent(int fd, uint32_t events, Clock::time_point now);
  /// Earliest deadline of a request in progress; max() if none.
  [[nodiscard]] Clock::time_point NextDeadline() const;
  /// Fails the requests whose deadline has passed.
  void OnTimeouts(Clock::time_point now);
  /// Requests finished since the last call (moved out; the vector is reused).
  [[nodiscard]] bool HasFinished() const { return !finished_.empty(); }
  void TakeFinished(std::vector<PlainHttpFinished>& out);
  /// Open sockets (busy and idle), for tests and stats.
  [[nodiscard]] size_t OpenConnections() const;

  struct Connection;  // socket, parser and request state (plain_http_client.cpp)
  struct Endpoint;

 private:
  PlainHttpClient() = default;
  Connection* Begin(const PlainHttpRequest& request, Clock::time_point now, bool reuse);
  void Connect(Connection* c, Clock::time_point now);
  void TrySend(Connection* c);
  void TryReceive(Connection* c);
  void Fail(Connection* c, PlainHttpFailure failure, std::string error);
  void FailAnswer(Connection* c, std::string error);
  void Complete(Connection* c);
  void Close(Connection* c);
  void Release(Connection* c);
  bool ReplayOnFreshConnection(Connection* c);
  bool ReadAnswerAfterSendError(Connection* c);

  PlainHttpClientOptions options_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<Connection*> by_fd_;                      // fd -> its connection (owned below)
  std::vector<std::unique_ptr<Connection>> connections_;  // every open or reusable connection
  std::vector<Connection*> busy_;                       // carrying a request (deadlines)
  std::vector<PlainHttpFinished> finished_;
  std::string read_buffer_;
};

}  // namespace sluice::stages
