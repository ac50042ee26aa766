// PlainHttpClient implementation. A connection is connecting, sending, receiving or idle; its
// socket stays in the epoll set (EPOLLIN | EPOLLOUT | EPOLLRDHUP, edge-triggered) from open to
// close, so a request costs no epoll_ctl: sendmsg until done or EAGAIN, read until the answer
// is complete or EAGAIN, and every edge re-tries whichever of the two is pending.
#include "stages/http_sink/plain_http_client.h"

#include <http_parser.h>

#include <algorithm>
#include <climits>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stages/http_sink/retry_after.h"

namespace sluice::stages {
namespace {

constexpr size_t kReadChunk = 64u << 10;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message (maybe not in buf).
  return std::string(strerror_r(err, buf, sizeof buf));
}

}  // namespace

StatusOr<PlainHttpUrl> ParsePlainHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !EqualsIgnoreCase(url.substr(0, kScheme.size()), kScheme)) {
    return InvalidArgument("not an http:// URL");
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (const size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.find('@') != std::string_view::npos) return InvalidArgument("URL has user info");
  PlainHttpUrl out;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("URL has an unclosed IPv6 address");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("URL has junk after the IPv6 address");
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return InvalidArgument("URL has no host");
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (char ch : port_text) {
      if (ch < '0' || ch > '9' || port > 65535) return InvalidArgument("URL has a bad port");
      port = port * 10 + static_cast<unsigned long>(ch - '0');
    }
    if (port == 0 || port > 65535) return InvalidArgument("URL has a bad port");
    out.port = static_cast<uint16_t>(port);
  }
  out.host_header = std::string(authority);
  if (target.empty() || target.front() == '?') out.target.push_back('/');
  out.target.append(target);
  return out;
}

struct PlainHttpClient::Endpoint {
  PlainHttpUrl url;
  std::string request_line;  // "POST <target> HTTP/1.1\r\nHost: <host>\r\n"
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
  size_t address = 0;       // which of the endpoint's addresses this connect tries
  bool reused = false;      // carried an earlier request (may be stale)
  bool replayed = false;    // this request already moved once off a stale connection
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
  std::string header_field;     // current header name (callbacks may split it)
  bool field_is_retry_after = false;
  bool field_is_location = false;
  bool last_was_value = false;
  bool headers_done = false;  // a final (non-1xx) answer's head was parsed
  size_t announced_length = 0;  // the answer's Content-Length; 0 when none
  AnswerOverflow overflow = AnswerOverflow::kNone;
  std::string retry_after;

  static Connection* Of(http_parser* p) { return static_cast<Connection*>(p->data); }

  void ResetParser() {
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = this;
    header_field.clear();
    field_is_retry_after = false;
    field_is_location = false;
    last_was_value = false;
    headers_done = false;
    announced_length = 0;
    overflow = AnswerOverflow::kNone;
    retry_after.clear();
    answer_complete = false;
  }

