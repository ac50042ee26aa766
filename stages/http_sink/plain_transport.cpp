#include "stages/http_sink/plain_transport.h"

#include <zlib.h>

#include <cstdlib>

#include "stages/http_sink/answer_budget.h"

namespace sluice::stages {
namespace {

// Plain http:// endpoints can skip libcurl unless the environment names a proxy (libcurl
// honours those variables; PlainHttpClient does not).
bool ProxyConfigured() {
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != 0) return true;
  }
  return false;
}

}  // namespace

StatusOr<std::unique_ptr<PlainHttpClient>> MakePlainClient(const HttpSinkConfig& config, int epoll_fd,
                                                           std::vector<bool>& plain_endpoint) {
  plain_endpoint.assign(config.urls.size(), false);
  std::unique_ptr<PlainHttpClient> none;
  if (config.transport != HttpTransport::kAuto || config.auth == AuthMode::kBasic || ProxyConfigured()) {
    return none;
  }
  std::vector<std::string> plain_urls;  // every URL, so endpoint indexes match; only plain ones are used
  bool any = false;
  for (size_t i = 0; i < config.urls.size(); ++i) {
    const bool is_plain = ParsePlainHttpUrl(config.urls[i]).ok();
    plain_endpoint[i] = is_plain;
    any = any || is_plain;
    plain_urls.push_back(is_plain ? config.urls[i] : "http://unused.invalid/");
  }
  if (!any) return none;
  PlainHttpClientOptions po;
  po.epoll_fd = epoll_fd;
  po.connect_timeout_ms = config.connect_timeout_ms;
  po.request_timeout_ms = config.request_timeout_ms;
  po.max_response_bytes = kMinAnswerCapBytes;  // each request sets its own cap
  return PlainHttpClient::Create(po, plain_urls);
}

bool GzipCompress(std::string_view in, std::string& out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return false;
  }
  out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return rc == Z_STREAM_END;
}

}  // namespace sluice::stages
