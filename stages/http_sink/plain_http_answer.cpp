// File: stages/http_sink/plain_http_answer.cpp
// PlainHttpClient's receiving side: http-parser's callbacks (the answer's status, Retry-After
// and Location headers, its body within the cap and the answer budget), reading a connection
// until its answer is complete (also after a failed send: an early 413), and finishing a
// request with its answer or with an answer that stopped short. Called by the connection state
// machine in plain_http_client.cpp.
// Thread-safety: none; the loop thread owns the client (plain_http_client.h).
#include <http_parser.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include "stages/http_sink/plain_http_client.h"
#include "stages/http_sink/plain_http_connection.h"
#include "stages/http_sink/retry_after.h"

namespace sluice::stages {

using plain_http_internal::EqualsIgnoreCase;
using plain_http_internal::ErrnoText;

void PlainHttpClient::Connection::ResetParser() {
  http_parser_init(&parser, HTTP_RESPONSE);
  parser.data = this;
  header_field.clear();
  field_is_retry_after = false;
  field_is_location = false;
  last_was_value = false;
  headers_done = false;
  announced_length = 0;
  overflow = AnswerOverflow::kNone;
  retry_after.clear();
  answer_complete = false;
}

int PlainHttpClient::Connection::OnHeaderField(http_parser* p, const char* at, size_t n) {
  Connection* c = Of(p);
  if (c->last_was_value) {
    c->header_field.clear();
    c->last_was_value = false;
  }
  c->header_field.append(at, n);
  return 0;
}

int PlainHttpClient::Connection::OnHeaderValue(http_parser* p, const char* at, size_t n) {
  Connection* c = Of(p);
  if (!c->last_was_value) {
    c->field_is_retry_after = EqualsIgnoreCase(c->header_field, "retry-after");
    if (c->field_is_retry_after) c->retry_after.clear();
    c->field_is_location = c->request.location != nullptr && EqualsIgnoreCase(c->header_field, "location");
    if (c->field_is_location) c->request.location->clear();
    c->last_was_value = true;
  }
  if (c->field_is_retry_after && c->retry_after.size() < 32) c->retry_after.append(at, n);
  if (c->field_is_location && c->request.location->size() < 2048) c->request.location->append(at, n);
  return 0;
}

int PlainHttpClient::Connection::OnBody(http_parser* p, const char* at, size_t n) {
  Connection* c = Of(p);
  std::string* out = c->request.response;
  if (out == nullptr) return 0;
  const size_t cap =
      c->request.max_response_bytes != 0 ? c->request.max_response_bytes : c->client->options_.max_response_bytes;
  // Never keep part of an answer as if it were all of it: stop reading (a nonzero return
  // stops the parser) and report it incomplete.
  size_t unused_held = 0;
  size_t& held = c->request.answer_held != nullptr ? *c->request.answer_held : unused_held;
  c->overflow = AdmitAnswerBytes(c->request.answer_held != nullptr ? c->request.answer_budget : nullptr, cap,
                                 out->size(), n, c->announced_length, held);
  if (c->overflow != AnswerOverflow::kNone) return 1;
  out->append(at, n);
  return 0;
}

int PlainHttpClient::Connection::OnMessageComplete(http_parser* p) {
  Connection* c = Of(p);
  if (p->status_code >= 100 && p->status_code < 200) return 0;  // interim answer: the real one follows
  c->answer_complete = true;
  c->keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);  // nothing may follow: we never pipeline
  return 0;
}

int PlainHttpClient::Connection::OnHeadersComplete(http_parser* p) {
  Connection* c = Of(p);
  if (p->status_code >= 100 && p->status_code < 200) {
    // An interim answer (100 Continue, 103) has no body; its fields are not the answer's.
    c->retry_after.clear();
    if (c->request.location != nullptr) c->request.location->clear();
    return 0;
  }
  c->headers_done = true;
  // http_parser counts content_length down while the body is read: take it now.
  if ((p->flags & F_CHUNKED) == 0 && p->content_length != ULLONG_MAX) {
    c->announced_length = static_cast<size_t>(p->content_length);
  }
  if (c->request.retry_after_s != nullptr && !c->retry_after.empty()) {
    const long seconds = ParseRetryAfterSeconds(c->retry_after);
    if (seconds >= 0) *c->request.retry_after_s = seconds;
  }
  return 0;
}

