// PlainHttpClient against a scripted TCP server in the same process (loopback, real sockets):
// the bytes on the wire, keep-alive reuse, a stale keep-alive connection replaced once, answers
// framed by Content-Length, chunks or EOF, an early 413, interim 100, timeouts, refused
// connects and garbage. The client is driven by its own epoll loop, as HttpSender drives it.
#include "stages/http_sink/plain_http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::stages {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// What the server does with the n-th request it reads (in arrival order).
struct Reply {
  std::string bytes;          // sent as is
  bool close_after = false;   // close the connection once sent
  bool before_body = false;   // answer after the head, then read and drop the body, then close
  bool never = false;         // read the request, never answer
};

struct SeenRequest {
  int connection = 0;
  std::string head;
  std::string body;
};

// Accepts connections, reads HTTP/1.1 requests (Content-Length bodies) and answers from a
// script; records what it read. One thread per connection.
class ScriptedTcpServer {
 public:
  explicit ScriptedTcpServer(std::vector<Reply> script) : script_(std::move(script)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listen_fd_, 64), 0);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~ScriptedTcpServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : handlers_) t.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  std::string Url(const std::string& target) const { return "http://127.0.0.1:" + std::to_string(port_) + target; }
  int Connections() const { return connections_.load(); }
  /// Connections this server closed after a `close_after` reply (its FIN is on the way then).
  int ClosedAfterReply() const { return closed_after_reply_.load(); }
  /// Waits until ClosedAfterReply() reaches `n`; false when it did not within 30 s.
  bool WaitClosedAfterReply(int n) const {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (ClosedAfterReply() < n) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  std::vector<SeenRequest> Requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int id = connections_.fetch_add(1);
      handlers_.emplace_back([this, fd, id] { Serve(fd, id); });
    }
  }

  // Reads until `want` bytes are buffered or the peer closes / stop; false on EOF.
  bool Fill(int fd, std::string& buf, size_t want) {
    char chunk[65536];
    while (buf.size() < want) {
      pollfd p{fd, POLLIN, 0};
      if (stop_) return false;
      if (poll(&p, 1, 20) <= 0) continue;
      const ssize_t r = read(fd, chunk, sizeof chunk);
      if (r <= 0) return false;
      buf.append(chunk, static_cast<size_t>(r));
    }
    return true;
  }

  void Serve(int fd, int id) {
    std::string buf;
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!Fill(fd, buf, buf.size() + 1)) {
          close(fd);
          return;
        }
      }
      SeenRequest seen;
      seen.connection = id;
      seen.head = buf.substr(0, end + 4);
      buf.erase(0, end + 4);
      size_t length = 0;
      const size_t cl = seen.head.find("Content-Length: ");
      if (cl != std::string::npos) length = std::stoul(seen.head.substr(cl + 16));
      const size_t n = next_.fetch_add(1);
      const Reply reply = n < script_.size() ? script_[n] : Reply{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"};
      if (reply.before_body) {
        Send(fd, reply.bytes);
        shutdown(fd, SHUT_WR);
        std::string sink;
        while (Fill(fd, sink, sink.size() + 1)) sink.clear();  // drain until the client closes
        Record(std::move(seen));
        close(fd);
        return;
      }
      Fill(fd, buf, length);
      seen.body = buf.substr(0, length);
      buf.erase(0, std::min(length, buf.size()));
      Record(std::move(seen));
      if (reply.never) {
        while (!stop_) std::this_thread::sleep_for(10ms);
        close(fd);
        return;
      }
      Send(fd, reply.bytes);
      if (reply.close_after) {
        close(fd);
        closed_after_reply_.fetch_add(1);
        return;
      }
    }
  }

  static void Send(int fd, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t w = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return;
      off += static_cast<size_t>(w);
    }
  }

  void Record(SeenRequest seen) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(std::move(seen));
  }

  std::vector<Reply> script_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> closed_after_reply_{0};
  std::atomic<size_t> next_{0};
  std::thread acceptor_;
  std::vector<std::thread> handlers_;  // only the acceptor adds; joined after it
  mutable std::mutex mu_;
  std::vector<SeenRequest> requests_;
};

