// File: app/schema/schema_command.cpp
#include "app/schema/schema_command.h"

#include <algorithm>
#include <iostream>
#include <string_view>
#include <utility>

#include "app/config/kafka_properties.h"
#include "app/schema/kafka_sample_reader.h"
#include "app/schema/path_coverage.h"
#include "engine/record_chunk.h"
#include "stages/file_source/file_source.h"
#include "stages/schema_map/ddl.h"
#include "stages/schema_map/ingest_schema.h"
#include "stages/schema_map/schema_map_transform.h"

namespace sluice::cli {
namespace {

// Records mapped per RecordChunk: large enough to amortise, small enough to print progressively.
constexpr size_t kChunkRecords = 1000;

// Maps the records in `chunk` and prints the result; `label(i)` names record i for messages.
// The coverage looks at the same payloads on its own, so the mapping stays SchemaMapTransform's.
template <typename Label>
void MapAndPrint(const stages::SchemaMapTransform& transform, TransformState& state, RecordChunk& chunk,
                 Label label, std::ostream& out, std::ostream& err, uint64_t& mapped, uint64_t& rejected,
                 PathCoverage& coverage) {
  for (size_t i = 0; i < chunk.records.size(); ++i) coverage.Add(chunk.Payload(i));
  transform.Apply(state, chunk);
  for (size_t i = 0; i < chunk.records.size(); ++i) {
    const OutputRecord& o = chunk.outputs[i];
    if (o.verdict == RecordVerdict::kAccepted) {
      out << chunk.Output(i) << '\n';
      ++mapped;
    } else {
      err << label(i) << ": rejected: " << chunk.reasons[o.reason_index] << '\n';
      ++rejected;
    }
  }
}

std::string DescribeColumns(const stages::IngestSchema& schema) {
  std::string text;
  for (const stages::Column& c : schema.columns()) {
    text += "  " + c.name + " <- " + stages::PathToString(c.path) + " : " + std::string(stages::ColumnTypeName(c.type));
    if (c.type == stages::ColumnType::kDecimal) text += "(" + std::to_string(c.scale) + ")";
    text += '\n';
  }
  return text;
}

// The per-column counts, the warnings for columns no sample had, and the verdict; returns the
// exit status.
int ReportCoverage(const SchemaCheckOptions& o, const std::vector<stages::Column>& columns,
                   const PathCoverage& coverage, uint64_t rejected, std::ostream& err) {
  if (coverage.samples() == 0) {
    // No record to try the schema on: passing would let an empty topic or file wave any schema
    // through a CI gate, so this fails even with --allow-missing.
    err << "schema check: the sample has no records, so nothing was checked (exit status " << kSchemaExitMismatch
        << ")\n";
    return kSchemaExitMismatch;
  }
  const std::string of = " of " + std::to_string(coverage.samples()) + (coverage.samples() == 1 ? " sample" : " samples");
  err << "columns: samples with a value at the path\n";
  size_t missing = 0;
  for (size_t i = 0; i < columns.size(); ++i) {
    const PathCoverage::ColumnCounts& n = coverage.counts(i);
    err << "  " << columns[i].name << " <- " << stages::PathToString(columns[i].path) << ": " << n.value << of;
    if (n.null != 0) err << ", null in " << n.null;
    err << '\n';
    if (!coverage.Matched(i)) ++missing;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!coverage.Matched(i)) err << "warning: " << coverage.Diagnose(i) << '\n';
  }
  const bool missing_fails = missing != 0 && !o.allow_missing;
  if (rejected == 0 && !missing_fails) {
    if (missing != 0) {
      err << "schema check: " << missing << (missing == 1 ? " column" : " columns")
          << " matched no sample (allowed by --allow-missing)\n";
    }
    return kSchemaExitOk;
  }
  std::string why;
  if (rejected != 0) why = std::to_string(rejected) + (rejected == 1 ? " sample rejected" : " samples rejected");
  if (missing_fails) {
    why += (why.empty() ? "" : ", ") + std::to_string(missing) + (missing == 1 ? " column" : " columns") +
           " matched no sample (--allow-missing lets that pass)";
  }
  err << "schema check: the schema does not fit the sample: " << why << " (exit status " << kSchemaExitMismatch
      << ")\n";
  return kSchemaExitMismatch;
}

// -X as `run` takes it (kafka_properties.h): "@PATH" values read from files, SLUICE_KAFKA_*
// variables under the flags, every property checked by librdkafka with errors that never quote
// a value.
StatusOr<std::vector<std::pair<std::string, std::string>>> ResolveProps(const std::vector<std::string>& flags) {
  StatusOr<std::vector<KafkaProperty>> resolved = ResolveKafkaProperties({}, ProcessEnvironment(), flags);
  if (!resolved.ok()) return resolved.status();
  SLUICE_RETURN_IF_ERROR(CheckKafkaProperties(*resolved));
  std::vector<std::pair<std::string, std::string>> out;
  for (KafkaProperty& p : *resolved) out.emplace_back(std::move(p.name), std::move(p.value));
  return out;
}

}  // namespace