  static int OnHeaderField(http_parser* p, const char* at, size_t n) {
    Connection* c = Of(p);
    if (c->last_was_value) {
      c->header_field.clear();
      c->last_was_value = false;
    }
    c->header_field.append(at, n);
    return 0;
  }
  static int OnHeaderValue(http_parser* p, const char* at, size_t n) {
    Connection* c = Of(p);
    if (!c->last_was_value) {
      c->field_is_retry_after = EqualsIgnoreCase(c->header_field, "retry-after");
      if (c->field_is_retry_after) c->retry_after.clear();
      c->field_is_location = c->request.location != nullptr && EqualsIgnoreCase(c->header_field, "location");
      if (c->field_is_location) c->request.location->clear();
      c->last_was_value = true;
    }
    if (c->field_is_retry_after && c->retry_after.size() < 32) c->retry_after.append(at, n);
    if (c->field_is_location && c->request.location->size() < 2048) c->request.location->append(at, n);
    return 0;
  }
  static int OnBody(http_parser* p, const char* at, size_t n) {
    Connection* c = Of(p);
    std::string* out = c->request.response;
    if (out == nullptr) return 0;
    const size_t cap = c->request.max_response_bytes != 0 ? c->request.max_response_bytes
                                                          : c->client->options_.max_response_bytes;
    // Never keep part of an answer as if it were all of it: stop reading (a nonzero return
    // stops the parser) and report it incomplete.
    size_t unused_held = 0;
    size_t& held = c->request.answer_held != nullptr ? *c->request.answer_held : unused_held;
    c->overflow = AdmitAnswerBytes(c->request.answer_held != nullptr ? c->request.answer_budget : nullptr, cap,
                                   out->size(), n, c->announced_length, held);
    if (c->overflow != AnswerOverflow::kNone) return 1;
    out->append(at, n);
    return 0;
  }
  static int OnMessageComplete(http_parser* p) {
    Connection* c = Of(p);
    if (p->status_code >= 100 && p->status_code < 200) return 0;  // interim answer: the real one follows
    c->answer_complete = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1);  // nothing may follow: we never pipeline
    return 0;
  }
  static int OnHeadersComplete(http_parser* p) {
    Connection* c = Of(p);
    if (p->status_code >= 100 && p->status_code < 200) {
      // An interim answer (100 Continue, 103) has no body; its fields are not the answer's.
      c->retry_after.clear();
      if (c->request.location != nullptr) c->request.location->clear();
      return 0;
    }
    c->headers_done = true;
    // http_parser counts content_length down while the body is read: take it now.
    if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX) {
      c->announced_length = static_cast<size_t>(p->content_length);
    }
    if (c->request.retry_after_s != nullptr && !c->retry_after.empty()) {
      const long seconds = ParseRetryAfterSeconds(c->retry_after);
      if (seconds >= 0) *c->request.retry_after_s = seconds;
    }
    return 0;
  }
};

namespace {

http_parser_settings MakeSettings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = &PlainHttpClient::Connection::OnHeaderField;
  s.on_header_value = &PlainHttpClient::Connection::OnHeaderValue;
  s.on_headers_complete = &PlainHttpClient::Connection::OnHeadersComplete;
  s.on_body = &PlainHttpClient::Connection::OnBody;
  s.on_message_complete = &PlainHttpClient::Connection::OnMessageComplete;
  return s;
}

const http_parser_settings& Settings() {
  static const http_parser_settings settings = MakeSettings();
  return settings;
}

}  // namespace

StatusOr<std::unique_ptr<PlainHttpClient>> PlainHttpClient::Create(const PlainHttpClientOptions& options,
                                                                   const std::vector<std::string>& urls) {
  if (options.epoll_fd < 0) return InvalidArgument("PlainHttpClient needs an epoll set");
  std::unique_ptr<PlainHttpClient> client(new PlainHttpClient());
  client->options_ = options;
  for (size_t i = 0; i < urls.size(); ++i) {
    StatusOr<PlainHttpUrl> url = ParsePlainHttpUrl(urls[i]);
    if (!url.ok()) return InvalidArgument("sink URL #" + std::to_string(i + 1) + ": " + url.status().message());
    auto e = std::make_unique<Endpoint>();
    e->url = std::move(*url);
    e->request_line = "POST " + e->url.target + " HTTP/1.1\r\nHost: " + e->url.host_header + "\r\n";
    client->endpoints_.push_back(std::move(e));
  }
  client->read_buffer_.resize(kReadChunk);
  return client;
}

