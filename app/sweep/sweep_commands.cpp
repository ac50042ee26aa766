// File: app/sweep/sweep_commands.cpp
#include "app/sweep/sweep_commands.h"

#include <cstdio>

#include "app/bench/bench_commands.h"
#include "app/bench/bench_runner.h"
#include "app/pipeline_setup/run_options.h"
#include "app/sweep/sweep_runner.h"
#include "engine/log.h"

namespace sluice::bench {
namespace {

using cli::AddSinkOptions;

/// Drops a flag AddSinkOptions registered that the sweep replaces with a list.
void RemoveOption(CLI::App& app, const std::string& name) {
  if (CLI::Option* opt = app.get_option_no_throw(name)) app.remove_option(opt);
}

class Commands final : public BenchCommands {
 public:
  explicit Commands(CLI::App& app) {
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

  bool Parsed() const override { return sweep_->parsed(); }

  int Run(const std::atomic<int>* stop) override { return RunSweepCommand(stop); }

 private:
  int RunSweepCommand(const std::atomic<int>* stop) {
    if (!ParseSeconds(point_duration_text_, sweep_opts_.point_duration_s) ||
        !ParseSeconds(sweep_warmup_text_, sweep_opts_.warmup_s)) {
      Logf(LogLevel::kError, "sweep", "--point-duration/--warmup take a time such as 2s or 500ms");
      return 2;
    }
    std::vector<SweepPoint> points;
    std::optional<Recommendation> recommendation;
    Status s = RunSweep(sweep_opts_, stop, points, recommendation);
    if (!s.ok()) {
      Logf(LogLevel::kError, "sweep", "%s", s.message().c_str());
      if (points.empty()) return 2;
      return s.code() == StatusCode::kCancelled ? 130 : 1;
    }
    return 0;
  }

  CLI::App* sweep_ = nullptr;
  SweepOptions sweep_opts_;
  std::string point_duration_text_ = "2s";
  std::string sweep_warmup_text_ = "500ms";
};

}  // namespace

std::unique_ptr<BenchCommands> AddSweepCommands(CLI::App& app) { return std::make_unique<Commands>(app); }

}  // namespace sluice::bench