int SchemaCheckCommand(const SchemaCheckOptions& o, std::ostream& out, std::ostream& err) {
  auto usage = [&](const std::string& message) {
    err << "sluice schema check: " << message << '\n';
    return kSchemaExitInvalid;
  };
  if (o.schema_file.empty()) return usage("--schema is required");
  const bool from_kafka = !o.brokers.empty() || !o.topic.empty();
  if (from_kafka == !o.sample_file.empty()) {
    return usage("give either --sample-file FILE or --brokers B --topic T");
  }
  if (from_kafka && (o.brokers.empty() || o.topic.empty())) return usage("--brokers and --topic go together");
  if (o.limit == 0) return usage("--limit must be at least 1");

  StatusOr<stages::IngestSchema> schema = stages::IngestSchema::Load(o.schema_file, o.table_file);
  if (!schema.ok()) {
    err << "sluice schema check: invalid schema: " << schema.status().message() << '\n';
    return kSchemaExitInvalid;
  }
  err << "schema " << o.schema_file << " is valid: " << schema->columns().size() << " columns\n"
      << DescribeColumns(*schema);
  const std::vector<stages::Column> columns = schema->columns();
  PathCoverage coverage(columns);

  stages::SchemaMapConfig map_config;
  map_config.payload_mode = stages::PayloadMode::kMapped;
  StatusOr<std::unique_ptr<stages::SchemaMapTransform>> transform =
      stages::SchemaMapTransform::Create(map_config, std::move(*schema));
  if (!transform.ok()) {
    err << "sluice schema check: " << transform.status().message() << '\n';
    return kSchemaExitReadFailed;
  }
  std::unique_ptr<TransformState> state = (*transform)->MakeState();

  uint64_t mapped = 0;
  uint64_t rejected = 0;
  uint64_t tombstones = 0;
  RecordChunk chunk;
  if (!from_kafka) {
    stages::FileSourceConfig fc;
    fc.path = o.sample_file;
    StatusOr<std::unique_ptr<stages::FileSource>> source = stages::FileSource::Create(fc);
    Status started = source.ok() ? (*source)->Start(nullptr) : source.status();
    if (!started.ok()) {
      err << "sluice schema check: cannot read the sample: " << started.message() << '\n';
      return kSchemaExitInvalid;
    }
    const std::string name = o.sample_file == "-" ? "stdin" : o.sample_file;
    while (mapped + rejected < o.limit && !(*source)->Exhausted()) {
      chunk.Clear();
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkRecords, o.limit - mapped - rejected));
      StatusOr<size_t> got = (*source)->Poll(chunk, want, 100);  // a pipe may pause: wait, do not spin
      if (!got.ok()) {
        err << "sluice schema check: reading " << name << ": " << got.status().message() << '\n';
        return kSchemaExitReadFailed;
      }
      if (*got == 0) continue;
      auto label = [&](size_t i) { return name + ":" + std::to_string(chunk.records[i].position.offset + 1); };
      MapAndPrint(**transform, *state, chunk, label, out, err, mapped, rejected, coverage);
    }
    (void)(*source)->Close();
  } else {
    KafkaSampleConfig kc;
    kc.brokers = o.brokers;
    kc.topic = o.topic;
    kc.limit = o.limit;
    kc.timeout_ms = o.timeout_ms;
    StatusOr<std::vector<std::pair<std::string, std::string>>> props = ResolveProps(o.kafka_props);
    if (!props.ok()) return usage(props.status().message());
    kc.properties = std::move(*props);
    StatusOr<std::vector<KafkaSampleMessage>> sample = ReadKafkaSample(kc);
    if (!sample.ok()) {
      err << "sluice schema check: " << sample.status().message() << '\n';
      return sample.status().code() == StatusCode::kInvalidArgument ? kSchemaExitInvalid : kSchemaExitReadFailed;
    }
    // A tombstone (null value: a key deleted in a compacted topic) is no record to map: it is
    // named as such, counted apart and left out of the path counts.
    std::vector<KafkaSampleMessage> messages;
    for (KafkaSampleMessage& m : *sample) {
      if (m.null_value) {
        err << o.topic << " partition " << m.partition << " offset " << m.offset
            << ": tombstone (null value): not a record; sluice run rejects it unless --skip-tombstones\n";
        ++tombstones;
        continue;
      }
      messages.push_back(std::move(m));
    }
    for (size_t first = 0; first < messages.size(); first += kChunkRecords) {
      chunk.Clear();
      const size_t last = std::min(messages.size(), first + kChunkRecords);
      for (size_t i = first; i < last; ++i) {
        chunk.AddInput(messages[i].payload, SourcePosition{static_cast<uint32_t>(messages[i].partition), 0, messages[i].offset});
      }
      chunk.FinishInput();
      auto label = [&](size_t i) {
        return o.topic + " partition " + std::to_string(messages[first + i].partition) + " offset " +
               std::to_string(messages[first + i].offset);
      };
      MapAndPrint(**transform, *state, chunk, label, out, err, mapped, rejected, coverage);
    }
  }
  err << "schema check: " << (mapped + rejected) << " records: " << mapped << " mapped, " << rejected << " rejected";
  if (tombstones != 0) err << " (and " << tombstones << (tombstones == 1 ? " tombstone" : " tombstones") << ")";
  err << '\n';
  return ReportCoverage(o, columns, coverage, rejected, err);
}

