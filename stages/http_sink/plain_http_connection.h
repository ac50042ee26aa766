// File: stages/http_sink/plain_http_connection.h
// PlainHttpClient's per-endpoint state (Endpoint) and per-socket state (Connection: the socket,
// the request it carries, http-parser's state and what the parser callbacks gather from the
// answer). Private to the http_sink stage: only plain_http_client.cpp (connecting, sending,
// events, timeouts, closing) and plain_http_answer.cpp (reading and parsing the answer) include
// it; users of the client see only plain_http_client.h.
// Thread-safety: none; the loop thread owns every connection (plain_http_client.h).
#pragma once

#include <http_parser.h>

#include <cctype>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include "stages/http_sink/answer_budget.h"
#include "stages/http_sink/plain_http_client.h"

namespace sluice::stages {
namespace plain_http_internal {

// Used by both files: the URL parser and the header callbacks; connect, send and read errors.
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

inline std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message (maybe not in buf).
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace plain_http_internal

struct PlainHttpClient::Endpoint {
  PlainHttpUrl url;
  std::string request_line;                 // "POST <target> HTTP/1.1\r\nHost: <host>\r\n"
  std::vector<sockaddr_storage> addresses;  // resolved on first need; IPv4 first
  std::vector<socklen_t> address_lengths;
  std::vector<Connection*> idle;  // keep-alive connections without a request
};

struct PlainHttpClient::Connection {
  enum class State { kConnecting, kSending, kReceiving, kIdle };

  PlainHttpClient* client = nullptr;
  int fd = -1;
  size_t endpoint = 0;
  State state = State::kConnecting;
  size_t address = 0;     // which of the endpoint's addresses this connect tries
  bool reused = false;    // carried an earlier request (may be stale)
  bool replayed = false;  // this request already moved once off a stale connection
  bool answer_started = false;
  bool answer_complete = false;
  bool keep_alive = false;
  bool has_request = false;
  PlainHttpRequest request;
  std::string head;  // request line, Host, fields, Content-Length, blank line
  size_t sent = 0;   // of head.size() + body.size()
  Clock::time_point deadline = Clock::time_point::max();
  Clock::time_point request_deadline = Clock::time_point::max();
  http_parser parser{};
  std::string header_field;  // current header name (callbacks may split it)
  bool field_is_retry_after = false;
  bool field_is_location = false;
  bool last_was_value = false;
  bool headers_done = false;    // a final (non-1xx) answer's head was parsed
  size_t announced_length = 0;  // the answer's Content-Length; 0 when none
  AnswerOverflow overflow = AnswerOverflow::kNone;
  std::string retry_after;

  static Connection* Of(http_parser* p) { return static_cast<Connection*>(p->data); }

  // http-parser callbacks and the parser's reset, in plain_http_answer.cpp.
  void ResetParser();
  static int OnHeaderField(http_parser* p, const char* at, size_t n);
  static int OnHeaderValue(http_parser* p, const char* at, size_t n);
  static int OnBody(http_parser* p, const char* at, size_t n);
  static int OnMessageComplete(http_parser* p);
  static int OnHeadersComplete(http_parser* p);
};

}  // namespace sluice::stages
