#include "tests/testing/kafka_cluster.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/testing/subprocess.h"

namespace sluice::testing {

namespace {

constexpr int kStartTimeoutMs = 180000;  // the script's own readiness timeout is 90 s per node
constexpr int kStopTimeoutMs = 60000;

std::string SourceDir() {
  const char* dir = std::getenv("SLUICE_SOURCE_DIR");
  return dir && *dir ? dir : SLUICE_TESTING_SOURCE_DIR;
}

std::string ScriptPath() { return SourceDir() + "/devtools/kafka_broker/kafka-cluster"; }

std::string LibDir() {
  const char* lib = std::getenv("KAFKA_BROKER_LIB");
  return lib && *lib ? lib : SourceDir() + "/devtools/kafka_broker/target/lib";
}

bool HasKafkaJar(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("kafka_2.13-", 0) == 0 && name.size() > 4 && name.substr(name.size() - 4) == ".jar") return true;
  }
  return false;
}

std::string MakeClusterDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/sluice-kafka-XXXXXX";
  if (mkdtemp(path.data()) == nullptr) return "";
  return path;
}

// KafkaClusterEnvironment's state: one cluster per process.
std::unique_ptr<KafkaCluster>& EnvCluster() {
  static std::unique_ptr<KafkaCluster> cluster;
  return cluster;
}
std::string& EnvSkipReason() {
  static std::string reason;
  return reason;
}

}  // namespace

bool RealKafkaRequired() {
  const char* v = std::getenv("SLUICE_REQUIRE_REAL_KAFKA");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

std::string KafkaCluster::Unavailable() {
  for (const char* tool : {"java", "kcat", "openssl"}) {
    if (FindOnPath(tool).empty()) return std::string(tool) + " is not installed (run .ci/install-deps)";
  }
  if (access("/usr/bin/python3", X_OK) != 0) return "/usr/bin/python3 is not installed (run .ci/install-deps)";
  if (!HasKafkaJar(LibDir()))
    return "the Kafka broker's classpath is not resolved in " + LibDir() +
           " (run .ci/install-deps or devtools/kafka_broker/resolve)";
  return "";
}

std::string KafkaCluster::RunScript(const std::vector<std::string>& args, int timeout_ms, std::string* out) const {
  ProcessOptions o;
  o.argv = {"/bin/bash", ScriptPath()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = {"KAFKA_BROKER_LIB=" + LibDir()};
  ProcessResult r = RunProcess(o, timeout_ms);
  if (out) *out = r.out;
  if (r.timed_out)
    return "kafka-cluster " + args.at(0) + " did not finish within " + std::to_string(timeout_ms) + " ms\n" + r.err;
  if (r.exit_code != 0)
    return "kafka-cluster " + args.at(0) + " failed (exit " + std::to_string(r.exit_code) + "):\n" + r.err;
  return "";
}

std::unique_ptr<KafkaCluster> KafkaCluster::Start(const KafkaClusterOptions& options, std::string* error) {
  auto cluster = std::unique_ptr<KafkaCluster>(new KafkaCluster());
  cluster->dir_ = MakeClusterDir();
  if (cluster->dir_.empty()) {
    *error = "cannot make a temporary folder for the cluster";
    return nullptr;
  }
  std::string out;
  const std::string failed =
      cluster->RunScript({"start", "--dir", cluster->dir_, "--nodes", std::to_string(options.nodes),
                          "--partitions-default", std::to_string(options.partitions_default), "--min-isr",
                          std::to_string(options.min_isr), "--owner-pid", std::to_string(getpid())},
                         kStartTimeoutMs, &out);
  if (!failed.empty()) {
    *error = failed;
    cluster->Stop();
    return nullptr;
  }
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "USER") {
      // MECHANISM:NAME:PASSWORD; the password is hex, the name has no colon.
      const size_t a = value.find(':');
      const size_t b = value.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      cluster->users_.push_back({value.substr(0, a), value.substr(a + 1, b - a - 1), value.substr(b + 1)});
    } else {
      cluster->values_[key] = value;
    }
  }
  cluster->ca_path_ = cluster->values_["CA"];
  cluster->untrusted_ca_path_ = cluster->values_["UNTRUSTED_CA"];
  cluster->kafka_version_ = cluster->values_["KAFKA_VERSION"];
  cluster->startup_ms_ = std::atoll(cluster->values_["STARTUP_MS"].c_str());
  if (cluster->plaintext().empty() || cluster->ca_path_.empty() || cluster->users_.empty()) {
    *error = "kafka-cluster start printed no addresses/CA/users:\n" + out;
    cluster->Stop();
    return nullptr;
  }
  return cluster;
}

