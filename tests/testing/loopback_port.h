// File: tests/testing/loopback_port.h
// UnusedLoopbackPort(): a loopback TCP port nothing listens on, for a test that needs a refused
// connection or a port to hand a server it starts (ClickHouse). Header-only.
// Thread-safety: a plain function; the port is free when it returns, and another process may
// take it later (unlikely on loopback within a test).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::testing {

/// Bound on 127.0.0.1 (so the kernel picked a free port), then closed; -1 when that failed.
inline int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace sluice::testing