// A request with its own storage, and an epoll loop that drives the client.
struct Call {
  std::string fields = "Content-Type: application/x-ndjson\r\nX-Test: 1\r\n";
  std::string body;
  std::string response;
  long retry_after_s = -1;
  std::string location;
  AnswerBudget* budget = nullptr;
  size_t held = 0;
  PlainHttpFinished result;
  bool done = false;
};

Call WithBody(std::string body) {
  Call call;
  call.body = std::move(body);
  return call;
}

class Loop {
 public:
  explicit Loop(const std::vector<std::string>& urls, int request_timeout_ms = 10000) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    PlainHttpClientOptions o;
    o.epoll_fd = epoll_fd_;
    o.request_timeout_ms = request_timeout_ms;
    o.connect_timeout_ms = 2000;
    o.max_response_bytes = 1024;
    auto c = PlainHttpClient::Create(o, urls);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(*c);
  }
  ~Loop() {
    client_.reset();
    close(epoll_fd_);
  }
  PlainHttpClient& client() { return *client_; }

  void Start(Call& call, size_t endpoint = 0) {
    PlainHttpRequest r;
    r.tag = &call;
    r.endpoint = endpoint;
    r.header_fields = call.fields;
    r.body = call.body;
    r.response = &call.response;
    r.retry_after_s = &call.retry_after_s;
    r.location = &call.location;
    r.answer_budget = call.budget;
    r.answer_held = &call.held;
    client_->Start(r, Clock::now());
  }

  // Starts `call` and runs until it is done; false when 20 s pass first.
  bool Send(Call& call) {
    Start(call);
    return RunUntilDone({&call});
  }

  // Runs until every call in `calls` is done (or 20 s pass).
  bool RunUntilDone(std::initializer_list<Call*> calls) {
    const auto give_up = Clock::now() + 20s;
    std::vector<PlainHttpFinished> finished;
    while (Clock::now() < give_up) {
      client_->TakeFinished(finished);
      for (PlainHttpFinished& f : finished) {
        auto* call = static_cast<Call*>(f.tag);
        call->result = f;
        call->done = true;
      }
      bool all = true;
      for (Call* c : calls) all = all && c->done;
      if (all) return true;
      epoll_event events[16];
      const int n = epoll_wait(epoll_fd_, events, 16, 5);
      const auto now = Clock::now();
      for (int i = 0; i < n; ++i) client_->OnSocketEvent(events[i].data.fd, events[i].events, now);
      client_->OnTimeouts(now);
    }
    return false;
  }

 private:
  int epoll_fd_ = -1;
  std::unique_ptr<PlainHttpClient> client_;
};

