// Benchmarks the fused parse+map transform over ~10000 fake flight records (tutorial shape),
// in both payload modes, single- and two-threaded, and the same records with spaces (the path
// for records that are not compact). Reports bytes/s and items/s of input, and
// heap allocations per record in the timed loop, counted by replacing malloc and operator new
// in this binary (must be 0 once the buffers have grown). Two baselines over the same chunks,
// so that figures can be quoted as ratios on a shared machine: BM_BaselineMemcpy (each record
// appended to the chunk's output, as raw mode does at best) and BM_BaselineOnDemand (simdjson
// On-Demand visiting every field and value of each record, no mapping).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <simdjson.h>

#include "stages/schema_map/schema_map_transform.h"

// --- allocation counting hook -----------------------------------------------------------------
// glibc exports its allocator under __libc_*; replacing the public names in the executable
// interposes every malloc of the process (simdjson, std::string, benchmark itself).
extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}
namespace {
thread_local uint64_t t_allocations = 0;  // per thread, so Threads(2) counts each worker
}
extern "C" void* malloc(size_t n) {
  ++t_allocations;
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  ++t_allocations;
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  ++t_allocations;
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) { __libc_free(p); }
extern "C" int posix_memalign(void** out, size_t alignment, size_t n) {
  ++t_allocations;
  *out = __libc_memalign(alignment, n);
  return *out ? 0 : 12;  // ENOMEM
}
extern "C" void* aligned_alloc(size_t alignment, size_t n) {
  ++t_allocations;
  return __libc_memalign(alignment, n);
}
void* operator new(size_t n) {
  if (void* p = malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return malloc(n ? n : 1); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { free(p); }

namespace sluice::stages {
namespace {

constexpr int kRecords = 10000;
constexpr int kRecordsPerChunk = 1000;

// The tutorial's schema.json + table.json, inline so the benchmark runs from any directory.
constexpr const char* kSchema = R"([
 {"name":"airline","path":["airline"]},{"name":"stops","path":["stops"]},
 {"name":"price","path":["price"]},
 {"name":"origin_airport","path":["origin","airport"]},{"name":"origin_iata","path":["origin","iata"]},
 {"name":"origin_icao","path":["origin","icao"]},{"name":"origin_loc_city","path":["origin","city"]},
 {"name":"origin_loc_state","path":["origin","state"]},
 {"name":"origin_loc_country","path":["origin","country"]},
 {"name":"destination_airport","path":["destination","airport"],"type":"string"},
 {"name":"destination_iata","path":["destination","iata"],"type":"string"},
 {"name":"destination_icao","path":["destination","icao"]},
 {"name":"destination_loc_city","path":["destination","city"]},
 {"name":"destination_loc_state","path":["destination","state"]},
 {"name":"destination_loc_country","path":["destination","country"]},
 {"name":"_id","path":["flight_id"]}])";
constexpr const char* kTable = R"([{"name":"_id","type":"id"},{"name":"airline","type":"string"},
 {"name":"stops","type":"string"},{"name":"price","type":"decimal","scale":2}])";

struct Airport {
  const char* airport;
  const char* iata;
  const char* icao;
  const char* city;
  const char* state;
  const char* country;
};
constexpr Airport kAirports[] = {
    {"Noi Bai Airport", "HAN", "VVNB", "Hanoi", "Ha Noi", "Vietnam"},
    {"Jorge Chavez International Airport", "LIM", "SPJC", "Lima", "Lima", "Peru"},
    {"Heathrow Airport", "LHR", "EGLL", "London", "England", "United Kingdom"},
    {"Los Angeles International Airport", "LAX", "KLAX", "Los Angeles", "California", "United States"},
    {"Flughafen München", "MUC", "EDDM", "München", "Bayern", "Deutschland"},
    {"São Paulo–Guarulhos", "GRU", "SBGR", "São Paulo", "São Paulo", "Brasil"},
    {"Narita International Airport", "NRT", "RJAA", "Narita", "Chiba", "Japan"},
};
constexpr const char* kAirlines[] = {"Maya Island Air", "Air Vanuatu", "Lufthansa", "LATAM",
                                     "Vietnam Airlines", "Japan Airlines", "British Airways"};

void AppendAirport(std::string& s, const Airport& a) {
  s += "{\"airport\":\"";
  s += a.airport;
  s += "\",\"iata\":\"";
  s += a.iata;
  s += "\",\"icao\":\"";
  s += a.icao;
  s += "\",\"city\":\"";
  s += a.city;
  s += "\",\"state\":\"";
  s += a.state;
  s += "\",\"country\":\"";
  s += a.country;
  s += "\"}";
}