PlainHttpClient::~PlainHttpClient() {
  for (const auto& c : connections_) {
    if (c->fd >= 0) {
      epoll_ctl(options_.epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
      close(c->fd);
    }
  }
}

bool PlainHttpClient::Owns(int fd) const {
  return fd >= 0 && static_cast<size_t>(fd) < by_fd_.size() && by_fd_[static_cast<size_t>(fd)] != nullptr;
}

size_t PlainHttpClient::OpenConnections() const { return connections_.size(); }

void PlainHttpClient::Start(const PlainHttpRequest& request, Clock::time_point now) {
  Begin(request, now, /*reuse=*/true);
}

PlainHttpClient::Connection* PlainHttpClient::Begin(const PlainHttpRequest& request, Clock::time_point now,
                                                    bool reuse) {
  Endpoint& e = *endpoints_.at(request.endpoint);
  Connection* c = nullptr;
  if (reuse && !e.idle.empty()) {
    c = e.idle.back();
    e.idle.pop_back();
    c->reused = true;
  } else {
    auto owned = std::make_unique<Connection>();
    c = owned.get();
    c->client = this;
    c->endpoint = request.endpoint;
    connections_.push_back(std::move(owned));
  }
  c->request = request;
  c->has_request = true;
  c->replayed = false;
  c->answer_started = false;
  c->sent = 0;
  c->head.assign(e.request_line);
  c->head.append(request.header_fields);
  c->head.append("Content-Length: ");
  c->head.append(std::to_string(request.body.size()));
  c->head.append("\r\n\r\n");
  c->ResetParser();
  c->request_deadline = now + std::chrono::milliseconds(options_.request_timeout_ms);
  c->deadline = c->request_deadline;
  busy_.push_back(c);
  if (c->fd < 0) {
    c->address = 0;
    Connect(c, now);
  } else {
    c->state = Connection::State::kSending;
    TrySend(c);
  }
  return c;
}

void PlainHttpClient::Connect(Connection* c, Clock::time_point now) {
  Endpoint& e = *endpoints_[c->endpoint];
  if (e.addresses.empty()) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(e.url.port);
    const int rc = getaddrinfo(e.url.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      Fail(c, PlainHttpFailure::kConnect, "cannot resolve " + e.url.host + ": " + gai_strerror(rc));
      return;
    }
    // IPv4 first: a local sink typically listens on 127.0.0.1 while "localhost" also names ::1.
    for (int pass = 0; pass < 2; ++pass) {
      for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
        if ((pass == 0) != (a->ai_family == AF_INET)) continue;
        sockaddr_storage s{};
        std::memcpy(&s, a->ai_addr, a->ai_addrlen);
        e.addresses.push_back(s);
        e.address_lengths.push_back(a->ai_addrlen);
      }
    }
    freeaddrinfo(found);
    if (e.addresses.empty()) {
      Fail(c, PlainHttpFailure::kConnect, "no address for " + e.url.host);
      return;
    }
  }
  while (c->address < e.addresses.size()) {
    const auto* addr = reinterpret_cast<const sockaddr*>(&e.addresses[c->address]);
    const int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      Fail(c, PlainHttpFailure::kConnect, "socket: " + ErrnoText(errno));
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    const int rc = connect(fd, addr, e.address_lengths[c->address]);
    if (rc != 0 && errno != EINPROGRESS) {
      const int err = errno;
      close(fd);
      if (++c->address < e.addresses.size()) continue;
      e.addresses.clear();  // resolve again next time
      e.address_lengths.clear();
      Fail(c, PlainHttpFailure::kConnect, "connect to " + e.url.host_header + ": " + ErrnoText(err));
      return;
    }
    c->fd = fd;
    if (static_cast<size_t>(fd) >= by_fd_.size()) by_fd_.resize(static_cast<size_t>(fd) + 1, nullptr);
    by_fd_[static_cast<size_t>(fd)] = c;
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    epoll_ctl(options_.epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    c->reused = false;
    if (rc == 0) {
      c->state = Connection::State::kSending;
      c->deadline = c->request_deadline;
      TrySend(c);
    } else {
      c->state = Connection::State::kConnecting;
      c->deadline = std::min(c->request_deadline, now + std::chrono::milliseconds(options_.connect_timeout_ms));
    }
    return;
  }
  Fail(c, PlainHttpFailure::kConnect, "connect to " + e.url.host_header + ": no address left");
}

