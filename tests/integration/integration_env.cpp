#include "tests/integration/integration_env.h"

#include <librdkafka/rdkafka.h>
#include <simdjson.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "stages/generator_source/flight_generator.h"

namespace sluice::it {

using testing::FindOnPath;

bool HaveKcat() { return !FindOnPath("kcat").empty(); }

std::string MakeTempDir() { return testing::MakeTempDir("it"); }

void RemoveTree(const std::string& dir) {
  if (dir.find("/sluice-it-") == std::string::npos) return;  // only what MakeTempDir made
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---------------------------------------------------------------------------------------------
// Processes

testing::ProcessOptions SluiceRun::Options() const {
  testing::ProcessOptions o = testing::SluiceRunOptions(args, env);
  o.stdin_path = stdin_path;
  return o;
}

namespace {
SluiceRun BaseRun(const EmulatorProcess& emu, const std::string& sink) {
  SluiceRun r;
  r.args = testing::SinkArgs(emu, sink);
  r.env = testing::CredentialEnv(kAccount);
  return r;
}
}  // namespace

SluiceRun KafkaRun(const EmulatorProcess& emu, const std::string& sink, const std::string& brokers,
                   const std::string& topic, const std::string& group) {
  SluiceRun r = BaseRun(emu, sink);
  const std::vector<std::string> kafka = testing::KafkaArgs(brokers, topic, group);
  r.args.insert(r.args.end(), kafka.begin(), kafka.end());
  return r;
}

SluiceRun FileRun(const EmulatorProcess& emu, const std::string& sink, const std::string& source) {
  SluiceRun r = BaseRun(emu, sink);
  r.args.insert(r.args.end(), {"--source", source});
  return r;
}

testing::ProcessResult KcatProduceFile(const std::string& brokers, const std::string& topic, const std::string& file,
                                       int partition) {
  testing::ProcessOptions o;
  o.argv = {"/usr/bin/kcat", "-P", "-b", brokers, "-t", topic, "-l", file};
  if (partition >= 0) o.argv.insert(o.argv.end(), {"-p", std::to_string(partition)});
  // kcat may live elsewhere on PATH; posix_spawn does not search it, so resolve here.
  const std::string found = FindOnPath("kcat");
  if (!found.empty()) o.argv[0] = found;
  return testing::RunProcess(o, 60000);
}

std::string KeyedFlights(uint64_t first_id, int count, const std::string& key_prefix) {
  FlightGenerator gen(77, first_id);
  std::string text;
  std::string json;
  for (int i = 0; i < count; ++i) {
    json.clear();
    const uint64_t id = gen.next_id();
    gen.Next(json);
    text += key_prefix + std::to_string(id) + ":" + json + "\n";
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Kafka

namespace {

rd_kafka_t* NewConsumer(const std::string& brokers, const std::string& group, std::string* error) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "group.id", group.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
      rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    *error = err;
    rd_kafka_conf_destroy(conf);
    return nullptr;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    *error = err;
    rd_kafka_conf_destroy(conf);
  }
  return rk;
}

}  // namespace

std::vector<int64_t> CommittedOffsets(const std::string& brokers, const std::string& group, const std::string& topic,
                                      int partitions, std::string* error) {
  rd_kafka_t* rk = NewConsumer(brokers, group, error);
  if (rk == nullptr) return {};
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
  std::vector<int64_t> out;
  const rd_kafka_resp_err_t err = rd_kafka_committed(rk, list, 15000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *error = std::string("rd_kafka_committed: ") + rd_kafka_err2str(err);
  } else {
    out.assign(static_cast<size_t>(partitions), RD_KAFKA_OFFSET_INVALID);
    for (int i = 0; i < list->cnt; ++i) {
      const auto& tp = list->elems[i];
      if (tp.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        *error = std::string("partition ") + std::to_string(tp.partition) + ": " + rd_kafka_err2str(tp.err);
        out.clear();
        break;
      }
      out[static_cast<size_t>(tp.partition)] = tp.offset;
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return out;
}

std::vector<int64_t> HighWatermarks(const std::string& brokers, const std::string& topic, int partitions,
                                    std::string* error) {
  rd_kafka_t* rk = NewConsumer(brokers, "sluice-it-watermarks", error);
  if (rk == nullptr) return {};
  std::vector<int64_t> out;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 15000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = std::string("watermarks: ") + rd_kafka_err2str(err);
      out.clear();
      break;
    }
    if (low != 0) {
      *error = "partition " + std::to_string(p) + " lost records (low watermark " + std::to_string(low) +
               "): the mock keeps ~5 MiB per partition";
      out.clear();
      break;
    }
    out.push_back(high);
  }
  rd_kafka_destroy(rk);
  return out;
}

void StartSuiteProcesses(const SuiteSetup& setup, std::unique_ptr<EmulatorProcess>* emulator,
                         std::unique_ptr<MockKafkaProcess>* kafka) {
  std::string error;
  if (!setup.emulator_per_test) {
    *emulator = EmulatorProcess::Start(kAccount, &error);
    ASSERT_NE(*emulator, nullptr) << error;
  }
  if (!setup.mock_kafka) return;
  *kafka = MockKafkaProcess::Start({.brokers = 0,
                                    .topic = setup.topic,
                                    .partitions = setup.partitions,
                                    .honour_allow_auto_create = setup.honour_allow_auto_create},
                                   &error);
  ASSERT_NE(*kafka, nullptr) << error;
  if (!setup.topic.empty() && setup.count > 0) {
    testing::ProcessResult p = ProduceFlights((*kafka)->bootstrap(), setup.topic, setup.count, setup.seed);
    ASSERT_EQ(p.exit_code, 0) << p.err;
  }
}

}  // namespace sluice::it
