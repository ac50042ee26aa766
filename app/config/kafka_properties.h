// File: app/config/kafka_properties.h
// The librdkafka properties of `sluice run` (consumer and Kafka dead-letter producer alike) and
// where they come from. Three places, later ones replacing earlier ones property by property:
//   1. the --config file's [kafka] table   ("sasl.password" = "@/run/secrets/kafka")
//   2. the environment                     SLUICE_KAFKA_SASL_PASSWORD=...  or
//                                          SLUICE_KAFKA_SASL_PASSWORD_FILE=/run/secrets/kafka
//   3. -X flags on the command line        -X sasl.password=@/run/secrets/kafka
// so the command line wins over the environment, which wins over the file. A value "@PATH" is
// read from the file PATH (one trailing newline stripped), which keeps secrets out of
// /proc/PID/cmdline and out of the config file. Every error names the property and where it
// came from, never a value. Main thread only; pure apart from reading the named files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/status.h"

namespace sluice::cli {

/// One resolved property and the place that set it ("-X", "[kafka] table", the variable name).
struct KafkaProperty {
  std::string name;
  std::string value;
  std::string origin;
};

/// Environment variables naming a Kafka property start with this.
inline constexpr const char* kKafkaEnvPrefix = "SLUICE_KAFKA_";

/// Merges the three places (see the file comment) into one list, each property once, in first-set
/// order with the winning value; reads "@PATH" values and *_FILE variables. `environment` holds
/// "NAME=VALUE" entries (as environ does); entries without the prefix are ignored.
[[nodiscard]] StatusOr<std::vector<KafkaProperty>> ResolveKafkaProperties(
    const std::vector<std::pair<std::string, std::string>>& config_table, const std::vector<std::string>& environment,
    const std::vector<std::string>& flags);

/// Checks every property against librdkafka itself (name known, value accepted), without any I/O.
/// The error names the property and its origin; librdkafka's complaint is kept with the value
/// cut out of it.
[[nodiscard]] Status CheckKafkaProperties(const std::vector<KafkaProperty>& properties);

/// "name=value (origin)" per property, the values of secret properties shown as [redacted]:
/// what --debug prints.
std::string DescribeKafkaProperties(const std::vector<KafkaProperty>& properties);

/// The process environment as "NAME=VALUE" entries.
std::vector<std::string> ProcessEnvironment();

/// `text` with every whole-word occurrence of `value` replaced by "[value not shown]"
/// (occurrences inside `name` are kept, so the property stays named).
std::string HideValue(std::string text, const std::string& name, const std::string& value);

}  // namespace sluice::cli
