// File: tools/schema_cmd/schema_command.h
// `sluice schema check` and `sluice schema ddl`: try an ingest schema on sample records before a
// run, and print the ClickHouse table that matches it.
//
//   check: loads --schema (and --table), maps each sample record (an NDJSON --sample-file, or the
//          first --limit messages of a Kafka --topic read from the beginning without committing)
//          and prints every mapped row to `out` (the mapped payload, one JSON object per line) and
//          every rejection with its line (file) or partition/offset (Kafka) to `err`, then counts.
//          Exit 0 when the schema is valid (even if some samples are rejected), 2 when the schema
//          or the flags are invalid, 1 when the samples cannot be read (I/O, Kafka).
//   ddl:   prints ClickHouseDdl() for --target clickhouse and --table-name (default "flights").
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
};

struct SchemaDdlOptions {
  std::string schema_file;                ///< --schema (required)
  std::string table_file;                 ///< --table (optional)
  std::string target = "clickhouse";      ///< --target: only clickhouse today
  std::string table_name = "flights";     ///< --table-name: may be db.table
};

/// Exit codes of the schema commands.
inline constexpr int kSchemaExitOk = 0;
inline constexpr int kSchemaExitReadFailed = 1;
inline constexpr int kSchemaExitInvalid = 2;

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
