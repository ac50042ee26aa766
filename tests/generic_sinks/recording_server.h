// File: tests/generic_sinks/recording_server.h
// RecordingServer: a minimal HTTP/1.1 server (libmicrohttpd, internal polling thread, on
// 127.0.0.1, any free port) that answers every request 200 "{}" and records it byte for byte:
// method, path, query string, headers (names lower-cased) and body. A body sent with
// "Content-Encoding: gzip" is also inflated with zlib into `inflated_body`.
// Thread-safety: Requests() may be called from the test thread while MHD serves.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/status.h"

struct MHD_Daemon;

namespace sluice::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::string query;                           ///< raw, without '?'
  std::map<std::string, std::string> headers;  ///< lower-cased names
  std::string body;                            ///< bytes as received
  std::string inflated_body;                   ///< gunzipped body when Content-Encoding: gzip
  bool inflate_ok = false;                     ///< the gzip stream was complete and valid

  std::string Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? std::string() : it->second;
  }
};

class RecordingServer {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<RecordingServer>> Start();
  ~RecordingServer();
  std::string Url(const std::string& path) const;
  std::vector<ReceivedRequest> Requests() const;

  /// Called by the MHD callback (public for it only).
  void Record(ReceivedRequest request);

 private:
  RecordingServer() = default;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
};

/// Inflates a gzip stream; false when it is not one or is truncated.
bool Gunzip(const std::string& in, std::string& out);

}  // namespace sluice::testing