int SchemaCheckCommand(const SchemaCheckOptions& options) { return SchemaCheckCommand(options, std::cout, std::cerr); }

int SchemaDdlCommand(const SchemaDdlOptions& o, std::ostream& out, std::ostream& err) {
  if (o.schema_file.empty()) {
    err << "sluice schema ddl: --schema is required\n";
    return kSchemaExitInvalid;
  }
  if (o.target != "featurebase" && o.target != "clickhouse") {
    err << "sluice schema ddl: --target must be featurebase or clickhouse, got \"" << o.target << "\"\n";
    return kSchemaExitInvalid;
  }
  if (o.table_name.empty()) {
    err << "sluice schema ddl: --table-name must not be empty\n";
    return kSchemaExitInvalid;
  }
  StatusOr<stages::IngestSchema> schema = stages::IngestSchema::Load(o.schema_file, o.table_file);
  if (!schema.ok()) {
    err << "sluice schema ddl: invalid schema: " << schema.status().message() << '\n';
    return kSchemaExitInvalid;
  }
  if (o.target == "clickhouse") {
    out << stages::ClickHouseDdl(*schema, o.table_name) << '\n';
    return kSchemaExitOk;
  }
  StatusOr<std::string> ddl = stages::FeatureBaseDdl(*schema, o.table_name);
  if (!ddl.ok()) {
    err << "sluice schema ddl: " << ddl.status().message() << '\n';
    return kSchemaExitInvalid;
  }
  out << *ddl << '\n';
  return kSchemaExitOk;
}

