// File: tests/bad_input/bad_input_test.cpp
// A corpus of bad records (invalid JSON of many shapes, wrong types for every column type of
// the flights schema, missing/invalid _id, huge numbers, deep nesting, invalid UTF-8, a 10 MB
// message, non-object documents, duplicate keys, ...) mixed among good fake flights. Each is run
// through `sluice run --until-caught-up --dlq file:PATH` from the mock Kafka cluster (and the
// NDJSON-representable ones from --source file:) into the sink emulator. Checked: exit 0, every
// good record stored, every bad record dead-lettered exactly once with a reason naming the
// problem, nothing else dead-lettered.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/integration_env.h"
#include "stages/generator_source/flight_generator.h"

namespace sluice::it {
namespace {

constexpr int kRunTimeoutMs = 150000;
constexpr uint64_t kGoodCount = 1500;

struct BadKind {
  std::string name;
  std::string bytes;    ///< the record as produced
  std::string keyword;  ///< must appear in its dead-letter reason
  bool in_ndjson = true;  ///< false: cannot be one NDJSON line (raw newline, empty)
};

std::string Flight(uint64_t id, const std::string& extra) {
  return R"({"airline":"Bad Air","stops":"non-stop","price":120.5,"origin":{"airport":"A","iata":"AAA"},)" +
         extra + (extra.empty() ? "" : ",") + "\"flight_id\":" + std::to_string(id) + "}";
}

std::vector<BadKind> Corpus() {
  using namespace std::string_literals;
  std::vector<BadKind> k;
  uint64_t id = 900000;
  auto add = [&k](std::string name, std::string bytes, std::string keyword, bool ndjson = true) {
    k.push_back({std::move(name), std::move(bytes), std::move(keyword), ndjson});
  };
  std::string full = Flight(++id, "");
  add("truncated JSON", full.substr(0, full.size() / 2), "invalid JSON");
  add("truncated after a key", R"({"flight_id":900002,"airline":)", "invalid JSON");
  add("string column given an object", Flight(++id, R"("destination":{"airport":{"name":"X"}})"),
      "expected a string, got an object");
  add("string column given an array", R"({"airline":["a","b"],"flight_id":900004})",
      "expected a string, got an array");
  add("object on a path given a string", R"({"origin":"HAN","flight_id":900005})", "expected an object at");
  add("decimal with 3 fractional digits", R"({"price":641.005,"flight_id":900006})", "fractional digits");
  add("decimal string with 3 fractional digits", R"({"price":"1.005","flight_id":900007})", "fractional digits");
  add("price as a non-numeric string", R"({"price":"cheap","flight_id":900008})", "is not a number");
  add("price as a boolean", R"({"price":true,"flight_id":900009})", "expected a decimal number");
  add("price out of decimal(18,2)", R"({"price":1e17,"flight_id":900010})", "out of range");
  add("price 1e400", R"({"price":1e400,"flight_id":900011})", "out of range");
  add("_id negative", R"({"airline":"N","flight_id":-5})", "is negative");
  add("_id as float", R"({"airline":"F","flight_id":12.5})", "is not an integer");
  add("_id missing", R"({"airline":"no id at all 900014"})", "missing _id");
  add("_id null", R"({"airline":"null id","flight_id":null})", "missing _id");
  add("_id as non-numeric string", R"({"airline":"S","flight_id":"abc"})", "is not a number");
  add("_id 99999999999999999999999", R"({"airline":"H","flight_id":99999999999999999999999})", "out of range");
  add("_id as object", R"({"airline":"O","flight_id":{"v":1}})", "expected an unsigned id");
  add("deep nesting (10000 levels)",
      "{\"flight_id\":900019,\"x\":" + std::string(10000, '[') + std::string(10000, ']') + "}", "invalid JSON");
  add("deep nesting unterminated", "{\"flight_id\":900020,\"x\":" + std::string(10000, '{'), "invalid JSON");
  add("invalid UTF-8 in a value", "{\"airline\":\"bad \xff\xfe utf8\",\"flight_id\":900021}", "invalid JSON");
  add("invalid UTF-8 in a key", "{\"air\xc3\x28line\":\"x\",\"flight_id\":900022}", "invalid JSON");
  add("overlong UTF-8", "{\"airline\":\"\xc0\xaf\",\"flight_id\":900023}", "invalid JSON");
  // 10 MB of one repeated letter: compresses to almost nothing, so the mock keeps it.
  add("10 MB message", "{\"airline\":\"" + std::string(10u << 20, 'a') + "\",\"flight_id\":900024}",
      "exceeds --max-record-bytes");
  add("empty message", "", "invalid JSON", /*ndjson=*/false);
  add("JSON null", "null", "not a JSON object");
  add("JSON array", R"([{"flight_id":900027}])", "not a JSON object");
  add("bare string", R"("flight 900028")", "not a JSON object");
  add("bare number", "900029", "not a JSON object");
  add("duplicate keys", R"({"airline":"a","airline":"b","flight_id":900030})", "duplicate key");
  add("duplicate _id via an escaped key", R"({"flight_id":900031,"flight\u005fid":900032})", "duplicate key");
  add("trailing garbage", R"({"airline":"t","flight_id":900033}garbage)", "invalid JSON");
  add("two objects", R"({"flight_id":900034} {"flight_id":900035})", "invalid JSON");
  add("unescaped control character", "{\"airline\":\"tab\x01here\",\"flight_id\":900036}", "invalid JSON");
  add("raw newline in a string", "{\"airline\":\"line\nbreak\",\"flight_id\":900037}", "invalid JSON",
      /*ndjson=*/false);
  add("bad escape \\x", R"({"airline":"bad \x41 escape","flight_id":900038})", "invalid JSON");
  add("lone surrogate \\ud800", R"({"airline":"\ud800","flight_id":900039})", "invalid JSON");
  add("NUL byte", "{\"airline\":\"nul\0byte\",\"flight_id\":900040}"s, "invalid JSON");
  add("single quotes", R"({'flight_id':900041})", "invalid JSON");
  add("leading zero number", R"({"price":0123,"flight_id":900042})", "invalid JSON");
  return k;
}

// A good record whose _id key is written with an escape: must map like "flight_id".
const char* kEscapedKeyGood = R"({"airline":"Escaped Key Air","price":10,"flight\u005fid":777777})";

struct DlqEntry {
  std::string reason;
  std::string value;  ///< original bytes (base64 decoded when needed)
};

std::string Base64Decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

bool ReadDlq(const std::string& path, std::vector<DlqEntry>* out, std::string* error) {
  const std::string text = ReadFileText(path);
  simdjson::dom::parser parser;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    simdjson::dom::element e;
    std::string_view reason, value, encoding;
    if (parser.parse(padded).get(e) || e["reason"].get_string().get(reason) || e["value"].get_string().get(value)) {
      *error = "bad dead-letter line: " + line.substr(0, 300);
      return false;
    }
    DlqEntry d;
    d.reason = std::string(reason);
    d.value = std::string(value);
    if (!e["value_encoding"].get_string().get(encoding) && encoding == "base64") d.value = Base64Decode(value);
    out->push_back(std::move(d));
  }
  return true;
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    corpus_ = Corpus();
    std::string error;
    emulator_ = EmulatorProcess::Start(kAccount, &error);
    ASSERT_NE(emulator_, nullptr) << error;
  }
  void TearDown() override { RemoveTree(dir_); }

