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
#include "app/pipeline_setup/pipeline_setup.h"
#include "devtools/fake_flights/flight_producer.h"
#include "devtools/mock_kafka/mock_cluster.h"
#include "engine/log.h"
#include "stages/generator_source/flight_generator.h"

namespace sluice::cli {
namespace {

struct Column {
  std::string name;
  std::vector<std::string> path;
  int scale = -1;  ///< decimal scale, -1 when not a decimal
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// The schema's columns, read independently of the schema-map stage so the check is not circular.
StatusOr<std::vector<Column>> LoadColumns(const std::string& schema_path, const std::string& table_path) {
  simdjson::dom::parser parser;
  std::vector<Column> columns;
  simdjson::dom::element schema;
  if (parser.parse(simdjson::padded_string(ReadFile(schema_path))).get(schema)) return InvalidArgument("bad " + schema_path);
  for (simdjson::dom::element e : schema.get_array()) {
    Column c;
    c.name = std::string(e["name"].get_string().value());
    for (simdjson::dom::element k : e["path"].get_array()) c.path.emplace_back(k.get_string().value());
    columns.push_back(std::move(c));
  }
  simdjson::dom::parser parser2;
  simdjson::dom::element table;
  if (parser2.parse(simdjson::padded_string(ReadFile(table_path))).get(table)) return InvalidArgument("bad " + table_path);
  for (simdjson::dom::element e : table.get_array()) {
    std::string_view name = e["name"].get_string().value();
    std::string_view type = e["type"].get_string().value();
    int64_t scale = 0;
    if (type == "decimal") {
      if (e["scale"].get_int64().get(scale)) scale = 0;
      for (auto& c : columns)
        if (c.name == name) c.scale = static_cast<int>(scale);
    }
  }
  return columns;
}

/// A JSON value as the sink should store it, as text: strings as themselves, numbers as their
/// text, decimals with exactly `scale` fractional digits.
std::string Normalize(simdjson::dom::element v, int scale) {
  if (v.is_string()) return std::string(v.get_string().value());
  std::string text = simdjson::minify(v);
  if (scale >= 0) {
    // The fake data's prices are integers; a decimal column shows them with `scale` digits.
    const auto dot = text.find('.');
    size_t frac = dot == std::string::npos ? 0 : text.size() - dot - 1;
    if (dot == std::string::npos && scale > 0) text += '.';
    for (; frac < static_cast<size_t>(scale); ++frac) text += '0';
  }
  return text;
}

Status VerifySink(const std::string& base_url, const std::vector<Column>& columns, uint64_t records, uint64_t seed) {
  StatusOr<tools::HttpResponse> rows = tools::HttpGet(base_url + "/rows");
  if (!rows.ok()) return rows.status();
  if (rows->status != 200) return DataLoss("sink rows: HTTP " + std::to_string(rows->status));
  std::map<std::string, std::map<std::string, std::string>> stored;  // _id -> column -> value
  simdjson::ondemand::parser row_parser;
  std::istringstream lines(rows->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    // On-Demand keeps each number's text as the sink wrote it ("641.00"), which a DOM would not.
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    if (row_parser.iterate(padded).get(doc) || doc.get_object().get(obj))
      return DataLoss("sink returned a row that is not a JSON object");
    std::map<std::string, std::string> values;
    for (auto field : obj) {
      std::string_view key;
      simdjson::ondemand::value v;
      if (field.unescaped_key().get(key) || field.value().get(v)) return DataLoss("bad row from the sink");
      std::string text;
      std::string_view sv;
      if (v.type().value() == simdjson::ondemand::json_type::string) {
        if (v.get_string().get(sv)) return DataLoss("bad string in a row from the sink");
        text = std::string(sv);
      } else {
        sv = v.raw_json_token();
        while (!sv.empty() && (sv.back() == ' ' || sv.back() == '\n' || sv.back() == ',')) sv.remove_suffix(1);
        text = std::string(sv);
      }
      values[std::string(key)] = std::move(text);
    }
    stored[values["_id"]] = std::move(values);
  }
  simdjson::dom::parser parser;
  if (stored.size() != records)
    return DataLoss("sink holds " + std::to_string(stored.size()) + " distinct ids, expected " + std::to_string(records));
  FlightGenerator gen(seed, 1);
  std::string json;
  uint64_t mismatches = 0;
  std::string first_mismatch;
  for (uint64_t i = 0; i < records; ++i) {
    json.clear();
    gen.Next(json);
    simdjson::dom::element flight;
    if (parser.parse(simdjson::padded_string(json)).get(flight)) return Internal("generator produced invalid JSON");
    std::map<std::string, std::string> expected;
    for (const Column& c : columns) {
      simdjson::dom::element v = flight;
      bool found = true;
      for (const auto& k : c.path) {
        if (v.at_key(k).get(v)) {
          found = false;
          break;
        }
      }
      if (found) expected[c.name] = Normalize(v, c.scale);
    }
    auto it = stored.find(expected["_id"]);
    if (it == stored.end()) {
      ++mismatches;
      if (first_mismatch.empty()) first_mismatch = "id " + expected["_id"] + " missing";
      continue;
    }
    for (const auto& [name, value] : expected) {
      auto v = it->second.find(name);
      if (v == it->second.end() || v->second != value) {
        ++mismatches;
        if (first_mismatch.empty())
          first_mismatch = "id " + expected["_id"] + " column " + name + ": expected \"" + value + "\", sink has \"" +
                           (v == it->second.end() ? std::string("<missing>") : v->second) + "\"";
        break;
      }
    }
  }
  if (mismatches) return DataLoss(std::to_string(mismatches) + " rows differ from the source; first: " + first_mismatch);
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
  StatusOr<std::vector<Column>> columns = LoadColumns(schema, table);
  if (!columns.ok()) {
    Logf(LogLevel::kError, "demo", "%s", columns.status().message().c_str());
    return 1;
  }
  Status v = VerifySink(sink, *columns, demo.records, demo.seed);
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
