// sluice: move JSON records from Kafka (or files) into HTTP ingest endpoints.
// Subcommands: run, demo, version (and schema, bench, sweep, registered by their folders); also
// --version. Parses flags and the --config file, installs signal handlers and hands each stage its
// config; turning a Status into a message and an exit code happens only here.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "app/bench/bench_commands.h"
#include "app/common/log_options.h"
#include "app/config/config_file.h"
#include "app/config/env_options.h"
#include "app/demo/demo_command.h"
#include "app/pipeline_setup/run_options.h"
#include "app/run/exit_status.h"
#include "app/run/run_command.h"
#include "app/schema/schema_command.h"
#include "app/sweep/sweep_commands.h"
#include "app/version/version_info.h"
#include "engine/log.h"

int main(int argc, char** argv) {
  using namespace sluice::cli;
  // Named, so usage lines say "sluice run" wherever the binary lives (also in the installed --help
  // texts and man page, which must not carry the build directory).
  CLI::App app{"sluice: the fastest trustworthy way to move JSON records from Kafka into an HTTP ingest endpoint",
               "sluice"};
  app.require_subcommand(1);
  // CLI11 prints the text followed by a newline of its own.
  std::string version_text = VersionText();
  if (!version_text.empty() && version_text.back() == '\n') version_text.pop_back();
  app.set_version_flag("--version", version_text, "Print sluice's version and commit and the library versions it runs with");
  CLI::App* version = app.add_subcommand("version", "Print sluice's version and commit and the library versions it runs with");

  RunOptions run_options;
  CLI::App* run = app.add_subcommand("run", "Consume Kafka (or a file) and deliver to the sink");
  std::string config_path;
  run->add_option("--config", config_path,
                  "TOML file with the same settings as the flags; flags win over SLUICE_<FLAG> variables, "
                  "which win over the file; relative paths in it are relative to its folder")
      ->check(CLI::ExistingFile);
  AddRunOptions(*run, run_options);
  run->footer(ExitStatusHelp());

  DemoOptions demo_options;
  RunOptions demo_run;
  CLI::App* demo = app.add_subcommand("demo", "Embedded default: mock Kafka -> sluice -> sink emulator, verified");
  demo->add_option("--records", demo_options.records, "Fake flights to produce")->capture_default_str();
  demo->add_option("--partitions", demo_options.partitions, "Topic partitions")->capture_default_str();
  demo->add_option("--seed", demo_options.seed, "Fake data seed")->capture_default_str();
  demo->add_option("--payload", demo_options.payload, "raw | mapped")
      ->check(CLI::IsMember({"raw", "mapped"}))
      ->capture_default_str();
  demo->add_option("--examples-dir", demo_options.examples_dir,
                   "Directory with schema.json and table.json (default: the flights example installed with sluice)");
  demo->add_option("--concurrency", demo_run.concurrency, "Requests in flight")->capture_default_str();
  demo->add_option("--batch-size", demo_run.batch_size, "Records per batch")->capture_default_str();
  demo->add_option("--report", demo_run.report_file, "Write the run summary as JSON");
  demo->add_flag("-q,--quiet", demo_run.quiet,
                 "No progress: neither the terminal status line nor the progress log line");

  auto schema_commands = AddSchemaCommands(app);
  auto bench_commands = sluice::bench::AddBenchCommands(app);
  auto sweep_commands = sluice::bench::AddSweepCommands(app);
  // SLUICE_<FLAG> for every flag of every command (flag > environment > --config file).
  BindEnvironmentVariables(app);

  // Every command that logs takes --log-level and --log-format; only one command is parsed, so
  // they share one LogOptions.
  LogOptions log_options;
  for (CLI::App* command :
       {run, demo, app.get_subcommand("bench"), app.get_subcommand("sweep"),
        app.get_subcommand("schema")->get_subcommand("check"), app.get_subcommand("schema")->get_subcommand("ddl")}) {
    AddLogOptions(*command, log_options);
  }

  // --config (or SLUICE_CONFIG): the file fills run_options first, then the environment and the
  // command line override it.
  if (argc > 1 && std::string(argv[1]) == "run") {
    const std::string config = FindConfigFlag(argc, argv);
    if (!config.empty()) {
      CLI::App from_file{"config"};
      RunOptions ignored_config;
      from_file.add_option("--config", ignored_config.report_file);
      AddRunOptions(from_file, run_options);
      AddLogOptions(from_file, log_options);
      auto kafka_table = ApplyConfigFile(config, from_file);
      if (!kafka_table.ok()) {
        sluice::Log(sluice::LogLevel::kError, "run", "configuration error: " + kafka_table.status().message());
        return 2;
      }
      run_options.config_kafka_properties = std::move(*kafka_table);
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a success; any other flag problem is a configuration error: exit 2, as every
    // configuration error of sluice does.
    return app.exit(e) == 0 ? 0 : 2;
  }
  ApplyLogOptions(log_options, run->parsed() && run_options.debug);
  if (version->parsed()) {
    std::fputs(VersionText().c_str(), stdout);
    return 0;
  }
  if (schema_commands->Parsed()) return schema_commands->Run();
  std::atomic<int>* stop = InstallStopSignals();
  if (bench_commands->Parsed()) return bench_commands->Run(stop);
  if (sweep_commands->Parsed()) return sweep_commands->Run(stop);
  if (run->parsed()) return RunCommand(run_options, stop);
  if (demo->parsed()) return DemoCommand(demo_options, demo_run, stop);
  return 2;
}