  /// Good flights 1..kGoodCount with the escaped-key record and the selected bad kinds spread
  /// among them, in a fixed order.
  std::vector<std::string> Records(bool ndjson_only, std::vector<const BadKind*>* used) {
    FlightGenerator gen(/*seed=*/7, /*first_id=*/1);
    std::vector<std::string> out;
    size_t next_bad = 0;
    for (uint64_t i = 0; i < kGoodCount; ++i) {
      std::string flight;
      gen.Next(flight);
      out.push_back(std::move(flight));
      if (i == kGoodCount / 2) out.emplace_back(kEscapedKeyGood);
      if (i % 30 == 5 && next_bad < corpus_.size()) {
        const BadKind& k = corpus_[next_bad++];
        if (ndjson_only && !k.in_ndjson) continue;
        out.push_back(k.bytes);
        used->push_back(&k);
      }
    }
    for (; next_bad < corpus_.size(); ++next_bad) {
      if (ndjson_only && !corpus_[next_bad].in_ndjson) continue;
      out.push_back(corpus_[next_bad].bytes);
      used->push_back(&corpus_[next_bad]);
    }
    return out;
  }

  /// Runs sluice, then checks exit, sink content and the dead-letter file.
  void RunAndCheck(SluiceRun run, const std::string& sink, const std::vector<const BadKind*>& bad) {
    const std::string dlq = dir_ + "/dlq-" + sink + ".ndjson";
    const std::string report = dir_ + "/report-" + sink + ".json";
    run.args.insert(run.args.end(), {"--until-caught-up", "--dlq", "file:" + dlq, "--report", report});
    testing::ProcessResult r = testing::RunProcess(run.Options(), kRunTimeoutMs);
    ASSERT_FALSE(r.timed_out) << r.err;
    ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 4000);
    const std::string json = ReadFileText(report);
    EXPECT_EQ(ReportInt(json, "delivered"), static_cast<int64_t>(kGoodCount + 1)) << json;

