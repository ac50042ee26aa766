// PlainHttpClient implementation: URLs, connecting, sending and the connection state machine.
// A connection is connecting, sending, receiving or idle; its socket stays in the epoll set
// (EPOLLIN | EPOLLOUT | EPOLLRDHUP, edge-triggered) from open to close, so a request costs no
// epoll_ctl: sendmsg until done or EAGAIN, read until the answer is complete or EAGAIN, and
// every edge re-tries whichever of the two is pending. Reading and parsing the answer is in
// plain_http_answer.cpp; Endpoint and Connection are declared in plain_http_connection.h.
// Thread-safety: none; the loop thread owns the client (plain_http_client.h).
#include "stages/http_sink/plain_http_client.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stages/http_sink/plain_http_connection.h"

namespace sluice::stages {
namespace {

using plain_http_internal::EqualsIgnoreCase;
using plain_http_internal::ErrnoText;

constexpr size_t kReadChunk = 64u << 10;

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
