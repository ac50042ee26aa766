// File: tests/generic_sinks/recording_server.cpp
#include "tests/generic_sinks/recording_server.h"

#include <netinet/in.h>
#include <microhttpd.h>
#include <zlib.h>

#include <cctype>
#include <cstring>

namespace sluice::testing {
namespace {

// Per-connection state: the request as it arrives in pieces.
struct Pending {
  ReceivedRequest request;
};

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* r = static_cast<ReceivedRequest*>(cls);
  std::string name(key);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  r->headers[name] = value ? value : "";
  return MHD_YES;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                  const char* upload_data, size_t* upload_data_size, void** con_cls) {
  auto* server = static_cast<RecordingServer*>(cls);
  if (*con_cls == nullptr) {
    auto* p = new Pending();
    p->request.method = method;
    p->request.path = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectHeader, &p->request);
    *con_cls = p;
    return MHD_YES;
  }
  auto* p = static_cast<Pending*>(*con_cls);
  if (*upload_data_size != 0) {
    p->request.body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  // MHD hands the decoded path only; the query string is rebuilt from the raw arguments.
  MHD_get_connection_values(
      connection, MHD_GET_ARGUMENT_KIND,
      [](void* c, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
        auto* q = static_cast<std::string*>(c);
        if (!q->empty()) q->push_back('&');
        *q += key;
        if (value) *q += std::string("=") + value;
        return MHD_YES;
      },
      &p->request.query);
  if (p->request.Header("content-encoding") == "gzip") {
    p->request.inflate_ok = Gunzip(p->request.body, p->request.inflated_body);
  }
  server->Record(std::move(p->request));
  static const char kBody[] = "{}";
  MHD_Response* response =
      MHD_create_response_from_buffer(std::strlen(kBody), const_cast<char*>(kBody), MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(response, "Content-Type", "application/json");
  const MHD_Result ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
  MHD_destroy_response(response);
  return ret;
}

void Completed(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Pending*>(*con_cls);
  *con_cls = nullptr;
}

}  // namespace

bool Gunzip(const std::string& in, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // truncated
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END && zs.avail_in == 0;
}

StatusOr<std::unique_ptr<RecordingServer>> RecordingServer::Start() {
  auto server = std::unique_ptr<RecordingServer>(new RecordingServer());
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  server->daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr,
                                     &Handle, server.get(), MHD_OPTION_SOCK_ADDR, &addr,
                                     MHD_OPTION_NOTIFY_COMPLETED, &Completed, nullptr, MHD_OPTION_END);
  if (server->daemon_ == nullptr) return Internal("MHD_start_daemon failed");
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr || info->port == 0) return Internal("MHD did not report its port");
  server->port_ = info->port;
  return server;
}

RecordingServer::~RecordingServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string RecordingServer::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> RecordingServer::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void RecordingServer::Record(ReceivedRequest request) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(std::move(request));
}

}  // namespace sluice::testing
