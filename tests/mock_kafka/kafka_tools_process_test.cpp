// Integration tests that run the real sluice-mock-kafka and sluice-fake-flights executables
// (from $SLUICE_BIN_DIR) as child processes, and read topics back with kcat when installed.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "devtools/mock_kafka/mock_cluster.h"

extern char** environ;

namespace sluice {
namespace {

// A child process with optional pipes to its stdin and from its stdout (stderr is inherited so
// tool diagnostics show up in the test log).
class ChildProcess {
 public:
  static std::unique_ptr<ChildProcess> Start(const std::vector<std::string>& args, bool pipe_stdin,
                                             bool pipe_stdout) {
    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    if (pipe_stdin && pipe2(in_pipe, O_CLOEXEC) != 0) return nullptr;
    if (pipe_stdout && pipe2(out_pipe, O_CLOEXEC) != 0) return nullptr;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (pipe_stdin) posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    if (pipe_stdout) posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    auto child = std::unique_ptr<ChildProcess>(new ChildProcess());
    const int rc = posix_spawnp(&child->pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (pipe_stdin) {
      close(in_pipe[0]);
      child->stdin_fd_ = in_pipe[1];
    }
    if (pipe_stdout) {
      close(out_pipe[1]);
      child->stdout_fd_ = out_pipe[0];
    }
    if (rc != 0) return nullptr;
    return child;
  }

  ~ChildProcess() {
    CloseStdin();
    if (stdout_fd_ >= 0) close(stdout_fd_);
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  /// Next stdout line without the newline, or nullopt on EOF/timeout.
  std::optional<std::string> ReadLine(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) return std::nullopt;
    }
  }

  /// Everything the child writes to stdout until it closes it (or the timeout passes).
  std::string ReadAll(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !ReadSome(static_cast<int>(left.count()))) break;
    }
    return std::move(buffer_);
  }

  bool WriteLine(const std::string& line) {
    const std::string data = line + "\n";
    return write(stdin_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }

  void CloseStdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }

  /// True while the process has not exited.
  bool Running() {
    if (exited_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      status_ = status;
    }
    return !exited_;
  }

  /// Waits for exit; returns the exit code, or 128+signal, or -1 on timeout.
  int Wait(int timeout_ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Running()) {
      if (std::chrono::steady_clock::now() > deadline) return -1;
      usleep(10000);
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

  void Signal(int sig) { kill(pid_, sig); }

 private:
  ChildProcess() = default;

  bool ReadSome(int timeout_ms) {
    if (stdout_fd_ < 0) return false;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    char chunk[65536];
    const ssize_t n = read(stdout_fd_, chunk, sizeof(chunk));
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  bool exited_ = false;
  int status_ = 0;
};

std::string BinDir() {
  const char* dir = std::getenv("SLUICE_BIN_DIR");
  return dir != nullptr ? dir : "bin";
}

std::string Tool(const std::string& name) { return BinDir() + "/" + name; }

int RunToCompletion(const std::vector<std::string>& args, int timeout_ms = 60000) {
  auto child = ChildProcess::Start(args, false, false);
  if (!child) return -2;
  return child->Wait(timeout_ms);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& name) {
  return testing::TempDir() + "/kafka_tools_" + std::to_string(getpid()) + "_" + name;
}

bool HaveKcat() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"}) {
    if (access((std::string(dir) + "/kcat").c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A running sluice-mock-kafka with its bootstrap address read from the first stdout line.
struct MockKafkaProcess {
  std::unique_ptr<ChildProcess> process;
  std::string bootstraps;
};

MockKafkaProcess StartMockKafka(const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {Tool("sluice-mock-kafka")};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  MockKafkaProcess mock;
  mock.process = ChildProcess::Start(args, true, true);
  if (!mock.process) return mock;
  mock.bootstraps = mock.process->ReadLine(10000).value_or("");
  return mock;
}

TEST(SluiceMockKafka, StoresEveryFakeFlightSpreadOverAllPartitions) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t", "--partitions", "8"});
  ASSERT_TRUE(mock.process);
  ASSERT_EQ(mock.bootstraps.rfind("127.0.0.1:", 0), 0u) << mock.bootstraps;
  mock.process->CloseStdin();  // the mock must keep serving after stdin EOF

  ASSERT_EQ(RunToCompletion({Tool("sluice-fake-flights"), "--count", "50000", "--brokers",
                             mock.bootstraps, "--topic", "t"}),
            0);
  auto counts = CountPartitionMessages(mock.bootstraps, "t", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  ASSERT_EQ(counts->size(), 8u);
  int64_t total = 0;
  for (size_t p = 0; p < counts->size(); ++p) {
    EXPECT_GT(counts.value()[p], 0) << "partition " << p << " got nothing";
    total += counts.value()[p];
  }
  EXPECT_EQ(total, 50000);

  if (!HaveKcat()) {
    GTEST_SKIP() << "kcat not installed (apt-get install kcat); skipping the read-back check";
  }
  auto kcat = ChildProcess::Start(
      {"kcat", "-C", "-b", mock.bootstraps, "-t", "t", "-o", "beginning", "-e", "-q"}, false, true);
  ASSERT_TRUE(kcat);
  const std::string out = kcat->ReadAll(60000);
  EXPECT_EQ(kcat->Wait(10000), 0);

  std::vector<bool> seen(50001, false);
  simdjson::dom::parser parser;
  size_t lines = 0;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    if (nl == std::string::npos) nl = out.size();
    const std::string_view line(out.data() + pos, nl - pos);
    pos = nl + 1;
    ++lines;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(line.data(), line.size()).get(doc), simdjson::SUCCESS) << line;
    uint64_t id = 0;
    ASSERT_EQ(doc["flight_id"].get(id), simdjson::SUCCESS) << line;
    ASSERT_GE(id, 1u);
    ASSERT_LE(id, 50000u);
    EXPECT_FALSE(seen[id]) << "flight_id " << id << " read twice";
    seen[id] = true;
  }
  EXPECT_EQ(lines, 50000u);
  EXPECT_EQ(std::count(seen.begin() + 1, seen.end(), true), 50000);
}

TEST(SluiceFakeFlights, NdjsonOutputIsDeterministicForASeed) {
  const std::string a = TempPath("a.ndjson");
  const std::string b = TempPath("b.ndjson");
  const std::string c = TempPath("c.ndjson");
  const std::string tool = Tool("sluice-fake-flights");
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "42", "--output", a}), 0);
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "42", "--output", b}), 0);
  ASSERT_EQ(RunToCompletion({tool, "--count", "2000", "--seed", "43", "--output", c}), 0);
  const std::string text_a = ReadFile(a);
  EXPECT_EQ(std::count(text_a.begin(), text_a.end(), '\n'), 2000);
  EXPECT_EQ(text_a, ReadFile(b));
  EXPECT_NE(text_a, ReadFile(c));
  std::remove(a.c_str());
  std::remove(b.c_str());
  std::remove(c.c_str());
}

