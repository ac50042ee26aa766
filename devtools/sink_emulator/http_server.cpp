#include "devtools/sink_emulator/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <simdjson.h>
#include <strings.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "devtools/sink_emulator/delay_scheduler.h"
#include "devtools/sink_emulator/fault_injector.h"
#include "devtools/sink_emulator/ingest_validator.h"
#include "devtools/sink_emulator/json_text.h"
#include "devtools/sink_emulator/rate_limiter.h"
#include "devtools/sink_emulator/row_store.h"
#include "devtools/sink_emulator/table_schema.h"
#include "devtools/sink_emulator/token_registry.h"

namespace sluice::emulator {
namespace {

/// One answer, built by a route and queued by the MHD glue (possibly after a delay).
struct Reply {
  unsigned status = MHD_HTTP_OK;
  std::string body;
  const char* content_type = "application/json";
  uint32_t retry_after_s = 0;  ///< 0 = no Retry-After header
  bool drop = false;           ///< close the connection without answering
};

Reply JsonReply(unsigned status, std::string body) {
  Reply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Reply ErrorReply(unsigned status, std::string_view code, std::string_view message) {
  std::string body = "{\"code\":";
  AppendJsonString(body, code);
  body += ",\"message\":";
  AppendJsonString(body, message);
  body += "}";
  return JsonReply(status, std::move(body));
}

/// Per-request state, owned by MHD's con_cls slot and freed in the completion callback.
struct RequestContext {
  std::string body;             ///< request body; capacity leaves room for simdjson padding
  uint64_t body_bytes = 0;      ///< bytes received, even when discarded
  uint64_t max_body_bytes = 0;  ///< limit in force when the request started
  bool too_large = false;       ///< body exceeds max_body_bytes: answer 413
  bool has_pending = false;     ///< a delayed reply waits for the resume
  Reply pending;
};

/// What one ingest request needs besides its body: the On-Demand parser and the result with
/// its row buffer. Reused across requests so their buffers grow once to the largest body.
struct IngestScratch {
  ParseScratch parse;
  IngestResult result;
};

class ParserPool {
 public:
  std::unique_ptr<IngestScratch> Acquire() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<IngestScratch>();
    auto p = std::move(free_.back());
    free_.pop_back();
    return p;
  }
  void Release(std::unique_ptr<IngestScratch> p) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(p));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<IngestScratch>> free_;
};

std::string_view Header(MHD_Connection* conn, const char* name) {
  const char* v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
  return v ? std::string_view(v) : std::string_view();
}

void DeleteString(void* cls) { delete static_cast<std::string*>(cls); }

MHD_Result QueueReply(MHD_Connection* conn, Reply* r) {
  auto* heap = new std::string(std::move(r->body));
  MHD_Response* resp = MHD_create_response_from_buffer_with_free_callback_cls(
      heap->size(), heap->data(), &DeleteString, heap);
  if (resp == nullptr) {
    delete heap;
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  if (r->retry_after_s > 0) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, std::to_string(r->retry_after_s).c_str());
  }
  MHD_Result ret = MHD_queue_response(conn, r->status, resp);
  MHD_destroy_response(resp);
  return ret;
}

}  // namespace

struct HttpServer::Impl {
  EmulatorConfig config;
  std::string tls_cert_pem;  ///< PEM certificate text; empty = plain HTTP
  std::string tls_key_pem;   ///< PEM key text; secret: never logged
  std::unique_ptr<IngestValidator> validator;
  std::unique_ptr<SinkRegistry> sinks;
  std::unique_ptr<TokenRegistry> tokens;
  std::unique_ptr<FaultInjector> faults;
  std::unique_ptr<LimiterRegistry> limiters;
  std::unique_ptr<DelayScheduler> delays;
  ParserPool parsers;
  MHD_Daemon* daemon = nullptr;

  static MHD_Result OnRequest(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char* /*version*/, const char* upload_data,
                              size_t* upload_data_size, void** con_cls) {
    return static_cast<Impl*>(cls)->Handle(conn, url, method, upload_data, upload_data_size, con_cls);
  }

