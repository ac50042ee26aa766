// File: devtools/sink_emulator/emulator_config.h
// EmulatorConfig (everything the sink emulator is started with) and FaultConfig (the knobs
// that can also be changed at runtime through POST /admin/faults). Plain aggregates, filled
// by main.cpp from flags/env; Validate() checks them before anything is built.
// Thread-safety: plain values; copy them, do not share mutable instances.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::emulator {

/// Fault injection knobs. Rates are probabilities in [0, 1] drawn per request.
struct FaultConfig {
  double error_500_rate = 0.0;        ///< answer 500 InternalError
  double error_503_rate = 0.0;        ///< answer 503 ServiceUnavailable
  double error_429_rate = 0.0;        ///< answer 429 TooManyRequests (+ Retry-After)
  uint32_t retry_after_s = 1;         ///< Retry-After value sent with injected 429s
  double error_401_rate = 0.0;        ///< answer 401 as if the token had been revoked
  double drop_connection_rate = 0.0;  ///< close the socket without any answer
  uint32_t latency_ms = 0;            ///< fixed latency added to every sink answer
  uint32_t latency_jitter_ms = 0;     ///< uniform random extra latency in [0, jitter]
  uint64_t max_body_bytes = 10ull << 20;  ///< bodies above this get 413 PayloadTooLarge
  std::vector<std::string> reject_ids;    ///< normalized _id texts rejected per record
  bool down = false;                  ///< true: 503 to everything except /admin
};

/// One login accepted by POST /auth.
struct UserAccount {
  std::string name;
  std::string password;  ///< secret: never logged
};

/// Per-endpoint throughput limits (token buckets); 0 disables a limit.
struct ThroughputLimits {
  double records_per_s = 0;   ///< sustained records/s per sink id (FeatureBase documents 1000)
  double bytes_per_s = 0;     ///< sustained body bytes/s per sink id (FeatureBase documents 1 MB/s)
  double burst_records = 0;   ///< bucket size in records; 0 = one second worth
};

struct EmulatorConfig {
  std::string bind_address = "127.0.0.1";  ///< listen address
  uint16_t port = 0;                       ///< 0 = pick a free port
  uint32_t pool_threads = 2;               ///< MHD polling thread pool size
  std::string schema_path;                 ///< ingest schema JSON (optional)
  std::string table_path;                  ///< table JSON (required)
  std::vector<UserAccount> users;          ///< empty = auth not required on ingest
  std::string api_key;                     ///< accepted in X-API-Key; empty = none; secret
  uint32_t token_ttl_s = 3600;             ///< IdToken lifetime
  ThroughputLimits limits;                 ///< off by default
  FaultConfig faults;                      ///< initial faults (also admin-settable)
  uint64_t seed = 0;                       ///< RNG seed for faults (0 = random)
  bool verbose = false;                    ///< log one line per request to stderr
  std::string tls_cert_path;               ///< PEM server certificate (chain); set with key = HTTPS
  std::string tls_key_path;                ///< PEM private key for tls_cert_path (unencrypted)
};

/// Checks ranges and cross-field rules.
[[nodiscard]] inline Status Validate(const FaultConfig& f) {
  for (double r : {f.error_500_rate, f.error_503_rate, f.error_429_rate, f.error_401_rate,
                   f.drop_connection_rate}) {
    if (!(r >= 0.0 && r <= 1.0)) return InvalidArgument("fault rates must be within [0, 1]");
  }
  if (f.error_500_rate + f.error_503_rate + f.error_429_rate + f.error_401_rate +
          f.drop_connection_rate > 1.0 + 1e-9) {
    return InvalidArgument("the sum of fault rates must not exceed 1");
  }
  if (f.max_body_bytes == 0) return InvalidArgument("max_body_bytes must be > 0");
  if (f.latency_ms > 600000 || f.latency_jitter_ms > 600000) {
    return InvalidArgument("latency_ms / latency_jitter_ms must be <= 600000");
  }
  return Status::Ok();
}

[[nodiscard]] inline Status Validate(const EmulatorConfig& c) {
  if (c.table_path.empty()) return InvalidArgument("--table is required");
  if (c.pool_threads == 0) return InvalidArgument("pool threads must be >= 1");
  if (c.token_ttl_s == 0) return InvalidArgument("--token-ttl-s must be > 0");
  if (c.limits.records_per_s < 0 || c.limits.bytes_per_s < 0 || c.limits.burst_records < 0) {
    return InvalidArgument("limits must be >= 0");
  }
  for (const auto& u : c.users) {
    if (u.name.empty()) return InvalidArgument("user name must not be empty");
  }
  if (c.tls_cert_path.empty() != c.tls_key_path.empty()) {
    return InvalidArgument("--tls-cert and --tls-key must be given together");
  }
  return Validate(c.faults);
}

}  // namespace sluice::emulator