TEST(SluiceFakeFlights, WritesNdjsonToStdoutStartingAtFirstId) {
  auto child = ChildProcess::Start(
      {Tool("sluice-fake-flights"), "--count", "3", "--first-id", "100", "--output", "-"}, false,
      true);
  ASSERT_TRUE(child);
  const std::string out = child->ReadAll(20000);
  EXPECT_EQ(child->Wait(10000), 0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
  EXPECT_NE(out.find("\"flight_id\":100}\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\"flight_id\":102}\n"), std::string::npos) << out;
}

TEST(SluiceFakeFlights, ExitsNonZeroWhenDeliveriesFail) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t", "--partitions", "2"});
  ASSERT_TRUE(mock.process);
  ASSERT_TRUE(mock.process->WriteLine("push-errors Produce TOPIC_AUTHORIZATION_FAILED 1000"));
  EXPECT_EQ(mock.process->ReadLine(10000).value_or("").rfind("ok ", 0), 0u);
  EXPECT_EQ(RunToCompletion({Tool("sluice-fake-flights"), "--count", "100", "--brokers",
                             mock.bootstraps, "--topic", "t", "-X", "message.timeout.ms=5000"}),
            1);
}

TEST(SluiceFakeFlights, RejectsMissingDestination) {
  EXPECT_EQ(RunToCompletion({Tool("sluice-fake-flights"), "--count", "1"}), 2);
}

TEST(SluiceMockKafka, ControlInterfaceAnswersEachCommand) {
  MockKafkaProcess mock = StartMockKafka({"--broker-count", "3", "--topic", "t"});
  ASSERT_TRUE(mock.process);
  EXPECT_EQ(std::count(mock.bootstraps.begin(), mock.bootstraps.end(), ','), 2) << mock.bootstraps;
  auto ask = [&](const std::string& command) {
    EXPECT_TRUE(mock.process->WriteLine(command));
    return mock.process->ReadLine(10000).value_or("<no answer>");
  };
  EXPECT_EQ(ask("broker-down 2"), "ok broker 2 down");
  EXPECT_EQ(ask("broker-up 2"), "ok broker 2 up");
  EXPECT_EQ(ask("broker-down 4").rfind("error ", 0), 0u);
  EXPECT_EQ(ask("rtt 1 20"), "ok broker 1 rtt 20 ms");
  EXPECT_EQ(ask("push-errors OffsetCommit REBALANCE_IN_PROGRESS 1").rfind("ok pushed 1", 0), 0u);
  EXPECT_EQ(ask("create-topic more 5"), "ok topic more partitions 5");
  EXPECT_EQ(ask("bogus").rfind("error ", 0), 0u);

  // After stdin closes the cluster keeps serving until signalled.
  mock.process->CloseStdin();
  auto counts = CountPartitionMessages(mock.bootstraps, "more", 10000);
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->size(), 5u);
  EXPECT_TRUE(mock.process->Running());
  mock.process->Signal(SIGTERM);
  EXPECT_EQ(mock.process->Wait(10000), 0);
}

TEST(SluiceMockKafka, QuitCommandStopsTheProcess) {
  MockKafkaProcess mock = StartMockKafka({});
  ASSERT_TRUE(mock.process);
  ASSERT_TRUE(mock.process->WriteLine("quit"));
  EXPECT_EQ(mock.process->ReadLine(10000).value_or(""), "ok bye");
  EXPECT_EQ(mock.process->Wait(10000), 0);
}

TEST(SluiceMockKafka, SigintStopsTheProcessCleanly) {
  MockKafkaProcess mock = StartMockKafka({"--topic", "t"});
  ASSERT_TRUE(mock.process);
  ASSERT_FALSE(mock.bootstraps.empty());
  mock.process->Signal(SIGINT);
  EXPECT_EQ(mock.process->Wait(10000), 0);
}

}  // namespace
}  // namespace sluice
