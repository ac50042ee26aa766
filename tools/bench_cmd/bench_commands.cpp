#include "tools/bench_cmd/bench_commands.h"

#include <cstdio>

#include "tools/bench_cmd/bench_runner.h"
#include "tools/bench_cmd/sweep_runner.h"
#include "tools/sluice/run_options.h"

namespace sluice::bench {
namespace {

/// Drops a flag AddSinkOptions registered that the sweep replaces with a list.
void RemoveOption(CLI::App& app, const std::string& name) {
  if (CLI::Option* opt = app.get_option_no_throw(name)) app.remove_option(opt);
}

/// Flags about the generator, shared by bench and sweep.
void AddGeneratorOptions(CLI::App& app, BenchOptions& o) {
  app.add_option("--input", o.input, "flights (the tutorial's fake flights) | file:PATH (NDJSON lines, cycled)")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "Fake flights: RNG seed")->capture_default_str();
  app.add_option("--distinct-records", o.distinct_records,
                 "Fake flights: distinct records generated up front and cycled")
      ->capture_default_str();
  app.add_option("--prebuilt-batches", o.prebuilt_batches,
                 "Render this many request bodies before the clock starts and replay them, as wrk replays one "
                 "request: measures the sink and the sender, not sluice's parse and map (0: map while measuring)")
      ->capture_default_str();
}

class Commands final : public BenchCommands {
 public:
  explicit Commands(CLI::App& app) {
    bench_ = app.add_subcommand("bench", "Generated records -> schema map -> batcher -> sender -> sink, no Kafka: "
                                         "throughput and HDR latency, closed loop (--concurrency) or open loop (--rate)");
    AddSinkOptions(*bench_, bench_opts_.run);
    AddGeneratorOptions(*bench_, bench_opts_);
    bench_->add_option("--rate", bench_opts_.rate,
                       "Open loop: send on a fixed schedule at this rate (latency counts from each request's intended "
                       "send time); omit for closed loop");
    bench_->add_option("--rate-unit", bench_opts_.rate_unit, "records | requests (requests/s x --batch-size records/s)")
        ->check(CLI::IsMember({"records", "requests"}))
        ->capture_default_str();
    duration_opt_ = bench_->add_option("--duration", duration_text_, "Measured time after the warm-up (10s, 500ms, 2m)")
                        ->capture_default_str();
    records_opt_ = bench_->add_option("--records", bench_opts_.records, "Stop after this many records (warm-up included)");
    bench_->add_option("--warmup", warmup_text_, "Warm-up whose figures are discarded")->capture_default_str();

    sweep_ = app.add_subcommand("sweep", "Run bench (closed loop) over a grid of batch sizes x concurrency; write a CSV, "
                                         "charts and a recommendation");
    AddSinkOptions(*sweep_, sweep_opts_.base.run);
    for (const char* name : {"--batch-size", "--concurrency", "--payload", "--compress", "--report"})
      RemoveOption(*sweep_, name);
    AddGeneratorOptions(*sweep_, sweep_opts_.base);
    sweep_->add_option("--batch-sizes", sweep_opts_.batch_sizes, "Batch sizes to try")
        ->delimiter(',')
        ->capture_default_str();
    sweep_->add_option("--concurrency", sweep_opts_.concurrencies, "Concurrencies (requests in flight) to try")
        ->delimiter(',')
        ->capture_default_str();
    sweep_->add_option("--payloads", sweep_opts_.payloads, "raw,mapped: payload modes to try (default: the format's)")
        ->delimiter(',')
        ->check(CLI::IsMember({"raw", "mapped"}));
    sweep_->add_option("--compress", sweep_opts_.compressions, "none,gzip: request compressions to try (default: none)")
        ->delimiter(',')
        ->check(CLI::IsMember({"none", "gzip"}));
    sweep_->add_option("--point-duration", point_duration_text_, "Measured time per point")->capture_default_str();
    sweep_->add_option("--warmup", sweep_warmup_text_, "Warm-up per point")->capture_default_str();
    sweep_->add_option("--out", sweep_opts_.out_dir, "Output directory (CSV, charts, recommendation)")
        ->capture_default_str();
    sweep_->add_option("--max-p99", sweep_opts_.max_p99_ms,
                       "A recommended point's p99 latency must stay at or under this many ms (0: no limit)")
        ->capture_default_str();
    sweep_->add_option("--write-config", sweep_opts_.write_config,
                       "Save the recommendation as a `sluice run --config` file");
  }

  bool Parsed() const override { return bench_->parsed() || sweep_->parsed(); }

  int Run(const std::atomic<int>* stop) override { return bench_->parsed() ? RunBenchCommand(stop) : RunSweepCommand(stop); }

 private:
  int RunBenchCommand(const std::atomic<int>* stop) {
    if (!ParseSeconds(duration_text_, bench_opts_.duration_s) || !ParseSeconds(warmup_text_, bench_opts_.warmup_s)) {
      std::fprintf(stderr, "sluice bench: --duration/--warmup take a time such as 10s, 500ms or 2m\n");
      return 2;
    }
    // --records alone: run until that many records were sent.
    if (records_opt_->count() > 0 && duration_opt_->count() == 0) bench_opts_.duration_s = 0;
    BenchResult result;
    Status s = RunBench(bench_opts_, stop, result);
    if (!s.ok() && result.mode.empty()) {
      std::fprintf(stderr, "sluice bench: configuration error: %s\n", s.ToString().c_str());
      return 2;
    }
    std::fprintf(stdout, "%s", result.ToText().c_str());
    if (!s.ok()) {
      std::fprintf(stderr, "sluice bench: %s\n", s.ToString().c_str());
      return s.code() == StatusCode::kCancelled ? 130 : 1;
    }
    return 0;
  }

  int RunSweepCommand(const std::atomic<int>* stop) {
    if (!ParseSeconds(point_duration_text_, sweep_opts_.point_duration_s) ||
        !ParseSeconds(sweep_warmup_text_, sweep_opts_.warmup_s)) {
      std::fprintf(stderr, "sluice sweep: --point-duration/--warmup take a time such as 2s or 500ms\n");
      return 2;
    }
    std::vector<SweepPoint> points;
    std::optional<Recommendation> recommendation;
    Status s = RunSweep(sweep_opts_, stop, points, recommendation);
    if (!s.ok()) {
      std::fprintf(stderr, "sluice sweep: %s\n", s.ToString().c_str());
      if (points.empty()) return 2;
      return s.code() == StatusCode::kCancelled ? 130 : 1;
    }
    return 0;
  }

  CLI::App* bench_ = nullptr;
  CLI::App* sweep_ = nullptr;
  CLI::Option* duration_opt_ = nullptr;
  CLI::Option* records_opt_ = nullptr;
  BenchOptions bench_opts_;
  SweepOptions sweep_opts_;
  std::string duration_text_ = "10s";
  std::string warmup_text_ = "1s";
  std::string point_duration_text_ = "2s";
  std::string sweep_warmup_text_ = "500ms";
};

}  // namespace

std::unique_ptr<BenchCommands> AddBenchCommands(CLI::App& app) { return std::make_unique<Commands>(app); }

}  // namespace sluice::bench
