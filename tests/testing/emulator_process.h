// File: tests/testing/emulator_process.h
// Test helpers: EmulatorProcess starts bin/sluice-sink-emulator as a child process on a free
// loopback port (read from its first stdout line) with any flags and env a test chooses, and
// stops it with SIGTERM; HttpCall is a one-shot libcurl request. The child starts through
// tests/testing/subprocess.h's StartServer, as every test server does.
// Thread-safety: one test thread per object.
#pragma once

#include <curl/curl.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"

namespace sluice::testing {

struct HttpResult {
  long status = 0;                ///< HTTP status, 0 when no answer
  CURLcode curl_code = CURLE_OK;  ///< transport result
  std::string body;
  std::map<std::string, std::string> headers;  ///< lower-case names
};

inline size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline size_t CollectHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

/// Configures `h` for one request; the caller owns `result` until the transfer finishes.
inline curl_slist* SetUpCall(CURL* h, const std::string& method, const std::string& url, const std::string* body,
                             const std::vector<std::string>& headers, HttpResult* result) {
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body != nullptr) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  for (const auto& hd : headers) list = curl_slist_append(list, hd.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &result->body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &result->headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  return list;
}

inline HttpResult HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                           const std::vector<std::string>& headers = {}) {
  HttpResult r;
  CURL* h = curl_easy_init();
  const bool has_body = method == "POST" || method == "PUT";
  curl_slist* list = SetUpCall(h, method, url, has_body ? &body : nullptr, headers, &r);
  r.curl_code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(h);
  return r;
}

/// The emulator as a child process. Construction blocks until it listens (or fails).
class EmulatorProcess {
 public:
  /// `args` are appended after the binary path; `env` entries are "NAME=value".
  EmulatorProcess(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    const char* bin_dir = std::getenv("SLUICE_BIN_DIR");
    std::vector<std::string> argv = {std::string(bin_dir ? bin_dir : ".") + "/sluice-sink-emulator"};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessOptions options;
    options.argv = argv;
    options.env = env;
    // The first line: "listening on 127.0.0.1:PORT".
    std::string error;
    child_ = StartServer(options, "listening on ", &first_line_, &error);
    if (!child_) {
      first_line_ = error;
      return;
    }
    size_t colon = first_line_.rfind(':');
    if (first_line_.rfind("listening on ", 0) == 0 && colon != std::string::npos) {
      port_ = std::atoi(first_line_.c_str() + colon + 1);
    }
  }
  EmulatorProcess(const EmulatorProcess&) = delete;
  EmulatorProcess& operator=(const EmulatorProcess&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  const std::string& first_line() const { return first_line_; }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  std::unique_ptr<Subprocess> child_;  ///< SIGTERM and reaped on destruction
  int port_ = 0;
  std::string first_line_;
};

}  // namespace sluice::testing
