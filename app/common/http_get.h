// File: app/common/http_get.h
// Tiny blocking HTTP helpers (libcurl easy) for tools and tests: fetch an emulator's stats and
// rows, post admin commands. Not for the data path. Thread-safe (one easy handle per call).
#pragma once

#include <string>

#include "engine/status.h"

namespace sluice::tools {

struct HttpResponse {
  long status = 0;
  std::string body;
};

[[nodiscard]] StatusOr<HttpResponse> HttpGet(const std::string& url);
[[nodiscard]] StatusOr<HttpResponse> HttpPost(const std::string& url, const std::string& body,
                                              const std::string& content_type = "application/json");

}  // namespace sluice::tools