std::string Ok(std::string_view body = "ok") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST(ParsePlainHttpUrl, SplitsHostPortAndTarget) {
  auto u = ParsePlainHttpUrl("http://sink.example:8123/ingest?table=t&x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "sink.example");
  EXPECT_EQ(u->port, 8123);
  EXPECT_EQ(u->target, "/ingest?table=t&x=1");
  EXPECT_EQ(u->host_header, "sink.example:8123");
  u = ParsePlainHttpUrl("HTTP://[::1]/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->host_header, "[::1]");
  u = ParsePlainHttpUrl("http://h?q=1#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->target, "/?q=1");
  EXPECT_EQ(ParsePlainHttpUrl("http://h").value().target, "/");
}

TEST(ParsePlainHttpUrl, RefusesWhatLibcurlMustCarry) {
  EXPECT_FALSE(ParsePlainHttpUrl("https://h/").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("http://user:secret@h/").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("http://h:99999/").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("http://h:0/").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("http://h:8x/").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("http:///path").ok());
  EXPECT_FALSE(ParsePlainHttpUrl("ftp://h/").ok());
}

TEST(PlainHttpClient, SendsHeadAndWholeLargeBodyAndReadsTheAnswer) {
  ScriptedTcpServer server({Reply{Ok("accepted")}});
  Loop loop({server.Url("/ingest?table=t")});
  Call call;
  call.body.resize(3u << 20);  // larger than the socket buffers: several sends and EPOLLOUT edges
  for (size_t i = 0; i < call.body.size(); ++i) call.body[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kNone) << call.result.error;
  EXPECT_EQ(call.result.status, 200);
  EXPECT_EQ(call.response, "accepted");
  const auto seen = server.Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].head, "POST /ingest?table=t HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                              "\r\nContent-Type: application/x-ndjson\r\nX-Test: 1\r\nContent-Length: " +
                              std::to_string(call.body.size()) + "\r\n\r\n");
  EXPECT_TRUE(seen[0].body == call.body);
}

TEST(PlainHttpClient, ReusesAKeptAliveConnection) {
  ScriptedTcpServer server({});
  Loop loop({server.Url("/")});
  for (int i = 0; i < 5; ++i) {
    Call call = WithBody("{\"n\":" + std::to_string(i) + "}\n");
    ASSERT_TRUE(loop.Send(call));
    ASSERT_EQ(call.result.status, 200) << call.result.error;
  }
  EXPECT_EQ(server.Connections(), 1);
  EXPECT_EQ(server.Requests().size(), 5u);
  EXPECT_EQ(loop.client().OpenConnections(), 1u);
}

TEST(PlainHttpClient, OpensOneConnectionPerConcurrentRequest) {
  ScriptedTcpServer server({});
  Loop loop({server.Url("/")});
  Call a, b, c;
  a.body = b.body = c.body = "x";
  loop.Start(a);
  loop.Start(b);
  loop.Start(c);
  ASSERT_TRUE(loop.RunUntilDone({&a, &b, &c}));
  EXPECT_EQ(a.result.status, 200);
  EXPECT_EQ(b.result.status, 200);
  EXPECT_EQ(c.result.status, 200);
  EXPECT_EQ(server.Connections(), 3);
}

TEST(PlainHttpClient, ReplacesAStaleKeepAliveConnectionOnce) {
  // The server answers without "Connection: close" and closes: the client still holds the
  // connection as idle and finds out only when it sends the next request on it.
  ScriptedTcpServer server({Reply{Ok(), /*close_after=*/true}});
  Loop loop({server.Url("/")});
  Call first = WithBody("1");
  ASSERT_TRUE(loop.Send(first));
  ASSERT_EQ(first.result.status, 200);
  ASSERT_TRUE(server.WaitClosedAfterReply(1));  // the server has closed its end: its FIN is sent
  Call second = WithBody("2");
  ASSERT_TRUE(loop.Send(second));
  EXPECT_EQ(second.result.failure, PlainHttpFailure::kNone) << second.result.error;
  EXPECT_EQ(second.result.status, 200);
  EXPECT_EQ(server.Connections(), 2);
  const auto seen = server.Requests();
  ASSERT_EQ(seen.size(), 2u);  // the second body reached the server once, on the new connection
  EXPECT_EQ(seen[1].body, "2");
  EXPECT_EQ(seen[1].connection, 1);
}

TEST(PlainHttpClient, ReadsChunkedAnswerAndRetryAfter) {
  ScriptedTcpServer server({Reply{"HTTP/1.1 429 Too Many Requests\r\nretry-after:  7\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nslow \r\n5\r\ndown!\r\n0\r\n\r\n"}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.status, 429);
  EXPECT_EQ(call.response, "slow down!");
  EXPECT_EQ(call.retry_after_s, 7);
  // The chunked answer ended cleanly: the connection is kept.
  Call again = WithBody("y");
  ASSERT_TRUE(loop.Send(again));
  EXPECT_EQ(again.result.status, 200);
  EXPECT_EQ(again.retry_after_s, -1);
  EXPECT_EQ(server.Connections(), 1);
}

// Part of an answer must never pass for all of it (a per-record error list cut at the cap
// would read as "no failures"): the request finishes as incomplete, with its status.
TEST(PlainHttpClient, ReportsAnAnswerLongerThanItsCapAsIncomplete) {
  const std::string big(5000, 'e');
  ScriptedTcpServer server({Reply{"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + big}});
  Loop loop({server.Url("/")});  // cap: 1024 bytes
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kAnswerIncomplete) << call.result.error;
  EXPECT_EQ(call.result.status, 200);
  EXPECT_LE(call.response.size(), 1024u);
}

TEST(PlainHttpClient, ReportsAnAnswerCutShortWithItsStatus) {
  ScriptedTcpServer server({Reply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"success\":tr", true}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kAnswerIncomplete) << call.result.error;
  EXPECT_EQ(call.result.status, 200);
}

TEST(PlainHttpClient, AbortsAnAnswerThatWouldPassTheAnswerBudget) {
  ScriptedTcpServer server({Reply{Ok("hello")}});
  Loop loop({server.Url("/")});
  AnswerBudget budget(100);
  ASSERT_TRUE(budget.TryGrow(0, 100));  // another answer holds the whole total
  Call call = WithBody("x");
  call.budget = &budget;
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kAnswerOverBudget) << call.result.error;
  EXPECT_EQ(call.held, 0u);
  EXPECT_EQ(budget.Held(), 100u);
}

TEST(PlainHttpClient, CountsAnswerBytesInTheBudget) {
  ScriptedTcpServer server({Reply{Ok("hello")}});
  Loop loop({server.Url("/")});
  AnswerBudget budget(100);
  Call call = WithBody("x");
  call.budget = &budget;
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kNone) << call.result.error;
  EXPECT_EQ(call.held, 5u);
  EXPECT_EQ(budget.Held(), 5u);
}

TEST(PlainHttpClient, KeepsTheLocationOfARedirect) {
  ScriptedTcpServer server(
      {Reply{"HTTP/1.1 308 Permanent Redirect\r\nLocation: http://elsewhere:9/ingest\r\nContent-Length: 0\r\n\r\n"}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.status, 308);
  EXPECT_EQ(call.location, "http://elsewhere:9/ingest");
}

TEST(PlainHttpClient, AnswerWithoutLengthEndsWhenTheServerCloses) {
  ScriptedTcpServer server({Reply{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", true}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kNone) << call.result.error;
  EXPECT_EQ(call.result.status, 200);
  EXPECT_EQ(call.response, "all of it");
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

TEST(PlainHttpClient, SkipsAnInterimContinueAnswer) {
  ScriptedTcpServer server({Reply{"HTTP/1.1 100 Continue\r\n\r\n" + Ok("done")}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.status, 200);
  EXPECT_EQ(call.response, "done");
}

TEST(PlainHttpClient, AnEarlyAnswerEndsTheRequestBeforeTheBodyIsSent) {
  ScriptedTcpServer server(
      {Reply{"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntoo big", false, true}});
  Loop loop({server.Url("/")});
  Call call;
  call.body.assign(64u << 20, 'z');  // far more than the socket buffers hold
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kNone) << call.result.error;
  EXPECT_EQ(call.result.status, 413);
  EXPECT_EQ(call.response, "too big");
  EXPECT_EQ(loop.client().OpenConnections(), 0u);  // the rest of the body was never sent: closed
}

TEST(PlainHttpClient, TimesOutWhenTheServerNeverAnswers) {
  ScriptedTcpServer server({Reply{"", false, false, /*never=*/true}});
  Loop loop({server.Url("/")}, /*request_timeout_ms=*/300);
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kTimeout);
  EXPECT_NE(call.result.error.find("timed out"), std::string::npos) << call.result.error;
  EXPECT_EQ(loop.client().OpenConnections(), 0u);
}

TEST(PlainHttpClient, ReportsARefusedConnectNamingTheAddress) {
  uint16_t port;
  { ScriptedTcpServer probe({}); port = probe.port(); }  // a port nobody listens on now
  Loop loop({"http://127.0.0.1:" + std::to_string(port) + "/"});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kConnect);
  EXPECT_NE(call.result.error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << call.result.error;
}

TEST(PlainHttpClient, ReportsGarbageAsAProtocolError) {
  ScriptedTcpServer server({Reply{"SMTP ready, not HTTP\r\n\r\n"}});
  Loop loop({server.Url("/")});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.failure, PlainHttpFailure::kProtocol);
  EXPECT_NE(call.result.error.find("bad answer"), std::string::npos) << call.result.error;
}

TEST(PlainHttpClient, ResolvesLocalhost) {
  ScriptedTcpServer server({});
  Loop loop({"http://localhost:" + std::to_string(server.port()) + "/"});
  Call call = WithBody("x");
  ASSERT_TRUE(loop.Send(call));
  EXPECT_EQ(call.result.status, 200) << call.result.error;
  ASSERT_EQ(server.Requests().size(), 1u);
  EXPECT_NE(server.Requests()[0].head.find("Host: localhost:" + std::to_string(server.port())), std::string::npos);
}

}  // namespace
}  // namespace sluice::stages
