// File: tests/testing/clickhouse_server.h
// ClickHouseServer: a private clickhouse-server (the Debian package's binary) started as a child
// process on 127.0.0.1 with its own config, users, data and logs in a temporary folder — no
// system service, no fixed ports. The only user has a password. Query() talks HTTP with basic
// auth. Stopped (SIGTERM, then SIGKILL) and its folder removed on destruction.
// Started through Subprocess (subprocess.h) like every other child of the tests; used by
// tests/external.
// Thread-safety: Query() may be called from any thread; Start/destruction from one.
#pragma once

#include <memory>
#include <string>

#include "engine/status.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {

class ClickHouseServer {
 public:
  /// Path of the server program, or "" when ClickHouse is not installed.
  static std::string FindServerBinary();
  /// Starts the server and waits (up to 60 s) until GET /ping answers "Ok.".
  [[nodiscard]] static StatusOr<std::unique_ptr<ClickHouseServer>> Start();
  ~ClickHouseServer();

  /// "http://127.0.0.1:PORT/".
  std::string Url() const;
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

  /// POSTs `sql` as the query body; returns the answer body. A non-200 answer is an error with
  /// ClickHouse's text.
  [[nodiscard]] StatusOr<std::string> Query(const std::string& sql) const;
  /// Runs `sql` and parses one unsigned integer from the answer ("200000\n").
  [[nodiscard]] StatusOr<uint64_t> QueryNumber(const std::string& sql) const;

 private:
  ClickHouseServer() = default;
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
  int http_port_ = 0;
  std::string user_ = "sluice_test";
  std::string password_;
};

}  // namespace sluice::testing
