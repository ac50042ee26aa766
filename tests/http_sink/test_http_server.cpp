#include "tests/http_sink/test_http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cctype>
#include <cstring>
#include <thread>

namespace sluice::testing {

namespace {
struct ConnState {
  RecordedRequest request;
};

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  std::string k(key);
  for (char& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  (*map)[k] = value != nullptr ? value : "";
  return MHD_YES;
}

MHD_Result CollectArg(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  (*map)[key] = value != nullptr ? value : "";
  return MHD_YES;
}

void Completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<ConnState*>(*con_cls);
  *con_cls = nullptr;
}
}  // namespace

struct TestHttpServerAccess {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                              const char*, const char* upload_data, size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<TestHttpServer*>(cls);
    if (*con_cls == nullptr) {
      auto* state = new ConnState();
      state->request.method = method;
      state->request.path = url;
      *con_cls = state;
      return MHD_YES;
    }
    auto* state = static_cast<ConnState*>(*con_cls);
    if (*upload_data_size != 0) {
      state->request.body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    RecordedRequest& r = state->request;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &r.headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, &CollectArg, &r.args);
    r.arrived = std::chrono::steady_clock::now();
    ScriptedResponse answer;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->requests_.push_back(r);
      ++self->concurrent_;
      if (self->concurrent_ > self->max_concurrent_) self->max_concurrent_ = self->concurrent_;
    }
    answer = self->Answer(r);
    if (answer.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(answer.delay_ms));
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      --self->concurrent_;
    }
    if (answer.drop) return MHD_NO;
    MHD_Response* response = MHD_create_response_from_buffer(answer.body.size(), answer.body.data(),
                                                             MHD_RESPMEM_MUST_COPY);
    for (const auto& [name, value] : answer.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
    const MHD_Result rc = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
    MHD_destroy_response(response);
    return rc;
  }
};

StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(uint16_t port) {
  std::unique_ptr<TestHttpServer> server(new TestHttpServer());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server->daemon_ = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, port, nullptr, nullptr,
      &TestHttpServerAccess::OnRequest, server.get(), MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_NOTIFY_COMPLETED, &Completed, nullptr, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
      MHD_OPTION_END);
  if (server->daemon_ == nullptr) return Unavailable("MHD_start_daemon failed on port " + std::to_string(port));
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info != nullptr ? info->port : port;
  return server;
}

TestHttpServer::~TestHttpServer() { Stop(); }

void TestHttpServer::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

std::string TestHttpServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TestHttpServer::Script(const std::string& path, std::vector<ScriptedResponse> responses) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& q = scripts_[path];
  for (auto& r : responses) q.push_back(std::move(r));
}

void TestHttpServer::SetDefault(ScriptedResponse response) {
  std::lock_guard<std::mutex> lock(mu_);
  default_ = std::move(response);
}

void TestHttpServer::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

ScriptedResponse TestHttpServer::Answer(const RecordedRequest& request) {
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!handler_) {
      auto it = scripts_.find(request.path);
      if (it != scripts_.end() && !it->second.empty()) {
        ScriptedResponse r = std::move(it->second.front());
        it->second.pop_front();
        return r;
      }
      return default_;
    }
    handler = handler_;
  }
  return handler(request);
}

std::vector<RecordedRequest> TestHttpServer::Requests(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (path.empty()) return requests_;
  std::vector<RecordedRequest> out;
  for (const auto& r : requests_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

int TestHttpServer::MaxConcurrent() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_concurrent_;
}

}  // namespace sluice::testing
