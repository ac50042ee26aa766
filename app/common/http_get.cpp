#include "app/common/http_get.h"

#include <curl/curl.h>

namespace sluice::tools {
namespace {

size_t Collect(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

StatusOr<HttpResponse> Perform(const std::string& url, const std::string* body, const std::string& content_type) {
  CURL* h = curl_easy_init();
  if (!h) return Internal("curl_easy_init failed");
  HttpResponse r;
  curl_slist* headers = nullptr;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (body) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
  }
  const CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(h);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return Unavailable(url + ": " + curl_easy_strerror(rc));
  return r;
}

}  // namespace

StatusOr<HttpResponse> HttpGet(const std::string& url) { return Perform(url, nullptr, ""); }

StatusOr<HttpResponse> HttpPost(const std::string& url, const std::string& body, const std::string& content_type) {
  return Perform(url, &body, content_type);
}

}  // namespace sluice::tools