    SinkStats stats = emulator_->Stats(sink);
    ASSERT_TRUE(stats.ok);
    EXPECT_EQ(stats.distinct_ids, kGoodCount + 1);  // + the escaped-key record
    EXPECT_EQ(stats.duplicates, 0u);
    EXPECT_EQ(stats.rejected, 0u);
    const std::vector<std::string> ids = RowIds(emulator_->Rows(sink));
    EXPECT_NE(std::find(ids.begin(), ids.end(), "777777"), ids.end()) << "escaped-key record not stored";
    for (const auto& id : ids) {
      const uint64_t v = std::strtoull(id.c_str(), nullptr, 10);
      EXPECT_TRUE((v >= 1 && v <= kGoodCount) || v == 777777) << "a bad record was stored: " << id;
    }

    std::vector<DlqEntry> entries;
    std::string error;
    ASSERT_TRUE(ReadDlq(dlq, &entries, &error)) << error;
    EXPECT_EQ(entries.size(), bad.size());
    std::map<std::string, std::vector<const DlqEntry*>> by_value;
    for (const auto& e : entries) by_value[e.value].push_back(&e);
    for (const BadKind* k : bad) {
      auto it = by_value.find(k->bytes);
      if (it == by_value.end()) {
        ADD_FAILURE() << k->name << ": not in the dead-letter file";
        continue;
      }
      EXPECT_EQ(it->second.size(), 1u) << k->name << ": dead-lettered " << it->second.size() << " times";
      const std::string& reason = it->second[0]->reason;
      std::printf("  %-40s -> %s\n", k->name.c_str(), reason.substr(0, 110).c_str());
      EXPECT_NE(reason.find(k->keyword), std::string::npos)
          << k->name << ": reason \"" << reason << "\" lacks \"" << k->keyword << "\"";
    }
  }

  std::string dir_;
  std::vector<BadKind> corpus_;
  std::unique_ptr<EmulatorProcess> emulator_;
};

// Produces `records` in order to partition 0 of `topic` (zstd, 20 MB message limit).
std::string Produce(const std::string& brokers, const std::string& topic, const std::vector<std::string>& records) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  const std::vector<std::pair<const char*, std::string>> props = {
      {"bootstrap.servers", brokers}, {"compression.type", "zstd"}, {"message.max.bytes", "20000000"},
      {"linger.ms", "5"}, {"enable.idempotence", "false"}};
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return std::string(k) + ": " + err;
    }
  }
  rd_kafka_t* p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (p == nullptr) return err;
  std::string failure;
  for (const auto& r : records) {
    rd_kafka_resp_err_t e;
    while ((e = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
                                  RD_KAFKA_V_VALUE(const_cast<char*>(r.data()), r.size()),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END)) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(p, 50);
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failure = std::string("produce: ") + rd_kafka_err2str(e);
      break;
    }
    rd_kafka_poll(p, 0);
  }
  if (rd_kafka_flush(p, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR && failure.empty()) failure = "flush timed out";
  if (failure.empty() && rd_kafka_outq_len(p) != 0) failure = "messages left in the queue";
  rd_kafka_destroy(p);
  return failure;
}

TEST_F(BadInput, KafkaCorpusGoesToTheDeadLetterFileOnceEach) {
  std::string error;
  auto kafka = MockKafkaProcess::Start({}, &error);
  ASSERT_NE(kafka, nullptr) << error;
  ASSERT_EQ(kafka->CreateTopic("bad", 1), "");
  std::vector<const BadKind*> bad;
  const std::vector<std::string> records = Records(/*ndjson_only=*/false, &bad);
  ASSERT_GE(bad.size(), 20u);
  ASSERT_EQ(Produce(kafka->bootstrap(), "bad", records), "");
  std::vector<int64_t> high = HighWatermarks(kafka->bootstrap(), "bad", 1, &error);
  ASSERT_EQ(high.size(), 1u) << error;
  ASSERT_EQ(high[0], static_cast<int64_t>(records.size())) << "the mock did not keep every record";

  SluiceRun run = KafkaRun(*emulator_, "bad_kafka", kafka->bootstrap(), "bad", "bad-input");
  RunAndCheck(run, "bad_kafka", bad);
}

TEST_F(BadInput, FileCorpusGoesToTheDeadLetterFileOnceEach) {
  std::vector<const BadKind*> bad;
  const std::vector<std::string> records = Records(/*ndjson_only=*/true, &bad);
  ASSERT_GE(bad.size(), 20u);
  std::string text;
  for (const auto& r : records) text += r + "\n";
  const std::string path = dir_ + "/corpus.ndjson";
  WriteFileText(path, text);
  SluiceRun run = FileRun(*emulator_, "bad_file", "file:" + path);
  RunAndCheck(run, "bad_file", bad);
}

}  // namespace
}  // namespace sluice::it
