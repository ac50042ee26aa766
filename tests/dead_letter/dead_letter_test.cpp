// Dead-letter sinks: exact NDJSON lines on disk, and Kafka messages (value + headers) read back
// from librdkafka's in-process mock cluster.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "stages/dead_letter/dead_letter_line.h"
#include "stages/dead_letter/make_dead_letter_sink.h"
#include "tests/kafka_source/mock_cluster.h"

namespace sluice::stages {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) { return "/tmp/sluice_dlq_" + std::to_string(::getpid()) + "_" + name; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RejectedRecord Rejected(std::string bytes, std::string reason, RejectStage stage, int64_t offset) {
  RejectedRecord r;
  r.position = SourcePosition{0, 1, offset};
  r.bytes = std::move(bytes);
  r.reason = std::move(reason);
  r.stage = stage;
  return r;
}

TEST(FileDeadLetterSink, WritesExactNdjsonLines) {
  const std::string path = TempPath("exact.ndjson");
  ::unlink(path.c_str());
  {
    auto sink = MakeDeadLetterSink("file:" + path, "", {});
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)
                    ->Write(Rejected("{\"a\":\"x\"}\n", "missing field \"id\"", RejectStage::kMap, 42),
                            StreamInfo{"flights", 3})
                    .ok());
    // Flush makes the line durable: it is in the file before the sink is closed.
    ASSERT_TRUE((*sink)->Flush().ok());
    EXPECT_EQ(ReadFile(path),
              "{\"reason\":\"missing field \\\"id\\\"\",\"stage\":\"map\",\"topic\":\"flights\",\"partition\":3,"
              "\"offset\":42,\"key\":null,\"headers\":[],\"value\":\"{\\\"a\\\":\\\"x\\\"}\\n\"}\n");
    ASSERT_TRUE((*sink)
                    ->Write(Rejected(std::string("\xff\x00\x01", 3), "not JSON", RejectStage::kParse, 7),
                            StreamInfo{"flights", 0})
                    .ok());
    ASSERT_TRUE((*sink)
                    ->Write(Rejected("", "empty record (tombstone)", RejectStage::kParse, 8), StreamInfo{"flights", 0})
                    .ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  EXPECT_EQ(ReadFile(path),
            "{\"reason\":\"missing field \\\"id\\\"\",\"stage\":\"map\",\"topic\":\"flights\",\"partition\":3,"
            "\"offset\":42,\"key\":null,\"headers\":[],\"value\":\"{\\\"a\\\":\\\"x\\\"}\\n\"}\n"
            "{\"reason\":\"not JSON\",\"stage\":\"parse\",\"topic\":\"flights\",\"partition\":0,"
            "\"offset\":7,\"key\":null,\"headers\":[],\"value\":\"/wAB\",\"value_encoding\":\"base64\"}\n"
            "{\"reason\":\"empty record (tombstone)\",\"stage\":\"parse\",\"topic\":\"flights\",\"partition\":0,"
            "\"offset\":8,\"key\":null,\"headers\":[],\"value\":\"\"}\n");
  ::unlink(path.c_str());
}

RejectedRecord WithOrigin(RejectedRecord r, const char* key, bool null_value,
                          std::vector<std::pair<std::string, const char*>> headers) {
  r.origin.has_key = key != nullptr;
  if (key != nullptr) r.origin.key = key;
  r.origin.null_value = null_value;
  for (const auto& [name, value] : headers) {
    AppendHeader(r.origin.headers, name, value, value == nullptr ? 0 : std::strlen(value));
  }
  return r;
}

TEST(FileDeadLetterSink, KeepsKeyHeadersAndNullValueApart) {
  const std::string path = TempPath("origin.ndjson");
  ::unlink(path.c_str());
  {
    auto sink = MakeDeadLetterSink("file:" + path, "", {});
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    // A tombstone: null value, key "k1", a header with a value and one with a null value.
    ASSERT_TRUE((*sink)
                    ->Write(WithOrigin(Rejected("", "null value (tombstone)", RejectStage::kParse, 5), "k1", true,
                                       {{"trace", "abc"}, {"empty", nullptr}}),
                            StreamInfo{"t", 0})
                    .ok());
    // An empty (not null) value with an empty key, and binary key and header bytes.
    ASSERT_TRUE(
        (*sink)
            ->Write(WithOrigin(Rejected("", "invalid JSON", RejectStage::kParse, 6), "", false, {}), StreamInfo{"t", 0})
            .ok());
    ASSERT_TRUE((*sink)
                    ->Write(WithOrigin(Rejected("{}", "sink said no", RejectStage::kSink, 7), "\xff\x01", false,
                                       {{"bin", "\xfe"}}),
                            StreamInfo{"t", 1})
                    .ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  EXPECT_EQ(ReadFile(path),
            "{\"reason\":\"null value (tombstone)\",\"stage\":\"parse\",\"topic\":\"t\",\"partition\":0,\"offset\":5,"
            "\"key\":\"k1\",\"headers\":[{\"name\":\"trace\",\"value\":\"abc\"},{\"name\":\"empty\",\"value\":null}],"
            "\"value\":null}\n"
            "{\"reason\":\"invalid JSON\",\"stage\":\"parse\",\"topic\":\"t\",\"partition\":0,\"offset\":6,"
            "\"key\":\"\",\"headers\":[],\"value\":\"\"}\n"
            "{\"reason\":\"sink said no\",\"stage\":\"sink\",\"topic\":\"t\",\"partition\":1,\"offset\":7,"
            "\"key\":\"/wE=\",\"key_encoding\":\"base64\",\"headers\":[{\"name\":\"bin\",\"value\":\"/g==\","
            "\"value_encoding\":\"base64\"}],\"value\":\"{}\"}\n");
  ::unlink(path.c_str());
}

TEST(FileDeadLetterSink, CreatesTheFileOwnerOnly) {
  const std::string path = TempPath("mode.ndjson");
  ::unlink(path.c_str());
  const mode_t old_umask = ::umask(0022);  // a usual umask: would leave a default-mode file 0644
  auto sink = MakeDeadLetterSink("file:" + path, "", {});
  ::umask(old_umask);
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ::unlink(path.c_str());
}

TEST(FileDeadLetterSink, AppendsToExistingFile) {
  const std::string path = TempPath("append.ndjson");
  { std::ofstream(path) << "old\n"; }
  {
    auto sink = MakeDeadLetterSink("file:" + path, "", {});
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(Rejected("v", "r", RejectStage::kSink, 1), StreamInfo{"t", 0}).ok());
  }
  EXPECT_EQ(ReadFile(path),
            "old\n{\"reason\":\"r\",\"stage\":\"sink\",\"topic\":\"t\",\"partition\":0,\"offset\":1,\"key\":null,"
            "\"headers\":[],\"value\":\"v\"}\n");
  ::unlink(path.c_str());
}

TEST(MakeDeadLetterSink, RejectsBadSpecs) {
  auto unknown = MakeDeadLetterSink("s3:bucket", "localhost:9092", {});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("file:PATH or kafka:TOPIC"));
  EXPECT_EQ(MakeDeadLetterSink("file:", "", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDeadLetterSink("file:/nonexistent-dir/x", "", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDeadLetterSink("kafka:", "localhost:9092", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeDeadLetterSink("kafka:dlq", "", {}).status().code(), StatusCode::kInvalidArgument);
  auto bad_prop = MakeDeadLetterSink("kafka:dlq", "localhost:9092", {{"no.such.property", "1"}});
  EXPECT_EQ(bad_prop.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_prop.status().message(), HasSubstr("no.such.property"));
}

TEST(DeadLetterLine, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));      // truncated
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64Encode("abc"), "YWJj");
  EXPECT_EQ(Base64Encode("a"), "YQ==");
}

// Reads `want` messages of topic/partition 0 from the beginning (assign, no subscription).
struct CopiedMessage {
  std::string value;
  bool value_null = false;
  bool key_null = true;
  std::string key;
  std::map<std::string, std::string> headers;
  std::vector<std::string> header_order;  ///< names in order; "<null>" marks a null value
};

std::vector<CopiedMessage> ReadCopies(const std::string& topic, size_t want) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", sluice::testing::SharedMockCluster().bootstraps().c_str(), err,
                    sizeof(err));
  rd_kafka_conf_set(conf, "group.id", "dlq-reader", err, sizeof(err));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<CopiedMessage> out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      CopiedMessage c;
      c.value_null = m->payload == nullptr;
      if (m->payload != nullptr) c.value.assign(static_cast<const char*>(m->payload), m->len);
      c.key_null = m->key == nullptr;
      if (m->key != nullptr) c.key.assign(static_cast<const char*>(m->key), m->key_len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
          if (value != nullptr) c.headers[name].assign(static_cast<const char*>(value), size);
          c.header_order.push_back(std::string(name) + (value == nullptr ? "=<null>" : ""));
        }
      }
      out.push_back(std::move(c));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