  static void OnCompleted(void* /*cls*/, MHD_Connection* /*conn*/, void** con_cls,
                          MHD_RequestTerminationCode /*code*/) {
    delete static_cast<RequestContext*>(*con_cls);
    *con_cls = nullptr;
  }

  MHD_Result Handle(MHD_Connection* conn, const char* url, const char* method, const char* upload_data,
                    size_t* upload_data_size, void** con_cls) {
    auto* ctx = static_cast<RequestContext*>(*con_cls);
    if (ctx == nullptr) {
      // First call: only headers are known. Size the body buffer (plus simdjson padding).
      ctx = new RequestContext();
      *con_cls = ctx;
      ctx->max_body_bytes = faults->Snapshot()->max_body_bytes;
      std::string_view cl = Header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (!cl.empty()) {
        uint64_t n = std::strtoull(std::string(cl).c_str(), nullptr, 10);
        if (n > ctx->max_body_bytes) {
          ctx->too_large = true;
          // With "Expect: 100-continue" the client waits: answer now and skip the body.
          std::string_view expect = Header(conn, MHD_HTTP_HEADER_EXPECT);
          if (!expect.empty() && strcasecmp(std::string(expect).c_str(), "100-continue") == 0) {
            Reply r = TooLarge(n, ctx->max_body_bytes);
            return QueueReply(conn, &r);
          }
        } else {
          ctx->body.reserve(n + kBodyPadding);
        }
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      ctx->body_bytes += *upload_data_size;
      if (!ctx->too_large) {
        if (ctx->body.size() + *upload_data_size > ctx->max_body_bytes) {
          ctx->too_large = true;  // keep reading (and discarding) so keep-alive survives
          std::string().swap(ctx->body);
        } else {
          ctx->body.append(upload_data, *upload_data_size);
        }
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (ctx->has_pending) return QueueReply(conn, &ctx->pending);  // resumed after a delay

    uint32_t delay_ms = 0;
    Reply reply = Route(conn, method, url, ctx, &delay_ms);
    if (config.verbose) {
      std::fprintf(stderr, "%s %s -> %u%s\n", method, url, reply.status, reply.drop ? " (dropped)" : "");
    }
    if (reply.drop) return MHD_NO;  // MHD closes the socket without an answer
    if (delay_ms > 0) {
      ctx->pending = std::move(reply);
      ctx->has_pending = true;
      MHD_suspend_connection(conn);
      bool scheduled = delays->Schedule(DelayScheduler::Clock::now() + std::chrono::milliseconds(delay_ms),
                                        [conn] { MHD_resume_connection(conn); });
      if (!scheduled) MHD_resume_connection(conn);  // shutting down: answer right away
      return MHD_YES;
    }
    return QueueReply(conn, &reply);
  }

  static Reply TooLarge(uint64_t size, uint64_t max) {
    Reply r = ErrorReply(MHD_HTTP_CONTENT_TOO_LARGE, "PayloadTooLarge",
                         "request body of " + std::to_string(size) + " bytes exceeds the limit of " +
                             std::to_string(max) + " bytes");
    return r;
  }

  Reply Route(MHD_Connection* conn, std::string_view method, std::string_view url, RequestContext* ctx,
              uint32_t* delay_ms) {
    if (url.rfind("/admin/", 0) == 0) return HandleAdmin(method, url.substr(7), ctx);
    if (faults->Snapshot()->down) {
      return ErrorReply(MHD_HTTP_SERVICE_UNAVAILABLE, "ServiceUnavailable", "the service is down");
    }
    if (method == "GET" && url == "/health") return JsonReply(MHD_HTTP_OK, "{\"ok\":true}");
    if (method == "POST" && (url == "/auth" || url == "/")) return HandleAuth(ctx);
    constexpr std::string_view kSinks = "/v2/sinks/";
    if (url.rfind(kSinks, 0) == 0) {
      std::string_view rest = url.substr(kSinks.size());
      size_t slash = rest.find('/');
      std::string sink_id(rest.substr(0, slash));
      std::string_view suffix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
      if (!sink_id.empty()) {
        if (suffix.empty() && method == "POST") return HandleIngest(conn, sink_id, ctx, delay_ms);
        if (suffix.empty() && method == "DELETE") {
          sinks->GetOrCreate(sink_id)->Clear();
          return JsonReply(MHD_HTTP_OK, "{\"success\":true}");
        }
        if (suffix == "/stats" && method == "GET") return StatsReply(sinks->GetOrCreate(sink_id)->Stats());
        if (suffix == "/rows" && method == "GET") {
          Reply r = JsonReply(MHD_HTTP_OK, sinks->GetOrCreate(sink_id)->RowsNdjson());
          r.content_type = "application/x-ndjson";
          return r;
        }
      }
    }
    return ErrorReply(MHD_HTTP_NOT_FOUND, "NotFound", "no route for " + std::string(method) + " " + std::string(url));
  }

  Reply HandleAdmin(std::string_view method, std::string_view what, RequestContext* ctx) {
    if (what == "faults" && method == "GET") return JsonReply(MHD_HTTP_OK, faults->ToJson());
    if (what == "faults" && method == "POST") {
      if (ctx->too_large) return TooLarge(ctx->body_bytes, ctx->max_body_bytes);
      Status st = faults->ApplyJson(ctx->body);
      if (!st.ok()) return ErrorReply(MHD_HTTP_BAD_REQUEST, "InvalidRequest", st.message());
      std::fprintf(stderr, "faults set: %s\n", faults->ToJson().c_str());
      return JsonReply(MHD_HTTP_OK, faults->ToJson());
    }
    if ((what == "stop" || what == "start") && method == "POST") {
      faults->SetDown(what == "stop");
      std::fprintf(stderr, "service %s\n", what == "stop" ? "down" : "up");
      return JsonReply(MHD_HTTP_OK, faults->ToJson());
    }
    return ErrorReply(MHD_HTTP_NOT_FOUND, "NotFound", "unknown admin route");
  }

  Reply HandleAuth(RequestContext* ctx) {
    if (ctx->too_large) return TooLarge(ctx->body_bytes, ctx->max_body_bytes);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view user, password;
    if (parser.parse(ctx->body.data(), ctx->body.size()).get(root) ||
        root["USERNAME"].get_string().get(user) || root["PASSWORD"].get_string().get(password)) {
      return ErrorReply(MHD_HTTP_BAD_REQUEST, "InvalidParameterException",
                        "body must be a JSON object with USERNAME and PASSWORD strings");
    }
    IssuedTokens t;
    if (!tokens->Authenticate(std::string(user), std::string(password), &t)) {
      return ErrorReply(MHD_HTTP_UNAUTHORIZED, "NotAuthorizedException", "Incorrect username or password.");
    }
    std::string body = "{\"AuthenticationResult\":{\"IdToken\":";
    AppendJsonString(body, t.id_token);
    body += ",\"AccessToken\":";
    AppendJsonString(body, t.access_token);
    body += ",\"RefreshToken\":";
    AppendJsonString(body, t.refresh_token);
    body += ",\"ExpiresIn\":" + std::to_string(t.expires_in_s) + ",\"TokenType\":\"Bearer\"}}";
    return JsonReply(MHD_HTTP_OK, std::move(body));
  }

  /// Empty string = authorized; otherwise the 401 message.
  std::string CheckCredentials(MHD_Connection* conn) {
    const bool need = tokens->auth_required() || !config.api_key.empty();
    if (!need) return {};
    std::string_view key = Header(conn, "X-API-Key");
    if (!key.empty()) {
      if (!config.api_key.empty() && key == config.api_key) return {};
      return "invalid API key";
    }
    std::string_view authz = Header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
    constexpr std::string_view kBearer = "Bearer ";
    if (authz.size() <= kBearer.size() || strncasecmp(authz.data(), "Bearer ", kBearer.size()) != 0) {
      return "missing Authorization: Bearer <IdToken> or X-API-Key header";
    }
    switch (tokens->Check(std::string(authz.substr(kBearer.size())))) {
      case TokenCheck::kValid: return {};
      case TokenCheck::kExpired: return "the token has expired";
      case TokenCheck::kUnknown: return "invalid token";
    }
    return "invalid token";
  }

  Reply HandleIngest(MHD_Connection* conn, const std::string& sink_id, RequestContext* ctx,
                     uint32_t* delay_ms) {
    std::string auth_error = CheckCredentials(conn);
    if (!auth_error.empty()) return ErrorReply(MHD_HTTP_UNAUTHORIZED, "Unauthorized", auth_error);

    std::shared_ptr<const FaultConfig> snap = faults->Snapshot();
    FaultDecision fault = faults->Decide();
    *delay_ms = fault.latency_ms;
    switch (fault.action) {
      case FaultAction::kNone: break;
      case FaultAction::kDropConnection: {
        Reply r;
        r.drop = true;
        return r;
      }
      case FaultAction::kError500:
        return ErrorReply(MHD_HTTP_INTERNAL_SERVER_ERROR, "InternalError", "injected fault");
      case FaultAction::kError503:
        return ErrorReply(MHD_HTTP_SERVICE_UNAVAILABLE, "ServiceUnavailable", "injected fault");
      case FaultAction::kError429: {
        Reply r = ErrorReply(MHD_HTTP_TOO_MANY_REQUESTS, "TooManyRequests", "injected fault");
        r.retry_after_s = snap->retry_after_s;
        return r;
      }
      case FaultAction::kError401:
        return ErrorReply(MHD_HTTP_UNAUTHORIZED, "Unauthorized", "the token has been revoked (injected fault)");
    }
    if (ctx->too_large) return TooLarge(ctx->body_bytes, ctx->max_body_bytes);

    // Parse and normalize outside any store lock. The scratch goes back to the pool on every
    // path out of here (the guard), after the rows have been copied into the store.
    ctx->body.reserve(ctx->body.size() + kBodyPadding);
    std::unique_ptr<IngestScratch> scratch = parsers.Acquire();
    struct ReleaseGuard {
      ParserPool* pool;
      std::unique_ptr<IngestScratch>* scratch;
      ~ReleaseGuard() { pool->Release(std::move(*scratch)); }
    } guard{&parsers, &scratch};
    IngestResult& result = scratch->result;
    Status st = validator->Validate(scratch->parse, ctx->body.data(), ctx->body.size(), ctx->body.capacity(),
                                    snap->reject_ids, &result);
    if (!st.ok()) return ErrorReply(MHD_HTTP_BAD_REQUEST, "InvalidRequest", st.message());

    if (limiters->enabled()) {
      EndpointLimiter* lim = limiters->Get(sink_id);
      if (!lim->records.TryTake(static_cast<double>(result.records_received)) ||
          !lim->bytes.TryTake(static_cast<double>(ctx->body.size()))) {
        return ErrorReply(MHD_HTTP_BAD_REQUEST, "ResourceThroughputExceeded",
                          "ingest endpoint throughput limit exceeded; retry with backoff");
      }
    }

    sinks->GetOrCreate(sink_id)->Apply(result, ctx->body.size());
    std::string body = "{\"success\":true,\"records_received\":" + std::to_string(result.records_received) +
                       ",\"records_stored\":" + std::to_string(result.rows.size()) + ",\"errors\":[";
    for (size_t i = 0; i < result.errors.size(); ++i) {
      const RecordError& e = result.errors[i];
      if (i) body += ",";
      body += "{\"index\":" + std::to_string(e.index) + ",\"id\":" + e.id_json + ",\"message\":";
      AppendJsonString(body, e.message);
      body += "}";
    }
    body += "]}";
    return JsonReply(MHD_HTTP_OK, std::move(body));
  }

  static Reply StatsReply(const SinkStats& s) {
    std::string body = "{\"requests\":" + std::to_string(s.requests) +
                       ",\"records_received\":" + std::to_string(s.records_received) +
                       ",\"records_stored\":" + std::to_string(s.records_stored) +
                       ",\"distinct_ids\":" + std::to_string(s.distinct_ids) +
                       ",\"duplicates\":" + std::to_string(s.duplicates) +
                       ",\"rejected\":" + std::to_string(s.rejected) +
                       ",\"bytes_received\":" + std::to_string(s.bytes_received) + "}";
    return JsonReply(MHD_HTTP_OK, std::move(body));
  }
};

namespace {

/// Whole file as text; PEM files are small.
StatusOr<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(std::string("cannot read ") + what + " file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().find("-----BEGIN ") == std::string::npos) {
    return InvalidArgument(std::string(what) + " file " + path + " is not PEM");
  }
  return text.str();
}

}  // namespace

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const EmulatorConfig& config) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  StatusOr<std::vector<TableColumn>> table = LoadTable(config.table_path);
  if (!table.ok()) return table.status();
  std::vector<SchemaField> schema;
  if (!config.schema_path.empty()) {
    StatusOr<std::vector<SchemaField>> s = LoadIngestSchema(config.schema_path);
    if (!s.ok()) return s.status();
    schema = std::move(s.value());
  }
  StatusOr<std::unique_ptr<IngestValidator>> validator = IngestValidator::Create(std::move(table.value()), schema);
  if (!validator.ok()) return validator.status();

