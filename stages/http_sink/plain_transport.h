// File: stages/http_sink/plain_transport.h
// Which endpoints' data requests skip libcurl and go through PlainHttpClient: with
// --http-transport auto, plain http:// URLs, unless basic auth is on or the environment names
// a proxy (libcurl honours http_proxy and friends; PlainHttpClient does not). Also the gzip
// request body both clients send. Used by HttpSender::Create and Dispatch.
// Thread-safety: pure functions; MakePlainClient runs before the sender thread starts.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "stages/http_sink/http_sink_config.h"
#include "stages/http_sink/plain_http_client.h"

namespace sluice::stages {

/// Sets `plain_endpoint` (one flag per config.urls entry: its data requests go through the
/// plain client) and returns that client, sharing `epoll_fd`; null when no endpoint uses it.
[[nodiscard]] StatusOr<std::unique_ptr<PlainHttpClient>> MakePlainClient(const HttpSinkConfig& config, int epoll_fd,
                                                                        std::vector<bool>& plain_endpoint);

/// `in` gzip-compressed into `out`; false if zlib failed.
[[nodiscard]] bool GzipCompress(std::string_view in, std::string& out);

}  // namespace sluice::stages