// Deterministic (xorshift) fake flights, same shape as the tutorial's generator.
std::vector<std::string> MakeFlights() {
  std::vector<std::string> out;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto next = [&x]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  constexpr size_t kNumAirports = sizeof(kAirports) / sizeof(kAirports[0]);
  for (int i = 0; i < kRecords; ++i) {
    std::string s = "{\"airline\":\"";
    s += kAirlines[next() % (sizeof(kAirlines) / sizeof(kAirlines[0]))];
    s += "\",\"origin\":";
    const size_t o = next() % kNumAirports;
    AppendAirport(s, kAirports[o]);
    s += ",\"destination\":";
    AppendAirport(s, kAirports[(o + 1 + next() % (kNumAirports - 1)) % kNumAirports]);
    const uint64_t stops = next() % 4;
    s += ",\"stops\":";
    s += stops == 0 ? std::string("\"non-stop\"") : std::to_string(stops);
    s += ",\"price\":";
    const uint64_t cents = 5000 + next() % 200000;
    s += std::to_string(cents / 100);
    if (cents % 3 == 0) {  // appended piece by piece: GCC 12 warns (-Wrestrict) on "." + string
      s += '.';
      s += std::to_string(cents % 100 / 10);
      s += std::to_string(cents % 10);
    }
    s += ",\"flight_id\":";
    s += std::to_string(1000000 + i);
    s += '}';
    out.push_back(std::move(s));
  }
  return out;
}

const std::vector<std::string>& Flights() {
  static const std::vector<std::string> flights = MakeFlights();
  return flights;
}

// The same flights with a space after every ':' and ',' (Python's json.dumps style): such
// records take the full simdjson walk (the fast path only takes compact records), and raw mode
// minifies them.
const std::vector<std::string>& SpacedFlights() {
  static const std::vector<std::string> flights = [] {
    std::vector<std::string> out;
    for (const std::string& f : Flights()) {
      std::string s;
      bool in_string = false;
      for (char c : f) {
        s.push_back(c);
        if (c == '"') in_string = !in_string;  // the fixtures have no escapes
        if (!in_string && (c == ':' || c == ',')) s.push_back(' ');
      }
      out.push_back(std::move(s));
    }
    return out;
  }();
  return flights;
}

void RunFlights(benchmark::State& state, bool spaced) {
  const PayloadMode mode = state.range(0) == 0 ? PayloadMode::kMapped : PayloadMode::kRaw;
  auto schema = IngestSchema::FromJson(kSchema, kTable, "schema", "table");
  if (!schema.ok()) {
    state.SkipWithError(schema.status().ToString().c_str());
    return;
  }
  SchemaMapConfig config;
  config.payload_mode = mode;
  auto transform = SchemaMapTransform::Create(config, std::move(schema).value());
  auto worker = (*transform)->MakeState();

  const auto& flights = spaced ? SpacedFlights() : Flights();
  std::vector<RecordChunk> chunks(kRecords / kRecordsPerChunk);
  size_t input_bytes = 0;
  for (int i = 0; i < kRecords; ++i) {
    chunks[static_cast<size_t>(i / kRecordsPerChunk)].AddInput(flights[static_cast<size_t>(i)],
                                                               SourcePosition{0, 0, i});
    input_bytes += flights[static_cast<size_t>(i)].size();
  }
  for (auto& c : chunks) c.FinishInput();

  // Warm-up and check the output before timing (every record accepted; spot-check bytes).
  for (auto& c : chunks) (*transform)->Apply(*worker, c);
  for (auto& c : chunks) {
    for (const auto& o : c.outputs) {
      if (o.verdict != RecordVerdict::kAccepted) {
        state.SkipWithError(c.reasons[o.reason_index].c_str());
        return;
      }
    }
  }
  const std::string_view first = chunks[0].Output(0);
  if (mode == PayloadMode::kRaw ? first != Flights()[0]
                                : first.substr(0, 15) != "{\"_id\":1000000,") {
    state.SkipWithError("unexpected output");
    return;
  }

  const uint64_t allocations_before = t_allocations;
  for (auto _ : state) {
    for (auto& c : chunks) (*transform)->Apply(*worker, c);
    benchmark::DoNotOptimize(chunks.back().output.data());
  }
  const uint64_t allocations = t_allocations - allocations_before;
  const double records = static_cast<double>(state.iterations()) * kRecords;
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input_bytes));
  state.counters["allocs_per_record"] = static_cast<double>(allocations) / records;
  state.counters["ns_per_record"] = benchmark::Counter(
      records * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["bytes_per_record"] = static_cast<double>(input_bytes) / kRecords;
  state.SetLabel(mode == PayloadMode::kRaw ? "raw" : "mapped");
}

