// File: app/bench/bench_commands.cpp
#include "app/bench/bench_commands.h"

#include <cstdio>

#include "app/bench/bench_runner.h"
#include "app/bench/timeline_chart.h"
#include "app/pipeline_setup/run_options.h"
#include "engine/log.h"

namespace sluice::bench {

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

namespace {

class Commands final : public BenchCommands {
 public:
  explicit Commands(CLI::App& app) {
    bench_ = app.add_subcommand("bench",
                                "Generated records -> schema map -> batcher -> sender -> sink, no Kafka: "
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
    records_opt_ =
        bench_->add_option("--records", bench_opts_.records, "Stop after this many records (warm-up included)");
    bench_->add_option("--warmup", warmup_text_, "Warm-up whose figures are discarded")->capture_default_str();
    bench_->add_option("--plot", bench_opts_.plot_dir,
                       "Draw the in-flight limit and the throughput against time (warm-up included) into this "
                       "folder: concurrency_timeline.png/.svg with gnuplot, plus its data and script");
  }

  bool Parsed() const override { return bench_->parsed(); }

  int Run(const std::atomic<int>* stop) override { return RunBenchCommand(stop); }

 private:
  int RunBenchCommand(const std::atomic<int>* stop) {
    if (!ParseSeconds(duration_text_, bench_opts_.duration_s) || !ParseSeconds(warmup_text_, bench_opts_.warmup_s)) {
      Logf(LogLevel::kError, "bench", "--duration/--warmup take a time such as 10s, 500ms or 2m");
      return 2;
    }
    // --records alone: run until that many records were sent.
    if (records_opt_->count() > 0 && duration_opt_->count() == 0) bench_opts_.duration_s = 0;
    BenchResult result;
    Status s = RunBench(bench_opts_, stop, result);
    if (!s.ok() && result.mode.empty()) {
      Logf(LogLevel::kError, "bench", "configuration error: %s", s.message().c_str());
      return 2;
    }
    std::fprintf(stdout, "%s", result.ToText().c_str());
    if (!bench_opts_.plot_dir.empty()) {
      std::string note;
      const std::vector<std::string> charts = DrawTimelineChart(result, bench_opts_.plot_dir, note);
      Logf(LogLevel::kInfo, "bench", "%s into %s%s", note.c_str(), bench_opts_.plot_dir.c_str(),
           charts.empty() ? "" : (" (" + std::to_string(charts.size()) + " files)").c_str());
    }
    if (!s.ok()) {
      Logf(LogLevel::kError, "bench", "%s", s.message().c_str());
      return s.code() == StatusCode::kCancelled ? 130 : 1;
    }
    return 0;
  }

  CLI::App* bench_ = nullptr;
  CLI::Option* duration_opt_ = nullptr;
  CLI::Option* records_opt_ = nullptr;
  BenchOptions bench_opts_;
  std::string duration_text_ = "10s";
  std::string warmup_text_ = "1s";
};

}  // namespace

std::unique_ptr<BenchCommands> AddBenchCommands(CLI::App& app) { return std::make_unique<Commands>(app); }

}  // namespace sluice::bench
