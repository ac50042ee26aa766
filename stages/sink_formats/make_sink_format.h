// File: stages/sink_formats/make_sink_format.h
// MakeSinkFormat(): builds the SinkFormat named in SinkFormatConfig, and RequestUrl(): the URL
// the sender must POST to for that format (ClickHouse puts its INSERT query in the URL).
// Called once at startup by the app (app/). Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/sink_format.h"
#include "engine/status.h"
#include "stages/sink_formats/sink_format_config.h"

namespace sluice::stages {

/// featurebase | clickhouse | ndjson | json-array. InvalidArgument for an unknown name or an
/// invalid config (see Validate()).
[[nodiscard]] StatusOr<std::unique_ptr<SinkFormat>> MakeSinkFormat(const SinkFormatConfig& config);

/// `base_url` plus what the format needs in the URL (clickhouse: the INSERT query; joined with
/// '&' when base_url already has a query string). Other formats: base_url unchanged.
[[nodiscard]] std::string RequestUrl(const SinkFormatConfig& config, std::string_view base_url);

}  // namespace sluice::stages
