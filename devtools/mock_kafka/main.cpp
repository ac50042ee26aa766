// File: devtools/mock_kafka/main.cpp
// sluice-mock-kafka: librdkafka's mock Kafka cluster (librdkafka 2.0.2) on loopback, for demos,
// integration tests and benchmarks without a real broker.
//
// Output contract: the FIRST line on stdout is the bootstrap address list
// ("127.0.0.1:PORT[,127.0.0.1:PORT...]"), flushed at once; after that every stdin control
// command gets exactly one "ok ..." / "error ..." line (see control_commands.h). The process
// runs until SIGINT/SIGTERM or "quit"; closing stdin does NOT stop it (tests may close it).
//
// Limits of the mock cluster, which shape what can be tested with it:
//  - each partition keeps at most ~5 MiB of record batches and silently drops the oldest
//    batches beyond that (the low watermark moves up), so produce < 5 MiB per partition (after
//    compression) when a test must read everything back;
//  - a new consumer group join takes ~3 s (the mock's group initial rebalance delay);
//  - a consumer that left the group is kept until its session times out (45 s by default), so a
//    second run in the same group waits that long: tests pass -X session.timeout.ms=6000;
//  - no CreateTopics admin API (use --topic or create-topic), no persistence, no replication:
//    broker-down disconnects a broker without moving partition leadership;
//  - topics that a producer asks for are auto-created with the mock's default partition count;
//    so is every topic a consumer names, unless --honour-allow-auto-create is given.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "devtools/mock_kafka/control_commands.h"
#include "devtools/mock_kafka/mock_cluster.h"

namespace {

// Owns the cluster pointer shared by the signal-waiting main thread and the stdin reader; the
// mutex makes sure a command never runs while (or after) the cluster is destroyed.
struct SharedCluster {
  std::mutex mu;
  std::unique_ptr<sluice::MockCluster> cluster;
};

void ReadControlCommands(SharedCluster* shared) {
  std::string line;
  while (std::getline(std::cin, line)) {
    bool quit = false;
    std::string answer;
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      if (!shared->cluster) return;
      answer = sluice::ExecuteControlCommand(*shared->cluster, line, &quit);
    }
    if (!answer.empty()) {
      std::fputs(answer.c_str(), stdout);
      std::fputc('\n', stdout);
      std::fflush(stdout);
    }
    if (quit) {
      // Wakes the sigwait() in main; SIGTERM is blocked in every thread, so it stays pending.
      kill(getpid(), SIGTERM);
      return;
    }
  }
  // EOF: keep serving Kafka until signalled.
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice-mock-kafka: librdkafka mock Kafka cluster on 127.0.0.1"};
  int broker_count = 1;
  int partitions = 8;
  std::vector<std::string> topics;
  bool no_auto_create = false;
  app.add_option("--broker-count", broker_count, "Number of mock brokers")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--topic", topics, "Topic to create (repeatable)");
  app.add_option("--partitions", partitions, "Partitions per --topic")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_flag("--honour-allow-auto-create", no_auto_create,
               "Create a missing topic only for clients that allow it (allow.auto.create.topics); "
               "without this flag the mock creates every topic a Metadata request names");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before librdkafka starts its threads so they inherit the mask and
  // only this thread's sigwait() ever sees SIGINT/SIGTERM.
  // A background job started by a non-interactive shell inherits SIGINT as ignored, and an
  // ignored signal is discarded instead of becoming pending for sigwait(); a no-op handler
  // restores delivery.
  struct sigaction on_stop {};
  on_stop.sa_handler = [](int) {};
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A test that stops reading our stdout must not kill us with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);

  auto created = sluice::MockCluster::Create(broker_count);
  if (!created.ok()) {
    std::fprintf(stderr, "sluice-mock-kafka: %s\n", created.status().ToString().c_str());
    return 1;
  }
  auto shared = std::make_unique<SharedCluster>();
  shared->cluster = std::move(created).value();
  if (no_auto_create) {
    sluice::Status st = shared->cluster->HonourAllowAutoCreate();
    if (!st.ok()) {
      std::fprintf(stderr, "sluice-mock-kafka: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  for (const std::string& topic : topics) {
    sluice::Status st = shared->cluster->CreateTopic(topic, partitions);
    if (!st.ok()) {
      std::fprintf(stderr, "sluice-mock-kafka: %s\n", st.ToString().c_str());
      return 1;
    }
  }

  std::printf("%s\n", shared->cluster->Bootstraps().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "sluice-mock-kafka: %d broker(s), %zu topic(s) created; "
               "commands on stdin; Ctrl-C to stop\n",
               broker_count, topics.size());

  // Detached: std::getline cannot be interrupted, and the process exits right after shutdown.
  std::thread(ReadControlCommands, shared.get()).detach();

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->cluster.reset();
  }
  // `shared` is deliberately leaked: the detached reader may still hold a pointer to it.
  (void)shared.release();
  return 0;
}