namespace {

http_parser_settings MakeSettings() {
  http_parser_settings s;
  http_parser_settings_init(&s);
  s.on_header_field = &PlainHttpClient::Connection::OnHeaderField;
  s.on_header_value = &PlainHttpClient::Connection::OnHeaderValue;
  s.on_headers_complete = &PlainHttpClient::Connection::OnHeadersComplete;
  s.on_body = &PlainHttpClient::Connection::OnBody;
  s.on_message_complete = &PlainHttpClient::Connection::OnMessageComplete;
  return s;
}

const http_parser_settings& Settings() {
  static const http_parser_settings kSettings = MakeSettings();
  return kSettings;
}

}  // namespace

void PlainHttpClient::TryReceive(Connection* c) {
  for (;;) {
    const ssize_t r = read(c->fd, read_buffer_.data(), read_buffer_.size());
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      const int err = errno;
      if (!c->has_request || c->state == Connection::State::kIdle) {
        Close(c);
        return;
      }
      if (!c->answer_started && ReplayOnFreshConnection(c)) return;
      FailAnswer(c, "receive from " + endpoints_[c->endpoint]->url.host_header + ": " + ErrnoText(err));
      return;
    }
    if (c->state == Connection::State::kIdle || !c->has_request) {
      Close(c);  // closed by the server (r == 0) or unsolicited bytes: this connection is done
      return;
    }
    if (r == 0) {
      if (c->answer_started) {
        // EOF may end an answer without Content-Length.
        http_parser_execute(&c->parser, &Settings(), nullptr, 0);
        if (c->answer_complete) {
          c->keep_alive = false;
          Complete(c);
          return;
        }
      } else if (ReplayOnFreshConnection(c)) {
        return;
      }
      FailAnswer(
          c, "connection to " + endpoints_[c->endpoint]->url.host_header + " closed before the answer was complete");
      return;
    }
    c->answer_started = true;
    const size_t n = static_cast<size_t>(r);
    const size_t used = http_parser_execute(&c->parser, &Settings(), read_buffer_.data(), n);
    if (c->answer_complete) {
      if (used < n) c->keep_alive = false;  // bytes past the answer: do not trust the stream
      Complete(c);
      return;
    }
    if (c->overflow != AnswerOverflow::kNone) {
      FailAnswer(
          c, "answer from " + endpoints_[c->endpoint]->url.host_header +
                 (c->overflow == AnswerOverflow::kOverCap ? " is longer than its cap" : " is over the answer budget"));
      return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || used != n) {
      Fail(c, PlainHttpFailure::kProtocol,
           "bad answer from " + endpoints_[c->endpoint]->url.host_header + ": " +
               http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
      return;
    }
  }
}

bool PlainHttpClient::ReadAnswerAfterSendError(Connection* c) {
  for (;;) {
    const ssize_t r = recv(c->fd, read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    c->answer_started = true;
    http_parser_execute(&c->parser, &Settings(), read_buffer_.data(), static_cast<size_t>(r));
    if (c->answer_complete || HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) break;
  }
  if (!c->answer_complete && c->answer_started && HTTP_PARSER_ERRNO(&c->parser) == HPE_OK) {
    http_parser_execute(&c->parser, &Settings(), nullptr, 0);  // EOF may end it
  }
  if (!c->answer_complete) return false;
  c->keep_alive = false;
  Complete(c);
  return true;
}

// An answer that stopped before its end. Once its head was read the caller learns the status
// and that the body is not whole (a 2xx with part of an error list must not read as success);
// before that it is a network failure like any other.
void PlainHttpClient::FailAnswer(Connection* c, std::string error) {
  if (!c->headers_done) {
    Fail(c, PlainHttpFailure::kNetwork, std::move(error));
    return;
  }
  const long status = static_cast<long>(c->parser.status_code);
  const PlainHttpFailure failure = c->overflow == AnswerOverflow::kOverBudget ? PlainHttpFailure::kAnswerOverBudget
                                                                              : PlainHttpFailure::kAnswerIncomplete;
  Fail(c, failure, std::move(error));
  finished_.back().status = status;
}

void PlainHttpClient::Complete(Connection* c) {
  PlainHttpFinished f;
  f.tag = c->request.tag;
  f.status = static_cast<long>(c->parser.status_code);
  finished_.push_back(std::move(f));
  c->has_request = false;
  busy_.erase(std::find(busy_.begin(), busy_.end(), c));
  const bool whole_request_sent = c->sent == c->head.size() + c->request.body.size();
  if (c->keep_alive && whole_request_sent) {
    Release(c);
  } else {
    Close(c);
  }
}

}  // namespace sluice::stages