void PlainHttpClient::TrySend(Connection* c) {
  const std::string_view body = c->request.body;
  const size_t total = c->head.size() + body.size();
  while (c->sent < total) {
    iovec iov[2];
    int n = 0;
    if (c->sent < c->head.size()) {
      iov[n++] = {const_cast<char*>(c->head.data()) + c->sent, c->head.size() - c->sent};
      if (!body.empty()) iov[n++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      const size_t off = c->sent - c->head.size();
      iov[n++] = {const_cast<char*>(body.data()) + off, body.size() - off};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    const ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);  // no SIGPIPE on a closed peer
    if (w > 0) {
      c->sent += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT edge resumes
    const int err = w < 0 ? errno : EPIPE;
    // A server may answer early (413) and close before reading the rest: the answer is still
    // in our receive queue and says more than the reset.
    if (ReadAnswerAfterSendError(c)) return;
    if (ReplayOnFreshConnection(c)) return;
    Fail(c, PlainHttpFailure::kNetwork, "send to " + endpoints_[c->endpoint]->url.host_header + ": " + ErrnoText(err));
    return;
  }
  c->state = Connection::State::kReceiving;
  // The answer may already be waiting (a server that answers before reading everything, e.g.
  // 413); with edge triggering its EPOLLIN may have fired while we were still sending.
  TryReceive(c);
}

void PlainHttpClient::TryReceive(Connection* c) {
  for (;;) {
    const ssize_t r = read(c->fd, read_buffer_.data(), read_buffer_.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      const int err = errno;
      if (!c->has_request || c->state == Connection::State::kIdle) {
        Close(c);
        return;
      }
      if (!c->answer_started && ReplayOnFreshConnection(c)) return;
      FailAnswer(c, "receive from " + endpoints_[c->endpoint]->url.host_header + ": " + ErrnoText(err));
      return;
    }
    if (c->state == Connection::State::kIdle || !c->has_request) {
      Close(c);  // closed by the server (r == 0) or unsolicited bytes: this connection is done
      return;
    }
    if (r == 0) {
      if (c->answer_started) {
        // EOF may end an answer without Content-Length.
        http_parser_execute(&c->parser, &Settings(), nullptr, 0);
        if (c->answer_complete) {
          c->keep_alive = false;
          Complete(c);
          return;
        }
      } else if (ReplayOnFreshConnection(c)) {
        return;
      }
      FailAnswer(c, "connection to " + endpoints_[c->endpoint]->url.host_header +
                        " closed before the answer was complete");
      return;
    }
    c->answer_started = true;
    const size_t n = static_cast<size_t>(r);
    const size_t used = http_parser_execute(&c->parser, &Settings(), read_buffer_.data(), n);
    if (c->answer_complete) {
      if (used < n) c->keep_alive = false;  // bytes past the answer: do not trust the stream
      Complete(c);
      return;
    }
    if (c->overflow != AnswerOverflow::kNone) {
      FailAnswer(c, "answer from " + endpoints_[c->endpoint]->url.host_header +
                        (c->overflow == AnswerOverflow::kOverCap ? " is longer than its cap" : " is over the answer budget"));
      return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != n) {
      Fail(c, PlainHttpFailure::kProtocol,
           "bad answer from " + endpoints_[c->endpoint]->url.host_header + ": " +
               http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
      return;
    }
  }
}

bool PlainHttpClient::ReadAnswerAfterSendError(Connection* c) {
  for (;;) {
    const ssize_t r = recv(c->fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    c->answer_started = true;
    http_parser_execute(&c->parser, &Settings(), read_buffer_.data(), static_cast<size_t>(r));
    if (c->answer_complete || HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) break;
  }
  if (!c->answer_complete && c->answer_started && HTTP_PARSER_ERRNO(&c->parser) == HPE_OK) {
    http_parser_execute(&c->parser, &Settings(), nullptr, 0);  // EOF may end it
  }
  if (!c->answer_complete) return false;
  c->keep_alive = false;
  Complete(c);
  return true;
}

void PlainHttpClient::OnSocketEvent(int fd, uint32_t events, Clock::time_point now) {
  if (!Owns(fd)) return;
  Connection* c = by_fd_[static_cast<size_t>(fd)];
  switch (c->state) {
    case Connection::State::kConnecting: {
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        // Try the endpoint's next address on a new socket.
        Endpoint& e = *endpoints_[c->endpoint];
        by_fd_[static_cast<size_t>(fd)] = nullptr;
        epoll_ctl(options_.epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
        close(fd);
        c->fd = -1;
        if (++c->address < e.addresses.size()) {
          Connect(c, now);
          return;
        }
        e.addresses.clear();
        e.address_lengths.clear();
        Fail(c, PlainHttpFailure::kConnect, "connect to " + e.url.host_header + ": " + ErrnoText(err));
        return;
      }
      c->state = Connection::State::kSending;
      c->deadline = c->request_deadline;
      TrySend(c);
      return;
    }
    case Connection::State::kSending:
      // Read first: an early answer (413 before the body was read) ends the request.
      if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
        const ssize_t peek = recv(fd, read_buffer_.data(), 1, MSG_PEEK | MSG_DONTWAIT);
        if (peek > 0) {
          TryReceive(c);
          return;
        }
      }
      TrySend(c);
      return;
    case Connection::State::kReceiving:
    case Connection::State::kIdle:
      if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) TryReceive(c);
      return;
  }
}

PlainHttpClient::Clock::time_point PlainHttpClient::NextDeadline() const {
  Clock::time_point next = Clock::time_point::max();
  for (const Connection* c : busy_) next = std::min(next, c->deadline);
  return next;
}

void PlainHttpClient::OnTimeouts(Clock::time_point now) {
  // Fail() edits busy_: collect first.
  std::vector<Connection*> due;
  for (Connection* c : busy_) {
    if (c->deadline <= now) due.push_back(c);
  }
  for (Connection* c : due) {
    const bool connecting = c->state == Connection::State::kConnecting;
    Fail(c, PlainHttpFailure::kTimeout,
         std::string(connecting ? "connect to " : "request to ") + endpoints_[c->endpoint]->url.host_header +
             " timed out");
  }
}

void PlainHttpClient::TakeFinished(std::vector<PlainHttpFinished>& out) {
  out.clear();
  out.swap(finished_);
}

bool PlainHttpClient::ReplayOnFreshConnection(Connection* c) {
  // A keep-alive connection the server closed while it sat idle fails on first use; any HTTP
  // client sends the request again on a new connection. Only once, and only before any byte of
  // an answer: past that the server may have acted on it.
  if (!c->reused || c->replayed || c->answer_started) return false;
  const PlainHttpRequest request = c->request;
  const Clock::time_point deadline = c->request_deadline;
  c->has_request = false;
  busy_.erase(std::find(busy_.begin(), busy_.end(), c));
  Close(c);
  // Begin() may finish the request at once (a refused connect): `fresh` is only touched while
  // it is still busy.
  Begin(request, Clock::now(), /*reuse=*/false);
  for (Connection* fresh : busy_) {
    if (fresh->request.tag == request.tag && fresh->has_request) {
      fresh->replayed = true;
      fresh->request_deadline = deadline;
      fresh->deadline = std::min(fresh->deadline, deadline);
    }
  }
  return true;
}

void PlainHttpClient::Fail(Connection* c, PlainHttpFailure failure, std::string error) {
  PlainHttpFinished f;
  f.tag = c->request.tag;
  f.failure = failure;
  f.error = std::move(error);
  finished_.push_back(std::move(f));
  c->has_request = false;
  busy_.erase(std::find(busy_.begin(), busy_.end(), c));
  Close(c);
}

// An answer that stopped before its end. Once its head was read the caller learns the status
// and that the body is not whole (a 2xx with part of an error list must not read as success);
// before that it is a network failure like any other.
void PlainHttpClient::FailAnswer(Connection* c, std::string error) {
  if (!c->headers_done) {
    Fail(c, PlainHttpFailure::kNetwork, std::move(error));
    return;
  }
  const long status = static_cast<long>(c->parser.status_code);
  const PlainHttpFailure failure = c->overflow == AnswerOverflow::kOverBudget ? PlainHttpFailure::kAnswerOverBudget
                                                                               : PlainHttpFailure::kAnswerIncomplete;
  Fail(c, failure, std::move(error));
  finished_.back().status = status;
}

void PlainHttpClient::Complete(Connection* c) {
  PlainHttpFinished f;
  f.tag = c->request.tag;
  f.status = static_cast<long>(c->parser.status_code);
  finished_.push_back(std::move(f));
  c->has_request = false;
  busy_.erase(std::find(busy_.begin(), busy_.end(), c));
  const bool whole_request_sent = c->sent == c->head.size() + c->request.body.size();
  if (c->keep_alive && whole_request_sent) {
    Release(c);
  } else {
    Close(c);
  }
}

void PlainHttpClient::Release(Connection* c) {
  c->state = Connection::State::kIdle;
  c->deadline = Clock::time_point::max();
  c->request = PlainHttpRequest{};
  endpoints_[c->endpoint]->idle.push_back(c);
}

void PlainHttpClient::Close(Connection* c) {
  if (c->fd >= 0) {
    by_fd_[static_cast<size_t>(c->fd)] = nullptr;
    epoll_ctl(options_.epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
    close(c->fd);
    c->fd = -1;
  }
  auto& idle = endpoints_[c->endpoint]->idle;
  idle.erase(std::remove(idle.begin(), idle.end(), c), idle.end());
  auto it = std::find_if(connections_.begin(), connections_.end(), [c](const auto& p) { return p.get() == c; });
  if (it != connections_.end()) {
    std::swap(*it, connections_.back());
    connections_.pop_back();  // destroys c
  }
}

}  // namespace sluice::stages
