// File: tests/external/run_program.h
// RunProgram(): runs an executable to completion for end-to-end tests, with extra environment
// entries (secrets go through the environment, never argv), stdout and stderr captured to
// strings, and a deadline after which it is killed. Also shared by tests/generic_sinks.
// Thread-safety: plain functions; each call owns its child.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace sluice::testing {

struct ProgramResult {
  int exit_code = -1;  ///< exit status; -1 when killed by a signal or the deadline
  bool timed_out = false;
  std::string out;     ///< captured stdout
  std::string err;     ///< captured stderr
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `$SLUICE_BIN_DIR/<name>` (the build's bin folder; set by sluice_add_test).
inline std::string BinPath(const std::string& name) {
  const char* dir = std::getenv("SLUICE_BIN_DIR");
  return std::string(dir ? dir : ".") + "/" + name;
}

/// Runs argv[0] with `extra_env` ("NAME=value") added; stdin is /dev/null.
inline ProgramResult RunProgram(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                                int timeout_ms) {
  ProgramResult r;
  char out_tmpl[] = "/tmp/sluice-run-out-XXXXXX";
  char err_tmpl[] = "/tmp/sluice-run-err-XXXXXX";
  const int out_fd = mkstemp(out_tmpl);
  const int err_fd = mkstemp(err_tmpl);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e != nullptr; ++e) env_store.emplace_back(*e);
  for (const auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_fd);
  close(err_fd);
  if (rc == 0) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    while (true) {
      const pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        r.timed_out = true;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else {
    r.err = "cannot start " + argv[0];
  }
  r.out = ReadWholeFile(out_tmpl);
  r.err += ReadWholeFile(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return r;
}

}  // namespace sluice::testing
