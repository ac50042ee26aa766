// File: bench/batcher/batcher_bench.cpp
// Benchmarks MicroBatcher serialization into the FeatureBase body framing
// ({"records":[{"value":V},...]}): chunks of ~400-byte flight-shaped JSON values (already in
// RecordChunk::output, as the parse+map node leaves them) are added and every sealed batch is
// dropped in the emit callback (the sender frees it in the real pipeline). Reports output body
// bytes/s and records/s for a few --batch-size / --batch-bytes settings, including the
// defaults (500 records, 4 MiB), so the cost of the per-batch reserve(max_bytes) shows up.
// keyed:1 gives every record a Kafka key and one header (engine/record_meta.h), which the
// batcher copies into the batch for a possible dead letter.
// Single-threaded: the batcher runs on one serial graph node.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/record_chunk.h"
#include "stages/batcher/micro_batcher.h"
#include "stages/sink_formats/featurebase_format.h"

namespace {

constexpr size_t kChunkRecords = 2000;  // the CLI's --chunk-records default

// One flight-shaped JSON object of roughly 400 bytes; varies with `id` so values differ.
std::string FlightJson(uint64_t id) {
  static const char* const kAirlines[] = {"Maya Island Air", "Aegean Airlines", "Air Canada",
                                          "Qantas", "Scandinavian Airlines System"};
  static const char* const kCities[] = {"Hanoi", "Geneva", "Toronto", "Sydney", "Stockholm"};
  char buf[768];
  int n = std::snprintf(
      buf, sizeof(buf),
      "{\"airline\":\"%s\",\"origin\":{\"airport\":\"%s International Airport\",\"iata\":\"HAN\","
      "\"icao\":\"VVNB\",\"city\":\"%s\",\"state\":\"Ha Noi\",\"country\":\"Vietnam\"},"
      "\"destination\":{\"airport\":\"%s Airport\",\"iata\":\"GVA\",\"icao\":\"LSGG\","
      "\"city\":\"%s\",\"state\":\"Canton of Geneva\",\"country\":\"Switzerland\"},"
      "\"stops\":\"%s\",\"price\":%llu.%02llu,\"flight_id\":%llu}",
      kAirlines[id % 5], kCities[(id + 1) % 5], kCities[(id + 1) % 5], kCities[(id + 3) % 5],
      kCities[(id + 3) % 5], (id % 3 == 0) ? "non-stop" : "1 stop",
      static_cast<unsigned long long>(100 + id % 900), static_cast<unsigned long long>(id % 100),
      static_cast<unsigned long long>(id));
  return std::string(buf, static_cast<size_t>(n));
}

// A chunk whose `output` holds kChunkRecords accepted values back to back.
sluice::RecordChunk MakeChunk(uint64_t first_id, bool keyed) {
  sluice::RecordChunk chunk;
  chunk.created = sluice::RecordChunk::Clock::now();
  for (size_t i = 0; i < kChunkRecords; ++i) {
    const std::string value = FlightJson(first_id + i);
    sluice::InputRecord in;
    in.position.stream = static_cast<uint32_t>(i % 8);
    in.position.offset = static_cast<int64_t>(first_id + i);
    chunk.records.push_back(in);
    if (keyed) {
      const std::string key = "flight-" + std::to_string(first_id + i);
      chunk.AttachMeta(key.data(), key.size(), false);
      chunk.AppendHeader("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", 55);
    }
    sluice::OutputRecord out;
    out.begin = static_cast<uint32_t>(chunk.output.size());
    out.length = static_cast<uint32_t>(value.size());
    chunk.output.append(value);
    chunk.outputs.push_back(out);
  }
  return chunk;
}

// Args: {max_records, max_bytes, keyed}.
void BM_MicroBatcherFeatureBase(benchmark::State& state) {
  sluice::stages::BatchPolicy policy;
  policy.max_records = static_cast<uint32_t>(state.range(0));
  policy.max_bytes = static_cast<size_t>(state.range(1));
  policy.linger_ms = 1000;
  auto format = std::make_shared<const sluice::stages::FeatureBaseFormat>();
  auto created = sluice::stages::MicroBatcher::Create(policy, format);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  std::unique_ptr<sluice::stages::MicroBatcher> batcher = std::move(created).value();
  const sluice::RecordChunk chunk = MakeChunk(1, state.range(2) != 0);

  uint64_t body_bytes = 0;
  uint64_t batches = 0;
  uint64_t records = 0;
  const sluice::BatchAssembler::Emit emit = [&](std::unique_ptr<sluice::Batch> batch) {
    body_bytes += batch->payload.size();
    records += batch->records.size();
    ++batches;
    benchmark::DoNotOptimize(batch->payload.data());
    // `batch` is freed here, as the sender would after the answer.
  };
  const auto now = sluice::RecordChunk::Clock::now();
  for (auto _ : state) {
    batcher->Add(chunk, now, emit);
  }
  batcher->Flush(emit);
  state.SetBytesProcessed(static_cast<int64_t>(body_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.counters["batches"] = static_cast<double>(batches);
  state.counters["value_bytes_avg"] =
      static_cast<double>(chunk.output.size()) / static_cast<double>(kChunkRecords);
}

BENCHMARK(BM_MicroBatcherFeatureBase)
    ->ArgNames({"batch_size", "batch_bytes", "keyed"})
    ->Args({500, 4 << 20, 0})       // CLI defaults: reserves 4 MiB per ~210 KB batch
    ->Args({500, 256 << 10, 0})     // cap close to the real body size: small reserve
    ->Args({5000, 4 << 20, 0})
    ->Args({5000, 16 << 20, 0})
    ->Args({500, 4 << 20, 1})       // every record with a key and a header
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
