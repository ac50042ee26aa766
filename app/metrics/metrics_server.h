// File: app/metrics/metrics_server.h
// MetricsServer: a small libmicrohttpd server (one internal polling thread) answering
// GET /metrics with whatever the render callback returns, as
// "Content-Type: text/plain; version=0.0.4" (Prometheus text exposition); GET /healthz with 200
// "ok" while the process serves; GET /ready with 200 "ready" or 503 and the reason the readiness
// callback gives. Any other path is 404, any other method 405. Started by
// `sluice run --metrics-addr HOST:PORT` (or `:PORT` for every interface).
// Thread-safety: `render` and `not_ready` run on the server thread, once per request, so they
// must only read thread-safe state (atomics, relaxed snapshots). Destroying the server stops it
// and waits for a running request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/status.h"

namespace sluice::metrics {

class MetricsServer {
 public:
  /// Listens on `addr` ("127.0.0.1:9464"; IPv4 address or "localhost"; ":9464" = every
  /// interface; port 0 = any free port, see port()). `not_ready` answers /ready: "" = ready,
  /// else why not (null: always ready). InvalidArgument for a malformed address, Unavailable
  /// when the port cannot be bound.
  [[nodiscard]] static StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& addr,
                                                                      std::function<std::string()> render,
                                                                      std::function<std::string()> not_ready = nullptr);
  ~MetricsServer();  ///< stops the server
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// The bound port.
  [[nodiscard]] uint16_t port() const { return port_; }
  /// Scrapes answered so far.
  [[nodiscard]] uint64_t Scrapes() const;

  struct Impl;  // MHD state stays out of this header

 private:
  MetricsServer(std::unique_ptr<Impl> impl, uint16_t port);
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

/// "HOST:PORT" -> host and port; ":PORT" -> "0.0.0.0" (every interface) and port, as
/// Prometheus exporters take it. InvalidArgument when it does not look like that.
[[nodiscard]] Status ParseHostPort(const std::string& addr, std::string* host, uint16_t* port);

}  // namespace sluice::metrics