int SchemaDdlCommand(const SchemaDdlOptions& options) { return SchemaDdlCommand(options, std::cout, std::cerr); }

bool SchemaCommands::Parsed() const { return check_->parsed() || ddl_->parsed(); }

int SchemaCommands::Run() const {
  if (check_->parsed()) return SchemaCheckCommand(check_options);
  if (ddl_->parsed()) return SchemaDdlCommand(ddl_options);
  return kSchemaExitInvalid;
}

std::unique_ptr<SchemaCommands> AddSchemaCommands(CLI::App& app) {
  auto commands = std::make_unique<SchemaCommands>();
  CLI::App* schema = app.add_subcommand("schema", "Check an ingest schema on sample records; print matching DDL");
  schema->require_subcommand(1);

  SchemaCheckOptions& c = commands->check_options;
  CLI::App* check = schema->add_subcommand(
      "check", "Map sample records (NDJSON file or the start of a Kafka topic) and print rows and rejections");
  check->add_option("--schema", c.schema_file, "Ingest schema: JSON list of {name, path, type?}");
  check->add_option("--table", c.table_file, "Table definition: JSON list of {name, type, scale?}");
  CLI::Option* sample = check->add_option("--sample-file", c.sample_file, "NDJSON sample (.gz too; - for stdin)");
  CLI::Option* brokers = check->add_option("--brokers", c.brokers, "Kafka bootstrap brokers (instead of --sample-file)");
  CLI::Option* topic = check->add_option("--topic", c.topic, "Kafka topic, read from the beginning, nothing committed");
  sample->excludes(brokers)->excludes(topic);
  check->add_option("-X", c.kafka_props,
                    "librdkafka property key=value (repeatable); key=@PATH reads the value from the file PATH. "
                    "Also SLUICE_KAFKA_<KEY> / SLUICE_KAFKA_<KEY>_FILE in the environment; -X wins");
  check->add_option("--limit", c.limit, "Records to check at most")->capture_default_str();
  check->add_option("--timeout-ms", c.timeout_ms, "Give up waiting for Kafka after this long")->capture_default_str();
  check->add_flag("--allow-missing", c.allow_missing,
                  "A column whose path matched no sample is only a warning (rejected samples still fail)");
  check->footer(
      "Exit status:\n"
      "  0  the schema fits the sample: no sample rejected, every column's path found in some sample\n"
      "  1  the samples could not be read (I/O error while reading, Kafka unreachable or topic missing)\n"
      "  2  usage error, invalid schema/table file, or a --sample-file that cannot be opened\n"
      "  3  the schema does not fit the sample: a sample was rejected, or a column's path matched no\n"
      "     sample (a warning names the nearest existing key; --allow-missing lets this part pass),\n"
      "     or the sample had no records");

  SchemaDdlOptions& d = commands->ddl_options;
  CLI::App* ddl = schema->add_subcommand("ddl", "Print the CREATE TABLE statement matching the schema");
  ddl->add_option("--schema", d.schema_file, "Ingest schema: JSON list of {name, path, type?}");
  ddl->add_option("--table", d.table_file, "Table definition: JSON list of {name, type, scale?}");
  ddl->add_option("--target", d.target, "Database dialect: featurebase (FeatureBase SQL) or clickhouse")
      ->capture_default_str();
  ddl->add_option("--table-name", d.table_name, "Table name in the statement (db.table allowed for clickhouse)")
      ->capture_default_str();

  commands->check_ = check;
  commands->ddl_ = ddl;
  return commands;
}

}  // namespace sluice::cli