  auto impl = std::make_unique<Impl>();
  if (!config.tls_cert_path.empty()) {
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
      return FailedPrecondition("this libmicrohttpd is built without TLS: --tls-cert is unavailable");
    }
    StatusOr<std::string> cert = ReadPemFile(config.tls_cert_path, "--tls-cert");
    if (!cert.ok()) return cert.status();
    StatusOr<std::string> key = ReadPemFile(config.tls_key_path, "--tls-key");
    if (!key.ok()) return key.status();
    impl->tls_cert_pem = std::move(cert.value());
    impl->tls_key_pem = std::move(key.value());
  }
  impl->config = config;
  impl->validator = std::move(validator.value());
  impl->sinks = std::make_unique<SinkRegistry>(impl->validator->numeric_id(), impl->validator->layout());
  impl->tokens = std::make_unique<TokenRegistry>(config.users, config.token_ttl_s);
  impl->faults = std::make_unique<FaultInjector>(config.faults, config.seed);
  impl->limiters = std::make_unique<LimiterRegistry>(config.limits.records_per_s, config.limits.burst_records,
                                                     config.limits.bytes_per_s);
  impl->delays = std::make_unique<DelayScheduler>();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

StatusOr<uint16_t> HttpServer::Start() {
  Impl& m = *impl_;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(m.config.port);
  if (inet_pton(AF_INET, m.config.bind_address.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("--bind must be an IPv4 address: " + m.config.bind_address);
  }
  const bool tls = !m.tls_cert_pem.empty();
  const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                         MHD_USE_ERROR_LOG | (tls ? static_cast<unsigned>(MHD_USE_TLS) : 0u);
  // The TLS options go through MHD_OPTION_ARRAY so one call serves both modes; an array that
  // starts with MHD_OPTION_END adds nothing. The PEM strings live in Impl for the daemon's life.
  MHD_OptionItem tls_options[] = {
      {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, const_cast<char*>(m.tls_cert_pem.c_str())},
      {MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(m.tls_key_pem.c_str())},
      {MHD_OPTION_END, 0, nullptr}};
  m.daemon = MHD_start_daemon(
      flags, m.config.port, nullptr, nullptr, &Impl::OnRequest, &m,
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&addr),
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(m.config.pool_threads),
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(1000),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(120),
      // MHD zeroes a connection's whole pool for every request, so a large pool costs CPU per
      // request (256 KiB was ~2% of the emulator's CPU); 64 KiB still reads bodies in large
      // pieces (they are copied out into RequestContext::body as they arrive).
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(64 * 1024),
      MHD_OPTION_LISTEN_BACKLOG_SIZE, static_cast<unsigned>(1024),
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::OnCompleted, &m,
      MHD_OPTION_ARRAY, tls_options,
      MHD_OPTION_END);
  if (m.daemon == nullptr) {
    return Unavailable("cannot listen on " + m.config.bind_address + ":" + std::to_string(m.config.port) +
                       (tls ? " (or the TLS certificate/key pair was refused)" : ""));
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(m.daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr) return Internal("cannot read the bound port");
  return static_cast<uint16_t>(info->port);
}

void HttpServer::Stop() {
  if (!impl_) return;
  // Resume every delayed connection first: MHD must not stop with suspended connections.
  impl_->delays->Shutdown();
  if (impl_->daemon != nullptr) {
    MHD_stop_daemon(impl_->daemon);
    impl_->daemon = nullptr;
  }
}

}  // namespace sluice::emulator
