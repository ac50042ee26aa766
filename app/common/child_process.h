// File: app/common/child_process.h
// ChildProcess: starts a program (the sink emulator, the mock Kafka) as a child process with its
// stdout on a pipe, reads its first line (the address it listens on), and terminates it on
// destruction. Used by `sluice demo` (the tests start processes through
// tests/testing/subprocess.h instead). Not thread-safe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"

namespace sluice::tools {

class ChildProcess {
 public:
  /// Starts argv[0] (a path) with the given arguments and extra "NAME=value" environment entries.
  [[nodiscard]] static StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                                     const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  /// Reads one line of the child's stdout (without newline), waiting at most timeout_ms.
  [[nodiscard]] StatusOr<std::string> ReadLine(int timeout_ms);
  /// Writes text to the child's stdin.
  [[nodiscard]] Status Write(const std::string& text);
  /// Sends a signal.
  void Signal(int sig);
  /// Waits for the child to exit (at most timeout_ms); returns its exit status, or -1.
  int Wait(int timeout_ms);
  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  std::string buffered_;
  bool exited_ = false;
  int exit_status_ = -1;
};

/// Directory of the running executable (so tools find their siblings in build/bin).
std::string ExecutableDir();

}  // namespace sluice::tools
