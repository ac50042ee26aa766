#include "app/demo/demo_command.h"

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "app/common/child_process.h"
#include "app/common/http_get.h"
#include "app/common/install_layout.h"
#include "app/demo/expected_rows.h"
#include "app/pipeline_setup/pipeline_setup.h"
#include "devtools/fake_flights/flight_producer.h"
#include "devtools/mock_kafka/mock_cluster.h"
#include "engine/log.h"
#include "stages/generator_source/flight_generator.h"

namespace sluice::cli {
namespace {

/// The sink's rows against the expectation (exact, column by column: expected_rows.h).
Status VerifySink(const std::string& base_url, const expect::ExpectedRows& expected) {
  StatusOr<tools::HttpResponse> rows = tools::HttpGet(base_url + "/rows");
  if (!rows.ok()) return rows.status();
  if (rows->status != 200) return DataLoss("sink rows: HTTP " + std::to_string(rows->status));
  const std::string difference = expect::CompareRows(rows->body, expected.rows());
  if (!difference.empty()) return DataLoss("the sink differs from the source: " + difference);
  return Status::Ok();
}

}  // namespace

int DemoCommand(const DemoOptions& demo, RunOptions run, const std::atomic<int>* stop) {
  const std::string examples = demo.examples_dir.empty() ? tools::FlightsExamplesDir() : demo.examples_dir;
  const std::string schema = examples + "/schema.json";
  const std::string table = examples + "/table.json";
  // The emulator and the example files come with sluice (build/bin + build/share in a build tree,
  // /usr/bin + /usr/share/sluice once installed); name the missing one instead of failing later.
  const std::string emulator_path = tools::ExecutableDir() + "/sluice-sink-emulator";
  std::error_code ec;
  if (!std::filesystem::exists(schema, ec) || !std::filesystem::exists(table, ec)) {
    Logf(LogLevel::kError, "demo", "no schema.json and table.json in %s (give --examples-dir)", examples.c_str());
    return 2;
  }
  if (access(emulator_path.c_str(), X_OK) != 0) {
    Logf(LogLevel::kError, "demo", "the sink emulator %s is missing: it is installed beside sluice",
         emulator_path.c_str());
    return 2;
  }
  Logf(LogLevel::kInfo, "demo", "%llu fake flights, mock Kafka (%d partitions) -> sluice -> sink emulator",
       static_cast<unsigned long long>(demo.records), demo.partitions);

  auto cluster = MockCluster::Create(1);
  if (!cluster.ok()) {
    Logf(LogLevel::kError, "demo", "mock Kafka: %s", cluster.status().message().c_str());
    return 1;
  }
  const std::string topic = "flights";
  if (Status s = (*cluster)->CreateTopic(topic, demo.partitions); !s.ok()) {
    Logf(LogLevel::kError, "demo", "%s", s.message().c_str());
    return 1;
  }
  const std::string brokers = (*cluster)->Bootstraps();

  // The emulator holds one demo account; its password reaches both sides through the
  // environment only, never the command line.
  const std::string password = "demo-" + std::to_string(getpid());
  setenv("SLUICE_USERNAME", "demo", 1);
  setenv("SLUICE_PASSWORD", password.c_str(), 1);
  auto emulator = tools::ChildProcess::Start(
      {emulator_path, "--port", "0", "--schema", schema, "--table", table},
      {"SLUICE_EMULATOR_USERS=demo:" + password});
  if (!emulator.ok()) {
    Logf(LogLevel::kError, "demo", "%s", emulator.status().message().c_str());
    return 1;
  }
  StatusOr<std::string> first = (*emulator)->ReadLine(10000);
  if (!first.ok() || first->find("listening on ") != 0) {
    Logf(LogLevel::kError, "demo", "the sink emulator did not start");
    return 1;
  }
  const std::string address = first->substr(std::string("listening on ").size());
  const std::string base = "http://" + address;
  const std::string sink = base + "/v2/sinks/demo";

  run.source = "kafka";
  run.brokers = brokers;
  run.topics = {topic};
  run.group = "sluice-demo";
  run.schema_file = schema;
  run.table_file = table;
  run.payload = demo.payload;
  run.sink_urls = {sink};
  run.sink_format = "featurebase";
  run.auth = "featurebase";
  run.auth_url = base + "/auth";
  run.until_caught_up = false;

  auto built = BuildRun(run);
  if (!built.ok()) {
    Logf(LogLevel::kError, "demo", "configuration error: %s", built.status().message().c_str());
    return 2;
  }

  // Producer thread, as in the tutorial; the pipeline stops (drains) once every record produced
  // has been acknowledged.
  std::atomic<int> pipeline_stop{0};
  std::atomic<bool> produced{false};
  Status produce_status;
  std::thread producer([&] {
    produce_status = ProduceFlights(brokers, topic, demo.records, demo.seed, 1, {});
    produced.store(true);
  });
  const Pipeline& pipeline = *(*built)->pipeline;
  std::thread watcher([&] {
    while (true) {
      const int signals = stop ? stop->load() : 0;
      if (signals > 0) {
        pipeline_stop.store(signals);
        if (signals >= 2) return;
      }
      const auto& c = pipeline.counters();
      if (produced.load() && (!produce_status.ok() || c.delivered.load() + c.rejected.load() >= demo.records)) {
        pipeline_stop.store(1);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  RunSummary summary;
  Status s = ExecuteRun(**built, &pipeline_stop, summary);
  pipeline_stop.store(std::max(pipeline_stop.load(), 1));
  producer.join();
  watcher.join();
  RunSummary figures = summary;
  figures.error.clear();  // said once, by the log line below
  std::fputs(figures.ToText().c_str(), stdout);
  if (!produce_status.ok()) {
    Logf(LogLevel::kError, "demo", "producing failed: %s", produce_status.message().c_str());
    return 1;
  }
  if (!s.ok()) {
    Logf(LogLevel::kError, "demo", "run failed: %s", s.message().c_str());
    return 1;
  }
  expect::ExpectedRows expected(schema, table);
  if (!expected.ok() || !expected.AddGenerated(demo.seed, demo.records)) {
    Logf(LogLevel::kError, "demo", "%s", expected.error().c_str());
    return 1;
  }
  Status v = VerifySink(sink, expected);
  if (!v.ok()) {
    Logf(LogLevel::kError, "demo", "verification FAILED: %s", v.message().c_str());
    return 1;
  }
  std::printf("demo: %llu of %llu records delivered and verified (%.0f records/s streaming)\n",
              static_cast<unsigned long long>(summary.delivered), static_cast<unsigned long long>(demo.records),
              summary.streaming_records_per_s);
  return 0;
}

}  // namespace sluice::cli
