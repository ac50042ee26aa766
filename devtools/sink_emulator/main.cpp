// File: devtools/sink_emulator/main.cpp
// sluice-sink-emulator: parses flags and environment into an EmulatorConfig, starts the
// HttpServer, prints "listening on ADDR:PORT" as the first stdout line (also with --tls-cert,
// where the port speaks HTTPS only) and serves until SIGINT/SIGTERM. Passwords and API keys are never printed.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "devtools/sink_emulator/emulator_config.h"
#include "devtools/sink_emulator/http_server.h"

namespace {

using sluice::emulator::EmulatorConfig;
using sluice::emulator::UserAccount;

/// "name:password" -> account; false if there is no ':'.
bool ParseUser(const std::string& spec, UserAccount* out) {
  size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0) return false;
  out->name = spec.substr(0, colon);
  out->password = spec.substr(colon + 1);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  EmulatorConfig config;
  std::vector<std::string> user_specs;
  std::vector<std::string> reject_ids;
  CLI::App app{"sluice-sink-emulator: FeatureBase-Cloud-compatible streaming ingest server for tests"};
  app.add_option("--port", config.port, "TCP port (0 = pick a free one)");
  app.add_option("--bind", config.bind_address, "IPv4 address to listen on");
  app.add_option("--threads", config.pool_threads, "MHD polling thread pool size")->check(CLI::Range(1, 64));
  app.add_option("--schema", config.schema_path, "ingest schema JSON (list of {name, path[, type]})")
      ->check(CLI::ExistingFile);
  app.add_option("--table", config.table_path, "table JSON (list of {name, type[, scale]})")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--user", user_specs,
                 "account NAME:PASSWORD (repeatable; prefer env SLUICE_EMULATOR_USERS=\"a:b,c:d\")");
  app.add_option("--api-key", config.api_key, "accepted X-API-Key (prefer env SLUICE_EMULATOR_API_KEY)");
  app.add_option("--token-ttl-s", config.token_ttl_s, "IdToken lifetime in seconds");
  app.add_option("--max-body-bytes", config.faults.max_body_bytes, "413 above this body size");
  app.add_option("--limit-records-per-s", config.limits.records_per_s, "per-sink records/s limit (0 = off)");
  app.add_option("--limit-bytes-per-s", config.limits.bytes_per_s, "per-sink body bytes/s limit (0 = off)");
  app.add_option("--limit-burst-records", config.limits.burst_records, "records bucket size (0 = 1 s worth)");
  app.add_option("--fault-500-rate", config.faults.error_500_rate, "probability of a 500 answer");
  app.add_option("--fault-503-rate", config.faults.error_503_rate, "probability of a 503 answer");
  app.add_option("--fault-429-rate", config.faults.error_429_rate, "probability of a 429 answer");
  app.add_option("--fault-retry-after-s,--retry-after-s", config.faults.retry_after_s,
                 "Retry-After sent with injected 429s");
  app.add_option("--fault-401-rate", config.faults.error_401_rate, "probability of a 401 (revoked token)");
  app.add_option("--fault-drop-rate,--fault-drop-connection-rate", config.faults.drop_connection_rate,
                 "probability of closing the socket without an answer");
  app.add_option("--fault-latency-ms,--latency-ms", config.faults.latency_ms, "fixed added latency");
  app.add_option("--fault-latency-jitter-ms,--latency-jitter-ms", config.faults.latency_jitter_ms,
                 "uniform random extra latency");
  app.add_option("--fault-reject-id", reject_ids, "_id rejected per record (repeatable)");
  app.add_flag("--fault-down", config.faults.down, "start in the down state (503 to all but /admin)");
  app.add_option("--seed", config.seed, "fault RNG seed (0 = random)");
  app.add_flag("--verbose,-v", config.verbose, "log one line per request to stderr");
  app.add_option("--tls-cert", config.tls_cert_path, "PEM server certificate: serve HTTPS only (needs --tls-key)")
      ->check(CLI::ExistingFile);
  app.add_option("--tls-key", config.tls_key_path, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
  CLI11_PARSE(app, argc, argv);

  config.faults.reject_ids = reject_ids;
  if (const char* env = std::getenv("SLUICE_EMULATOR_USERS"); env != nullptr && *env != '\0') {
    std::string all(env);
    size_t start = 0;
    while (start <= all.size()) {
      size_t comma = all.find(',', start);
      std::string item = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!item.empty()) user_specs.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const std::string& spec : user_specs) {
    UserAccount u;
    if (!ParseUser(spec, &u)) {
      std::fprintf(stderr, "error: a user must be given as NAME:PASSWORD\n");
      return 2;
    }
    config.users.push_back(std::move(u));
  }
  if (config.api_key.empty()) {
    if (const char* env = std::getenv("SLUICE_EMULATOR_API_KEY"); env != nullptr) config.api_key = env;
  }

  // Block the stop signals before any thread exists, so every MHD thread inherits the mask
  // and only sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto server = sluice::emulator::HttpServer::Create(config);
  if (!server.ok()) {
    std::fprintf(stderr, "error: %s\n", server.status().ToString().c_str());
    return 1;
  }
  auto port = (*server)->Start();
  if (!port.ok()) {
    std::fprintf(stderr, "error: %s\n", port.status().ToString().c_str());
    return 1;
  }
  std::printf("listening on %s:%u\n", config.bind_address.c_str(), static_cast<unsigned>(*port));
  std::fflush(stdout);
  std::fprintf(stderr, "sink emulator: %zu user(s), api key %s, auth %s, %u pool thread(s), %s\n",
               config.users.size(), config.api_key.empty() ? "off" : "on",
               (config.users.empty() && config.api_key.empty()) ? "not required" : "required",
               config.pool_threads, config.tls_cert_path.empty() ? "http" : "https");

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::fprintf(stderr, "sink emulator: signal %d, stopping\n", sig);
  (*server)->Stop();
  return 0;
}
