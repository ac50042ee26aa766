#include "app/metrics/metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "engine/log.h"

namespace sluice::metrics {
namespace {

// libmicrohttpd's own messages ("Failed to bind to port ...", a client that hung up) go through
// the log at debug: whatever stops the endpoint is reported as the Status of Start.
void LogMicrohttpd(void* /*cls*/, const char* format, va_list args) {
  if (!LogEnabled(LogLevel::kDebug)) return;
  char buf[512];
  std::vsnprintf(buf, sizeof(buf), format, args);
  Log(LogLevel::kDebug, "metrics", std::string("libmicrohttpd: ") + buf);
}

}  // namespace

struct MetricsServer::Impl {
  std::function<std::string()> render;
  std::function<std::string()> not_ready;
  MHD_Daemon* daemon = nullptr;
  std::atomic<uint64_t> scrapes{0};

  ~Impl() {
    if (daemon != nullptr) MHD_stop_daemon(daemon);
  }

  static MHD_Result Reply(MHD_Connection* conn, unsigned status, const std::string& body, const char* type) {
    MHD_Response* r = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()),
                                                      MHD_RESPMEM_MUST_COPY);
    if (r == nullptr) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    const MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size,
                              void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    // First call per request: headers only. Answer on the second, after any body is skipped.
    if (*con_cls == nullptr) {
      *con_cls = self;
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      *upload_data_size = 0;  // a body is not expected; discard it
      return MHD_YES;
    }
    const std::string_view m(method);
    const std::string_view path(url);
    constexpr const char* kText = "text/plain; charset=utf-8";
    if (path != "/metrics" && path != "/healthz" && path != "/ready") {
      return Reply(conn, MHD_HTTP_NOT_FOUND, "not found; try /metrics, /healthz or /ready\n", kText);
    }
    if (m != "GET" && m != "HEAD") {
      return Reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", kText);
    }
    if (path == "/healthz") return Reply(conn, MHD_HTTP_OK, "ok\n", kText);
    if (path == "/ready") {
      const std::string why = self->not_ready ? self->not_ready() : std::string();
      if (why.empty()) return Reply(conn, MHD_HTTP_OK, "ready\n", kText);
      return Reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: " + why + "\n", kText);
    }
    self->scrapes.fetch_add(1, std::memory_order_relaxed);
    return Reply(conn, MHD_HTTP_OK, self->render(), "text/plain; version=0.0.4; charset=utf-8");
  }
};

Status ParseHostPort(const std::string& addr, std::string* host, uint16_t* port) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon + 1 == addr.size()) {
    return InvalidArgument("metrics address must look like HOST:PORT or :PORT, got \"" + addr + "\"");
  }
  const std::string port_text = addr.substr(colon + 1);
  unsigned long p = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || p > 65535) return InvalidArgument("metrics address has a bad port: \"" + addr + "\"");
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535) return InvalidArgument("metrics address has a bad port: \"" + addr + "\"");
  *host = addr.substr(0, colon);
  if (host->empty()) *host = "0.0.0.0";  // ":9464": every interface, as Prometheus exporters read it
  if (*host == "localhost") *host = "127.0.0.1";
  *port = static_cast<uint16_t>(p);
  return Status::Ok();
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl, uint16_t port) : impl_(std::move(impl)), port_(port) {}

MetricsServer::~MetricsServer() = default;

uint64_t MetricsServer::Scrapes() const { return impl_->scrapes.load(std::memory_order_relaxed); }

StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& addr,
                                                              std::function<std::string()> render,
                                                              std::function<std::string()> not_ready) {
  if (!render) return InvalidArgument("MetricsServer needs a render callback");
  std::string host;
  uint16_t port = 0;
  SLUICE_RETURN_IF_ERROR(ParseHostPort(addr, &host, &port));
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return InvalidArgument("metrics address needs an IPv4 address or localhost, got \"" + host + "\"");
  }
  auto impl = std::make_unique<Impl>();
  impl->render = std::move(render);
  impl->not_ready = std::move(not_ready);
  // One internal thread: scrapes are rare and cheap; the pipeline's threads are never used.
  impl->daemon =
      MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, nullptr, nullptr, &Impl::OnRequest,
                       impl.get(), MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&sa),
                       MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(64), MHD_OPTION_CONNECTION_TIMEOUT,
                       static_cast<unsigned>(30), MHD_OPTION_EXTERNAL_LOGGER, &LogMicrohttpd, nullptr, MHD_OPTION_END);
  if (impl->daemon == nullptr) {
    return Unavailable("cannot listen for metrics on " + addr + ": " + std::strerror(errno));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr) return Internal("cannot read the metrics server's bound port");
  const auto bound = static_cast<uint16_t>(info->port);
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl), bound));
}

}  // namespace sluice::metrics
