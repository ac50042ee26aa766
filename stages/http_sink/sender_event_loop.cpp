#include "stages/http_sink/sender_event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "stages/http_sink/plain_http_client.h"

namespace sluice::stages {

using Ms = std::chrono::milliseconds;

SenderEventLoop::~SenderEventLoop() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status SenderEventLoop::Init() {
  multi_ = curl_multi_init();
  if (multi_ == nullptr) return Internal("curl_multi_init failed");
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Internal("epoll/eventfd setup failed");
  epoll_event wake_ev{};
  wake_ev.events = EPOLLIN;
  wake_ev.data.fd = wake_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_ev) != 0) {
    return Internal("epoll_ctl for the wakeup eventfd failed");
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &SenderEventLoop::OnCurlSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &SenderEventLoop::OnCurlTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  return Status::Ok();
}

void SenderEventLoop::Wake() const {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_fd_, &one, sizeof one);  // only fails if the counter is saturated: already awake
}

// CURLMOPT_SOCKETFUNCTION: mirror curl's interest in `s` into the epoll set. `socketp` is
// non-null once we added `s` (curl_multi_assign), so the common case is one EPOLL_CTL_MOD.
int SenderEventLoop::OnCurlSocket(CURL* /*easy*/, curl_socket_t s, int what, void* userp, void* socketp) {
  auto* self = static_cast<SenderEventLoop*>(userp);
  if (what == CURL_POLL_REMOVE) {
    // Fails harmlessly if curl already closed the socket (the kernel dropped it then).
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, s, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
  ev.data.fd = s;
  if (socketp == nullptr) {
    if (epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST) {
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, s, &ev);
    }
    curl_multi_assign(self->multi_, s, self);  // any non-null marker
  } else if (epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) {
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, s, &ev);
  }
  return 0;
}

// CURLMOPT_TIMERFUNCTION: remember the deadline; the loop calls CURL_SOCKET_TIMEOUT then
// (curl must not be re-entered from here).
int SenderEventLoop::OnCurlTimer(CURLM* /*multi*/, long timeout_ms, void* userp) {
  auto* self = static_cast<SenderEventLoop*>(userp);
  // 0 (run now, e.g. after curl_multi_add_handle) must not become "a few us from now": the
  // loop would round that up to a 1 ms epoll_wait per request.
  self->curl_timer_ = timeout_ms < 0    ? Clock::time_point::max()
                      : timeout_ms == 0 ? Clock::time_point::min()
                                        : Clock::now() + Ms(timeout_ms);
  self->curl_timer_updated_ = true;
  return 0;
}

bool SenderEventLoop::Poll(int timeout_ms, PlainHttpClient* plain) {
  constexpr int kMaxEvents = 128;
  epoll_event events[kMaxEvents];
  const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  bool woken = false;
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      uint64_t count = 0;
      woken = read(wake_fd_, &count, sizeof count) == static_cast<ssize_t>(sizeof count) && count > 0;
      continue;
    }
    const uint32_t e = events[i].events;
    if (plain != nullptr && plain->Owns(fd)) {
      plain->OnSocketEvent(fd, e, Clock::now());
      continue;
    }
    int flags = 0;
    if ((e & EPOLLIN) != 0) flags |= CURL_CSELECT_IN;
    if ((e & EPOLLOUT) != 0) flags |= CURL_CSELECT_OUT;
    if ((e & (EPOLLERR | EPOLLHUP)) != 0) flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(multi_, fd, flags, &running_);
  }
  return woken;
}

void SenderEventLoop::RunCurlTimerIfDue(Clock::time_point now) {
  if (curl_timer_ > now) return;
  curl_timer_updated_ = false;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running_);
  // curl only reports a timer when it changes; if its clock had not quite reached the
  // deadline it keeps the same one silently, so look again shortly.
  if (!curl_timer_updated_) curl_timer_ = now + Ms(1);
}

int SenderEventLoop::TimeoutMs(Clock::time_point wake, Clock::time_point now) {
  if (wake <= now) return 0;
  if (wake - now >= std::chrono::seconds(1)) return 1000;  // also for wake == max()
  // Round up: waking a little early would only spin until the deadline.
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(wake - now).count();
  return static_cast<int>((us + 999) / 1000);
}

}  // namespace sluice::stages
