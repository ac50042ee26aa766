// File: app/config/config_paths.h
// Paths written in a --config file are relative to the file's folder, not to the directory the
// program happens to start in (systemd starts it in /, a container wherever WORKDIR is): the
// schema, table, CA bundle, report, DLQ file, file source, any `*-file` key, and in [kafka] the
// "@PATH" secret files and the `*.location` / keytab properties. Used by ApplyConfigFile.
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace sluice::cli {

/// The folder of the config file at `config_path` ("." when it has none).
std::string ConfigFolder(const std::string& config_path);

/// `value` of sluice setting `key` with any relative path in it made relative to `folder`;
/// other values unchanged.
std::string ResolveSettingPath(const std::string& key, const std::string& value, const std::string& folder);

/// The same for a librdkafka property of the [kafka] table.
std::string ResolveKafkaPropertyPath(const std::string& property, const std::string& value, const std::string& folder);

}  // namespace sluice::cli
