// File: stages/http_sink/sender_event_loop.h
// SenderEventLoop: the sender's sockets and its wakeup. It owns the libcurl multi handle, an
// epoll set and an eventfd. libcurl is driven with curl_multi_socket_action over the epoll set:
// curl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when its next timeout is
// due (CURLMOPT_TIMERFUNCTION), and each call only touches the transfers on the socket that is
// ready. curl_multi_perform instead walks every transfer and, in libcurl 7.88, polls each one's
// socket on every call, which made the cost per request grow with the connection count. The
// PlainHttpClient's sockets live in the same epoll set; Poll routes their events to it.
// Used by HttpSender::Impl::Run (one turn of its loop per Poll).
// Thread-safety: Wake() may be called from any thread; everything else runs on the sender
// thread only (Init before the thread starts).
#pragma once

#include <curl/curl.h>

#include <chrono>

#include "engine/status.h"

namespace sluice::stages {

class PlainHttpClient;

class SenderEventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  SenderEventLoop() = default;
  SenderEventLoop(const SenderEventLoop&) = delete;
  SenderEventLoop& operator=(const SenderEventLoop&) = delete;
  /// Cleans up the multi handle (every easy handle must be gone by then) and closes the fds.
  ~SenderEventLoop();

  /// Creates the multi handle, the epoll set and the eventfd.
  [[nodiscard]] Status Init();

  [[nodiscard]] CURLM* multi() const { return multi_; }
  [[nodiscard]] int epoll_fd() const { return epoll_fd_; }
  [[nodiscard]] bool can_wake() const { return wake_fd_ >= 0; }

  /// Any thread: makes the loop's epoll_wait return.
  void Wake() const;

  /// Waits up to `timeout_ms` for socket events and hands each to curl or to `plain` (null
  /// when there is no plain client); a wakeup is consumed. True when the wait ended with a
  /// pending Wake() (the sender does not need to know; tests do).
  bool Poll(int timeout_ms, PlainHttpClient* plain);

  /// Runs curl's timeout handling when its timer is due.
  void RunCurlTimerIfDue(Clock::time_point now);

  /// When curl wants its timeout handled next (max() = no timer; min() = at once).
  [[nodiscard]] Clock::time_point curl_timer() const { return curl_timer_; }

  /// epoll_wait's timeout for the next turn, given the earliest `wake` anything asked for: at
  /// most 1 s (so the loop looks at its flags that often), rounded up to whole ms.
  [[nodiscard]] static int TimeoutMs(Clock::time_point wake, Clock::time_point now);

 private:
  static int OnCurlSocket(CURL* easy, curl_socket_t s, int what, void* userp, void* socketp);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* userp);

  CURLM* multi_ = nullptr;
  int epoll_fd_ = -1;  // curl's sockets, the plain client's sockets, and wake_fd_
  int wake_fd_ = -1;   // eventfd: Submit/Stop from other threads wake the loop through it
  Clock::time_point curl_timer_ = Clock::time_point::max();  // set by OnCurlTimer
  bool curl_timer_updated_ = false;
  int running_ = 0;
};

}  // namespace sluice::stages
