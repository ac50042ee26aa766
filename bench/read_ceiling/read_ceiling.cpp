// File: bench/read_ceiling/read_ceiling.cpp
// sluice-read-ceiling: the fastest a librdkafka consumer reads a topic on this machine, the
// "read ceiling" bench/e2e/run compares sluice with on a real broker. It assigns every partition
// of the topic from offset 0 (no group, no commits), drains the consumer queue with
// rd_kafka_consume_batch_queue() and only counts messages and payload bytes until every
// partition reached the end offset it had at the start; then prints one JSON line:
//   {"messages":N,"bytes":B,"streaming_seconds":S,"records_per_s":R}
// streaming_seconds runs from the first message to the last, like sluice's report.
// Used by bench/e2e/run only. Thread-safety: single-threaded program.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

void Usage() {
  std::fprintf(stderr,
               "usage: sluice-read-ceiling --brokers HOST:PORT --topic T [--batch N] [-X key=value]...\n"
               "Counts every message of T from offset 0 to the end offsets at start; prints one JSON line.\n");
}

bool Set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "sluice-read-ceiling: %s=%s: %s\n", key.c_str(), value.c_str(), err);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string brokers, topic;
  size_t batch = 10000;
  std::vector<std::pair<std::string, std::string>> props;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--brokers" && has_value) {
      brokers = argv[++i];
    } else if (a == "--topic" && has_value) {
      topic = argv[++i];
    } else if (a == "--batch" && has_value) {
      batch = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "-X" && has_value) {
      const std::string kv = argv[++i];
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) {
        Usage();
        return 2;
      }
      props.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else {
      Usage();
      return 2;
    }
  }
  if (brokers.empty() || topic.empty() || batch == 0) {
    Usage();
    return 2;
  }

  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // No group: a plain assign() needs a group.id only for commits, which this never does.
  if (!Set(conf, "bootstrap.servers", brokers) || !Set(conf, "group.id", "sluice-read-ceiling") ||
      !Set(conf, "enable.auto.commit", "false") || !Set(conf, "enable.auto.offset.store", "false") ||
      !Set(conf, "enable.partition.eof", "true")) {
    return 2;
  }
  for (const auto& [k, v] : props) {
    if (!Set(conf, k, v)) return 2;
  }
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (rk == nullptr) {
    std::fprintf(stderr, "sluice-read-ceiling: %s\n", err);
    return 1;
  }

  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_resp_err_t rc = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "sluice-read-ceiling: no metadata for %s: %s\n", topic.c_str(),
                 rd_kafka_err2str(rc != RD_KAFKA_RESP_ERR_NO_ERROR ? rc : md->topics[0].err));
    return 1;
  }
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);

  // The end offsets at start: a partition is done once its next offset reaches its end.
  std::vector<int64_t> end(partitions, 0);
  int64_t expected = 0;
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  int open = 0;
  for (int p = 0; p < partitions; ++p) {
    int64_t low = 0, high = 0;
    rc = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000);
    if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "sluice-read-ceiling: watermarks of partition %d: %s\n", p, rd_kafka_err2str(rc));
      return 1;
    }
    end[p] = high;
    expected += high - low;
    if (high > low) {
      rd_kafka_topic_partition_list_add(assignment, topic.c_str(), p)->offset = low;
      ++open;
    }
  }
  rc = rd_kafka_assign(rk, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  if (rc != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::fprintf(stderr, "sluice-read-ceiling: assign: %s\n", rd_kafka_err2str(rc));
    return 1;
  }

  rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(rk);
  std::vector<rd_kafka_message_t*> msgs(batch);
  std::vector<bool> done(partitions, false);
  int64_t count = 0, bytes = 0;
  std::chrono::steady_clock::time_point first, last;
  while (open > 0) {
    const ssize_t n = rd_kafka_consume_batch_queue(queue, 1000, msgs.data(), batch);
    if (n < 0) {
      std::fprintf(stderr, "sluice-read-ceiling: consume: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      return 1;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = msgs[i];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (count == 0) first = std::chrono::steady_clock::now();
        ++count;
        bytes += static_cast<int64_t>(m->len);
        const int p = m->partition;
        if (p >= 0 && p < partitions && !done[p] && m->offset + 1 >= end[p]) {
          done[p] = true;
          --open;
        }
      } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        // The end can lie past the last message (e.g. a transaction marker): EOF there ends it too.
        const int p = m->partition;
        if (p >= 0 && p < partitions && !done[p] && m->offset >= end[p]) {
          done[p] = true;
          --open;
        }
      } else {
        std::fprintf(stderr, "sluice-read-ceiling: %s\n", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
  }
  last = std::chrono::steady_clock::now();
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  const double seconds = count > 0 ? std::chrono::duration<double>(last - first).count() : 0.0;
  std::printf("{\"messages\":%lld,\"bytes\":%lld,\"streaming_seconds\":%.6f,\"records_per_s\":%.0f}\n",
              static_cast<long long>(count), static_cast<long long>(bytes), seconds,
              seconds > 0 ? static_cast<double>(count) / seconds : 0.0);
  if (count != expected) {
    std::fprintf(stderr, "sluice-read-ceiling: read %lld of %lld messages\n", static_cast<long long>(count),
                 static_cast<long long>(expected));
    return 1;
  }
  return 0;
}
