// File: devtools/sink_emulator/http_server.h
// HttpServer: the libmicrohttpd front end of the sink emulator. Routes
//   POST /auth, POST|DELETE /v2/sinks/{id}, GET /v2/sinks/{id}/stats|rows,
//   GET|POST /admin/faults, POST /admin/stop|start
// to TokenRegistry, IngestValidator, SinkRegistry and FaultInjector. MHD runs an internal
// epoll thread pool (EmulatorConfig::pool_threads, default 2); bodies are parsed on those
// threads without holding any store lock. Injected latency suspends the connection and a
// DelayScheduler thread resumes it, so latency never blocks a pool thread. With
// EmulatorConfig::tls_cert_path/tls_key_path set it serves HTTPS only (MHD + GnuTLS), so
// clients can be tested against certificate verification.
// Thread-safety: Start/Stop from one thread; request handling is internally synchronized.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/status.h"
#include "devtools/sink_emulator/emulator_config.h"

namespace sluice::emulator {

class HttpServer {
 public:
  /// Loads table, schema and the TLS certificate/key (if set), builds all parts; does not open
  /// the socket yet. FailedPrecondition if TLS is asked for and libmicrohttpd lacks it.
  [[nodiscard]] static StatusOr<std::unique_ptr<HttpServer>> Create(const EmulatorConfig& config);
  ~HttpServer();

  /// Binds and starts serving. Returns the bound port (useful with port 0).
  [[nodiscard]] StatusOr<uint16_t> Start();
  /// Resumes delayed connections and stops the daemon. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::emulator