KafkaCluster::~KafkaCluster() { Stop(); }

void KafkaCluster::Stop() {
  if (stopped_ || dir_.empty()) return;
  stopped_ = true;
  (void)RunScript({"stop", "--dir", dir_}, kStopTimeoutMs, nullptr);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string KafkaCluster::StopNode(int n) {
  return RunScript({"stop-node", "--dir", dir_, std::to_string(n)}, kStopTimeoutMs, nullptr);
}

std::string KafkaCluster::StartNode(int n) {
  return RunScript({"start-node", "--dir", dir_, std::to_string(n)}, kStartTimeoutMs, nullptr);
}

std::string KafkaCluster::Bootstrap(const std::string& listener) const {
  const auto it = values_.find(listener);
  return it == values_.end() ? "" : it->second;
}

const KafkaUser* KafkaCluster::User(const std::string& mechanism) const {
  for (const auto& u : users_)
    if (u.mechanism == mechanism) return &u;
  return nullptr;
}

std::string KafkaCluster::CreateTopic(const std::string& topic, int partitions, int replication,
                                      const std::map<std::string, std::string>& configs) const {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", plaintext().c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return errstr;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) return errstr;
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, errstr, sizeof errstr);
  std::string result;
  if (new_topic == nullptr) {
    result = errstr;
  } else {
    for (const auto& [key, value] : configs) rd_kafka_NewTopic_set_config(new_topic, key.c_str(), value.c_str());
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(admin, 30000, errstr, sizeof errstr);
    rd_kafka_CreateTopics(rk, &new_topic, 1, admin, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
    if (event == nullptr) {
      result = "CreateTopics: no answer within 60 s";
    } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = std::string("CreateTopics: ") + rd_kafka_event_error_string(event);
    } else {
      size_t count = 0;
      const rd_kafka_topic_result_t** results =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
      for (size_t i = 0; i < count; ++i) {
        if (rd_kafka_topic_result_error(results[i]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* message = rd_kafka_topic_result_error_string(results[i]);
          result = "CreateTopics " + topic + ": " + (message ? message : "failed");
        }
      }
    }
    if (event) rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(admin);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
  }
  rd_kafka_destroy(rk);
  return result;
}

void KafkaClusterEnvironment::SetUp() {
  const std::string unavailable = KafkaCluster::Unavailable();
  if (!unavailable.empty()) {
    if (RealKafkaRequired()) {
      ADD_FAILURE() << "SLUICE_REQUIRE_REAL_KAFKA is set but no Kafka broker can start: " << unavailable;
    } else {
      EnvSkipReason() =
          "no real Kafka broker: " + unavailable + " (SLUICE_REQUIRE_REAL_KAFKA=1 turns this into a failure)";
    }
    return;
  }
  std::string error;
  EnvCluster() = KafkaCluster::Start(options_, &error);
  if (!EnvCluster()) {
    ADD_FAILURE() << "starting the real Kafka cluster failed: " << error;
    return;
  }
  std::printf("[ kafka    ] Kafka %s, %d node(s), started in %lld ms; PLAINTEXT %s\n",
              EnvCluster()->kafka_version().c_str(), options_.nodes, static_cast<long long>(EnvCluster()->startup_ms()),
              EnvCluster()->plaintext().c_str());
}

void KafkaClusterEnvironment::TearDown() { EnvCluster().reset(); }

KafkaCluster* KafkaClusterEnvironment::Current() { return EnvCluster().get(); }

const std::string& KafkaClusterEnvironment::skip_reason() { return EnvSkipReason(); }

}  // namespace sluice::testing
