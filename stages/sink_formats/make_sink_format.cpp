#include "stages/sink_formats/make_sink_format.h"

#include "stages/sink_formats/clickhouse_format.h"
#include "stages/sink_formats/featurebase_format.h"
#include "stages/sink_formats/json_array_format.h"
#include "stages/sink_formats/ndjson_format.h"

namespace sluice::stages {

Status Validate(const SinkFormatConfig& config) {
  const std::string& n = config.name;
  if (n != "featurebase" && n != "clickhouse" && n != "ndjson" && n != "json-array") {
    return InvalidArgument("unknown sink format '" + n +
                           "' (expected featurebase, clickhouse, ndjson or json-array)");
  }
  if (n == "clickhouse" && config.clickhouse_table.empty()) {
    return InvalidArgument("the clickhouse format needs a table name");
  }
  for (int s : config.retry_on) {
    if (s < 100 || s > 599) return InvalidArgument("--retry-on status out of range: " + std::to_string(s));
    if (config.no_retry_on.count(s) != 0) {
      return InvalidArgument("HTTP status " + std::to_string(s) + " is in both --retry-on and --no-retry-on");
    }
  }
  for (int s : config.no_retry_on) {
    if (s < 100 || s > 599) return InvalidArgument("--no-retry-on status out of range: " + std::to_string(s));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<SinkFormat>> MakeSinkFormat(const SinkFormatConfig& config) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  RetryOverrides overrides{config.retry_on, config.no_retry_on};
  std::unique_ptr<SinkFormat> format;
  if (config.name == "featurebase") {
    format = std::make_unique<FeatureBaseFormat>(std::move(overrides));
  } else if (config.name == "clickhouse") {
    format = std::make_unique<ClickHouseFormat>(config.clickhouse_table, std::move(overrides));
  } else if (config.name == "ndjson") {
    format = std::make_unique<NdjsonFormat>(std::move(overrides));
  } else {
    format = std::make_unique<JsonArrayFormat>(std::move(overrides));
  }
  return format;
}

std::string RequestUrl(const SinkFormatConfig& config, std::string_view base_url) {
  std::string url(base_url);
  if (config.name != "clickhouse") return url;
  std::string suffix = ClickHouseFormat(config.clickhouse_table).RequestUrlSuffix();
  if (url.find('?') != std::string::npos) suffix[0] = '&';
  return url + suffix;
}

}  // namespace sluice::stages