TEST(KafkaDeadLetterSink, ProducesOriginalBytesWithHeaders) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("dlq", 1);
  auto sink = MakeDeadLetterSink("kafka:dlq", mc.bootstraps(), {{"log_level", "3"}});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)
                  ->Write(Rejected("{\"broken\":", "parse error: unclosed object", RejectStage::kParse, 17),
                          StreamInfo{"flights", 2})
                  .ok());
  ASSERT_TRUE(
      (*sink)
          ->Write(Rejected(std::string("\x00\xff", 2), "not JSON", RejectStage::kParse, 18), StreamInfo{"flights", 2})
          .ok());
  ASSERT_TRUE((*sink)->Flush().ok());

  std::vector<CopiedMessage> got = ReadCopies("dlq", 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].value, "{\"broken\":");
  EXPECT_EQ(got[0].headers, (std::map<std::string, std::string>{{"sluice.reason", "parse error: unclosed object"},
                                                                {"sluice.stage", "parse"},
                                                                {"sluice.topic", "flights"},
                                                                {"sluice.partition", "2"},
                                                                {"sluice.offset", "17"}}));
  EXPECT_EQ(got[1].value, std::string("\x00\xff", 2));
  EXPECT_EQ(got[1].headers["sluice.offset"], "18");
}

TEST(KafkaDeadLetterSink, KeepsKeyOriginalHeadersAndNullValue) {
  auto& mc = sluice::testing::SharedMockCluster();
  mc.CreateTopic("dlq-origin", 1);
  // A weakening -X is ignored (with a warning), not applied.
  auto sink = MakeDeadLetterSink("kafka:dlq-origin", mc.bootstraps(), {{"log_level", "3"}, {"acks", "1"}});
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  ASSERT_TRUE((*sink)
                  ->Write(WithOrigin(Rejected("", "null value (tombstone)", RejectStage::kParse, 3), "user-7", true,
                                     {{"trace", "t-1"}, {"nothing", nullptr}}),
                          StreamInfo{"flights", 0})
                  .ok());
  ASSERT_TRUE((*sink)
                  ->Write(WithOrigin(Rejected("", "invalid JSON", RejectStage::kParse, 4), nullptr, false, {}),
                          StreamInfo{"flights", 0})
                  .ok());
  ASSERT_TRUE((*sink)->Flush().ok());

  std::vector<CopiedMessage> got = ReadCopies("dlq-origin", 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].value_null);
  EXPECT_FALSE(got[0].key_null);
  EXPECT_EQ(got[0].key, "user-7");
  EXPECT_EQ(got[0].header_order, (std::vector<std::string>{"trace", "nothing=<null>", "sluice.reason", "sluice.stage",
                                                           "sluice.topic", "sluice.partition", "sluice.offset"}));
  EXPECT_EQ(got[0].headers["trace"], "t-1");
  EXPECT_EQ(got[0].headers["sluice.reason"], "null value (tombstone)");
  EXPECT_FALSE(got[1].value_null);  // empty, not null
  EXPECT_EQ(got[1].value, "");
  EXPECT_TRUE(got[1].key_null);
}

}  // namespace
}  // namespace sluice::stages
