// File: app/schema/schema_command.h
// `sluice schema check` and `sluice schema ddl`: try an ingest schema on sample records before a
// run, and print the FeatureBase (or ClickHouse) table that matches it.
//
//   check: loads --schema (and --table), maps each sample record (an NDJSON --sample-file, or the
//          first --limit messages of a Kafka --topic read from the beginning without committing)
//          and prints every mapped row to `out` (the mapped payload, one JSON object per line) and
//          every rejection with its line (file) or partition/offset (Kafka) to `err`, then counts:
//          per column, how many samples had a value (and null) at its path, and for a column whose
//          path matched no sample a warning with the nearest existing key (PathCoverage).
//          Exit status (kSchemaExit*): 0 the schema fits the sample; 3 some sample was rejected or
//          some column matched no sample (--allow-missing lets the latter pass) or there was no
//          sample at all; 2 the schema or the flags are invalid; 1 the samples cannot be read
//          (I/O, Kafka).
//   ddl:   prints FeatureBaseDdl() (--target featurebase, the default) or ClickHouseDdl()
//          (--target clickhouse) for --table-name (default "flights").
//
// main.cpp wiring:
//   auto schema = sluice::cli::AddSchemaCommands(app);
//   ...CLI11_PARSE...
//   if (schema->Parsed()) return schema->Run();
//
// Thread-safety: main thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace sluice::cli {

struct SchemaCheckOptions {
  std::string schema_file;                ///< --schema (required)
  std::string table_file;                 ///< --table (optional)
  std::string sample_file;                ///< --sample-file: NDJSON (".gz" too, "-" = stdin)
  std::string brokers;                    ///< --brokers, with --topic instead of --sample-file
  std::string topic;                      ///< --topic
  std::vector<std::string> kafka_props;   ///< -X key=value
  uint64_t limit = 100;                   ///< --limit: records to check at most
  int timeout_ms = 10000;                 ///< --timeout-ms: give up waiting for Kafka after this
  bool allow_missing = false;             ///< --allow-missing: a column no sample had still passes
};

struct SchemaDdlOptions {
  std::string schema_file;                ///< --schema (required)
  std::string table_file;                 ///< --table (optional)
  std::string target = "featurebase";     ///< --target: featurebase or clickhouse
  std::string table_name = "flights";     ///< --table-name: may be db.table for clickhouse
};

/// Exit codes of the schema commands.
inline constexpr int kSchemaExitOk = 0;
inline constexpr int kSchemaExitReadFailed = 1;
inline constexpr int kSchemaExitInvalid = 2;
/// `schema check`: the schema does not fit the sample (a rejected sample, or a column whose path
/// matched no sample unless --allow-missing).
inline constexpr int kSchemaExitMismatch = 3;

/// `sluice schema check`. Rows go to `out`, rejections and counts to `err`.
int SchemaCheckCommand(const SchemaCheckOptions& options, std::ostream& out, std::ostream& err);
int SchemaCheckCommand(const SchemaCheckOptions& options);  ///< stdout / stderr

/// `sluice schema ddl`. The statement goes to `out`, errors to `err`.
int SchemaDdlCommand(const SchemaDdlOptions& options, std::ostream& out, std::ostream& err);
int SchemaDdlCommand(const SchemaDdlOptions& options);  ///< stdout / stderr

/// The `schema` subcommand tree registered on an app; owns the option structs CLI11 binds to,
/// so it must outlive parsing.
class SchemaCommands {
 public:
  /// True when the command line chose `schema check` or `schema ddl`.
  bool Parsed() const;
  /// Runs the chosen subcommand; returns the exit code.
  int Run() const;

  SchemaCheckOptions check_options;
  SchemaDdlOptions ddl_options;

 private:
  friend std::unique_ptr<SchemaCommands> AddSchemaCommands(CLI::App& app);
  CLI::App* check_ = nullptr;
  CLI::App* ddl_ = nullptr;
};

/// Adds `schema` with the subcommands `check` and `ddl` to `app`.
std::unique_ptr<SchemaCommands> AddSchemaCommands(CLI::App& app);

}  // namespace sluice::cli