// The flights in chunks, as RunFlights builds them.
std::vector<RecordChunk> FlightChunks(size_t* input_bytes) {
  const auto& flights = Flights();
  std::vector<RecordChunk> chunks(kRecords / kRecordsPerChunk);
  *input_bytes = 0;
  for (int i = 0; i < kRecords; ++i) {
    chunks[static_cast<size_t>(i / kRecordsPerChunk)].AddInput(flights[static_cast<size_t>(i)],
                                                               SourcePosition{0, 0, i});
    *input_bytes += flights[static_cast<size_t>(i)].size();
  }
  for (auto& c : chunks) c.FinishInput();
  return chunks;
}

void SetBaselineCounters(benchmark::State& state, size_t input_bytes) {
  const double records = static_cast<double>(state.iterations()) * kRecords;
  state.SetItemsProcessed(static_cast<int64_t>(records));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input_bytes));
  state.counters["ns_per_record"] = benchmark::Counter(
      records * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BaselineMemcpy(benchmark::State& state) {
  size_t input_bytes = 0;
  std::vector<RecordChunk> chunks = FlightChunks(&input_bytes);
  for (auto _ : state) {
    for (auto& c : chunks) {
      c.output.clear();
      c.outputs.clear();
      c.outputs.resize(c.records.size());
      for (size_t i = 0; i < c.records.size(); ++i) {
        c.outputs[i].begin = static_cast<uint32_t>(c.output.size());
        c.output.append(c.input.data() + c.records[i].begin, c.records[i].length);
        c.outputs[i].length = c.records[i].length;
      }
    }
    benchmark::DoNotOptimize(chunks.back().output.data());
  }
  SetBaselineCounters(state, input_bytes);
}

// Visits every value under `value` (objects and arrays recursively, scalars as raw tokens);
// returns a checksum so that nothing is optimized away.
uint64_t Visit(simdjson::ondemand::value value) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return 0;
  uint64_t sum = 0;
  if (type == simdjson::ondemand::json_type::object) {
    for (auto field : value.get_object()) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return 0;
      sum += key.size() + Visit(field.value());
    }
  } else if (type == simdjson::ondemand::json_type::array) {
    for (auto element : value.get_array()) sum += Visit(element.value());
  } else {
    sum += value.raw_json_token().size();
  }
  return sum;
}

void BM_BaselineOnDemand(benchmark::State& state) {
  size_t input_bytes = 0;
  std::vector<RecordChunk> chunks = FlightChunks(&input_bytes);
  simdjson::ondemand::parser parser;
  uint64_t sum = 0;
  for (auto _ : state) {
    for (auto& c : chunks) {
      for (size_t i = 0; i < c.records.size(); ++i) {
        simdjson::ondemand::document doc;
        if (parser.iterate(simdjson::padded_string_view(c.input.data() + c.records[i].begin,
                                                        c.records[i].length, c.CapacityFrom(i)))
                .get(doc)) {
          state.SkipWithError("iterate failed");
          return;
        }
        simdjson::ondemand::value root;
        if (doc.get_value().get(root)) {
          state.SkipWithError("no value");
          return;
        }
        sum += Visit(root);
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  SetBaselineCounters(state, input_bytes);
  state.SetLabel(SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION));  // the inlined kernel
}

BENCHMARK(BM_BaselineMemcpy)->UseRealTime();
BENCHMARK(BM_BaselineOnDemand)->UseRealTime();

void BM_SchemaMapFlights(benchmark::State& state) { RunFlights(state, false); }
void BM_SchemaMapSpacedFlights(benchmark::State& state) { RunFlights(state, true); }

BENCHMARK(BM_SchemaMapFlights)->ArgName("raw")->Arg(0)->Arg(1)->UseRealTime();
BENCHMARK(BM_SchemaMapFlights)->ArgName("raw")->Arg(0)->Arg(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_SchemaMapSpacedFlights)->ArgName("raw")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace sluice::stages

BENCHMARK_MAIN();
