// File: tests/testing/subprocess.h
// Subprocess: the one way tests start a real executable (sluice, the emulator, mock Kafka, the
// misbehaving sink, fake flights, ClickHouse, kcat, ...). The child gets a controlled
// environment (entries given as NAME=value replace inherited ones, so a secret reaches the child
// only through its env), stdin from a file, /dev/null or a pipe the test writes to (Write), and
// stdout/stderr captured into temporary files (no pipe can fill up and stall a chatty child).
//  - a run: RunProcess()/RunProgram() start one and wait for its exit and output;
//  - a server: StartServer() starts one and waits for readiness, i.e. its first stdout line
//    (the address it listens on); ReadLine() reads the lines after it (a control protocol's
//    answers), and the child is stopped with SIGTERM (SIGKILL after 5 s) when the object goes.
// BinPath() names a program of the build, FindOnPath() an installed one. Header-only so any
// test folder can use it without a library target. Thread-safety: one test thread per object.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/temp_files.h"  // ReadFileText

extern char** environ;

namespace sluice::testing {

/// What a finished child left behind.
struct ProcessResult {
  int exit_code = -1;      ///< exit status; 128+signal when killed by a signal; -1 if never run
  bool timed_out = false;  ///< true when Wait() had to SIGKILL it
  std::string out;         ///< everything written to stdout
  std::string err;         ///< everything written to stderr
  /// Both streams, for messages and "does X appear anywhere" checks.
  std::string all() const { return out + err; }
};

struct ProcessOptions {
  std::vector<std::string> argv;  ///< argv[0] is a path
  std::vector<std::string> env;   ///< NAME=value; replaces an inherited NAME
  std::string stdin_path;         ///< empty: /dev/null (or the pipe, with stdin_pipe)
  bool stdin_pipe = false;        ///< stdin is a pipe the test writes to with Write()
  /// stderr goes to the test's own stderr (a server's diagnostics then show in the test log)
  /// instead of a capture file.
  bool stderr_to_test_log = false;
  /// On destruction: SIGTERM and up to 5 s to exit before SIGKILL (servers that clean up),
  /// instead of SIGKILL at once.
  bool terminate_gently = false;
};

class Subprocess {
 public:
  /// Starts the child; nullptr and *error set when it cannot be started.
  static std::unique_ptr<Subprocess> Start(const ProcessOptions& options, std::string* error) {
    auto p = std::unique_ptr<Subprocess>(new Subprocess());
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = (tmp && *tmp) ? tmp : "/tmp";
    p->out_path_ = MakeTemp(dir, "out");
    p->err_path_ = MakeTemp(dir, "err");
    p->terminate_gently_ = options.terminate_gently;
    int in_pipe[2] = {-1, -1};
    if (options.stdin_pipe && pipe2(in_pipe, O_CLOEXEC) != 0) {
      if (error) *error = std::string("pipe: ") + std::strerror(errno);
      return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (options.stdin_pipe) {
      posix_spawn_file_actions_adddup2(&actions, in_pipe[0], STDIN_FILENO);
    } else {
      const std::string in = options.stdin_path.empty() ? "/dev/null" : options.stdin_path;
      posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in.c_str(), O_RDONLY, 0);
    }
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, p->out_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    if (!options.stderr_to_test_log) {
      posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, p->err_path_.c_str(), O_WRONLY | O_TRUNC, 0);
    }
    std::vector<std::string> env_store;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& o : options.env) replaced = replaced || o.substr(0, o.find('=')) == name;
      if (!replaced) env_store.push_back(std::move(entry));
    }
    for (const auto& o : options.env) env_store.push_back(o);
    std::vector<char*> env;
    for (auto& e : env_store) env.push_back(e.data());
    env.push_back(nullptr);
    std::vector<char*> args;
    for (const auto& a : options.argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&p->pid_, options.argv.at(0).c_str(), &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (options.stdin_pipe) {
      close(in_pipe[0]);
      p->stdin_fd_ = in_pipe[1];
    }
    if (rc != 0) {
      if (error) *error = "cannot start " + options.argv[0] + ": " + std::strerror(rc);
      return nullptr;
    }
    return p;
  }

  ~Subprocess() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    if (pid_ > 0 && !exited_ && terminate_gently_) {
      kill(pid_, SIGTERM);
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!Reap(false) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Reap(true);
    }
    unlink(out_path_.c_str());
    unlink(err_path_.c_str());
  }

  pid_t pid() const { return pid_; }

  /// The next line of the child's stdout (without the newline), waiting for it at most
  /// timeout_ms; false (and *error) when none came in time or the child exited without one.
  bool ReadLine(int timeout_ms, std::string* line, std::string* error = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      const std::string out = ReadFileText(out_path_);
      const size_t nl = out.find('\n', read_offset_);
      if (nl != std::string::npos) {
        *line = out.substr(read_offset_, nl - read_offset_);
        read_offset_ = nl + 1;
        return true;
      }
      // Looked at the output before the exit check: a line written just before exiting counts.
      if (Reap(false)) {
        if (error) *error = "the child exited (status " + std::to_string(exit_code_) + ") before writing a line";
        return false;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        if (error) *error = "no line from the child within " + std::to_string(timeout_ms) + " ms";
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  /// Closes the child's stdin pipe: the child reads EOF.
  void CloseStdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }

  /// Writes to the child's stdin (ProcessOptions::stdin_pipe); false when it cannot.
  bool Write(const std::string& text) {
    size_t off = 0;
    while (off < text.size()) {
      const ssize_t n = write(stdin_fd_, text.data() + off, text.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  void Signal(int sig) {
    if (pid_ > 0 && !exited_) kill(pid_, sig);
  }

  /// True while `sig` was sent to the child but not yet delivered to it (/proc/PID/status:
  /// SigPnd or ShdPnd). Two quick signals of one kind merge into one while the first is still
  /// pending, so a test that means to send two waits for this to turn false in between.
  bool SignalPending(int sig) const {
    if (pid_ <= 0 || exited_) return false;
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    const unsigned long long bit = 1ull << (sig - 1);
    while (std::getline(status, line)) {
      if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
        if (std::strtoull(line.c_str() + 7, nullptr, 16) & bit) return true;
      }
    }
    return false;
  }

  /// True while the child has not exited (reaps it when it has).
  bool Running() {
    Reap(false);
    return !exited_;
  }

  /// Waits for the exit (SIGKILL after timeout_ms) and returns the exit status and output.
  ProcessResult Wait(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool timed_out = false;
    while (!Reap(false)) {
      if (std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        kill(pid_, SIGKILL);
        Reap(true);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ProcessResult r;
    r.exit_code = exit_code_;
    r.timed_out = timed_out;
    r.out = ReadFileText(out_path_);
    r.err = ReadFileText(err_path_);
    return r;
  }

  /// Output written so far (the child may still be running).
  std::string StderrSoFar() const { return ReadFileText(err_path_); }

 private:
  Subprocess() = default;

  static std::string MakeTemp(const std::string& dir, const char* what) {
    std::string tmpl = dir + "/sluice-subprocess-" + what + "-XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd >= 0) close(fd);
    return tmpl;
  }

  bool Reap(bool block) {
    if (exited_) return true;
    int st = 0;
    pid_t r;
    do {
      r = waitpid(pid_, &st, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r != pid_) return false;
    exited_ = true;
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return true;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  bool terminate_gently_ = false;
  size_t read_offset_ = 0;  // of stdout, for ReadLine
  bool exited_ = false;
  int exit_code_ = -1;
  std::string out_path_;
  std::string err_path_;
};

/// Starts, waits (SIGKILL after timeout_ms) and returns the result; exit_code -1 and the reason
/// in `err` when the program could not be started.
inline ProcessResult RunProcess(const ProcessOptions& options, int timeout_ms) {
  std::string error;
  auto p = Subprocess::Start(options, &error);
  if (!p) {
    ProcessResult r;
    r.err = error;
    return r;
  }
  return p->Wait(timeout_ms);
}

/// Starts a server and waits for readiness: its first stdout line, which must start with
/// `ready_prefix` (the address it listens on follows). The line goes to *first_line. The child
/// is stopped gently on destruction and its stderr shows in the test log. nullptr and *error
/// (with what the child wrote) when it could not start, exited, or printed something else.
inline std::unique_ptr<Subprocess> StartServer(ProcessOptions options, const std::string& ready_prefix,
                                               std::string* first_line, std::string* error, int timeout_ms = 20000) {
  options.terminate_gently = true;
  options.stderr_to_test_log = true;
  std::unique_ptr<Subprocess> p = Subprocess::Start(options, error);
  if (!p) return nullptr;
  std::string line, why;
  if (!p->ReadLine(timeout_ms, &line, &why)) {
    if (error) *error = options.argv.at(0) + ": " + why;
    return nullptr;
  }
  if (line.rfind(ready_prefix, 0) != 0) {
    if (error) *error = options.argv.at(0) + " printed \"" + line + "\", not \"" + ready_prefix + "...\"";
    return nullptr;
  }
  *first_line = line;
  return p;
}

/// The first executable file `name` in $PATH's directories; empty when there is none
/// (posix_spawn does not search PATH, so a test resolves an installed tool with this).
inline std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  }
  return "";
}

/// `$SLUICE_BIN_DIR/<name>` (the build's bin folder; set by sluice_add_test).
inline std::string BinPath(const std::string& name) {
  const char* dir = std::getenv("SLUICE_BIN_DIR");
  return std::string(dir ? dir : ".") + "/" + name;
}

/// Runs argv[0] with `env` ("NAME=value", replacing inherited entries) and stdin /dev/null.
inline ProcessResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                int timeout_ms) {
  ProcessOptions options;
  options.argv = argv;
  options.env = env;
  return RunProcess(options, timeout_ms);
}

}  // namespace sluice::testing
