#include "app/pipeline_setup/effective_settings.h"

#include <cstdlib>
#include <map>

#include "app/config/kafka_properties.h"
#include "stages/http_sink/secret_redactor.h"
#include "stages/kafka_source/kafka_source_config.h"

namespace sluice::cli {
namespace {

/// "scheme://user:password@host" -> "scheme://user:set@host"; a URL without a password as it is.
std::string WithoutPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = url.find('@', start);
  const size_t slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const size_t colon = url.find(':', start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "set" + url.substr(at);
}

std::string HeaderWithoutCredential(const std::string& header) {
  const size_t colon = header.find(':');
  if (colon == std::string::npos) return header;
  std::string name = header.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
  return stages::SecretRedactor::IsCredentialHeader(name) ? name + ": set" : header;
}

/// A Kafka property as the report shows it: secrets as "set", "@PATH" as given.
std::string KafkaPropertyForReport(const std::string& name, const std::string& value) {
  if (!value.empty() && value.front() == '@') return value;
  return stages::IsSecretProperty(name) ? "set" : value;
}

std::string KafkaAssignmentForReport(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos) return assignment;
  return assignment.substr(0, eq + 1) + KafkaPropertyForReport(assignment.substr(0, eq), assignment.substr(eq + 1));
}

report::SettingValue List(const std::vector<std::string>& values) { return {values, true}; }

template <typename T>
report::SettingValue NumberList(const std::vector<T>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const T& v : values) out.push_back(std::to_string(v));
  return {out, true};
}

}  // namespace

report::Settings EffectiveSettings(const RunOptions& options, bool sink_only) {
  // The flags' own definitions give their names; a scratch CLI::App bound to a copy, capturing
  // every bound value as its default, gives each effective value as CLI11 would print it.
  RunOptions copy = options;
  CLI::App scratch;
  scratch.option_defaults()->always_capture_default();
  if (sink_only)
    AddSinkOptions(scratch, copy);
  else
    AddRunOptions(scratch, copy);
  // Repeatable flags: their values as lists, redacted.
  std::vector<std::string> headers, kafka_props, urls;
  for (const std::string& h : options.headers) headers.push_back(HeaderWithoutCredential(h));
  for (const std::string& p : options.kafka_props) kafka_props.push_back(KafkaAssignmentForReport(p));
  for (const std::string& u : options.sink_urls) urls.push_back(WithoutPassword(u));
  const std::map<std::string, report::SettingValue> lists = {{"header", List(headers)},
                                                             {"X", List(kafka_props)},
                                                             {"sink-url", List(urls)},
                                                             {"topic", List(options.topics)},
                                                             {"retry-on", NumberList(options.retry_on)},
                                                             {"no-retry-on", NumberList(options.no_retry_on)}};

  // On/off flags: CLI11 keeps no default text for them.
  const std::map<std::string, bool> flags = {{"until-caught-up", options.until_caught_up},
                                             {"skip-rejected", options.skip_rejected},
                                             {"skip-tombstones", options.skip_tombstones},
                                             {"ordered", options.ordered},
                                             {"insecure", options.insecure},
                                             {"quiet", options.quiet},
                                             {"debug", options.debug}};

  report::Settings out;
  for (const CLI::Option* opt : scratch.get_options()) {
    std::string name = opt->get_lnames().empty() ? "" : opt->get_lnames().front();
    if (name.empty() && !opt->get_snames().empty()) name = opt->get_snames().front();
    if (name.empty() || name == "help") continue;
    if (auto it = lists.find(name); it != lists.end()) {
      out.emplace_back(name, it->second);
      continue;
    }
    if (auto it = flags.find(name); it != flags.end()) {
      out.emplace_back(name, report::SettingValue{{it->second ? "true" : "false"}, false});
      continue;
    }
    std::string value = opt->get_default_str();
    if (opt->get_type_size() == 0 && value.empty()) continue;  // a flag of unknown state
    if (name.find("url") != std::string::npos) value = WithoutPassword(value);
    out.emplace_back(name, report::SettingValue{{value}, false});
  }
  if (!sink_only) {
    for (const auto& [name, value] : options.config_kafka_properties) {
      out.emplace_back("kafka." + name, report::SettingValue{{KafkaPropertyForReport(name, value)}, false});
    }
    // SLUICE_KAFKA_<PROPERTY>[_FILE]: names only, from the environment.
    for (const std::string& entry : ProcessEnvironment()) {
      if (entry.rfind(kKafkaEnvPrefix, 0) != 0) continue;
      const size_t eq = entry.find('=');
      out.emplace_back(entry.substr(0, eq), report::SettingValue{{"from env"}, false});
    }
  }
  // Sink credentials: whether they are set and where from, never their values.
  for (const char* secret : {"SLUICE_USERNAME", "SLUICE_PASSWORD", "SLUICE_API_KEY", "SLUICE_BEARER_TOKEN"}) {
    const std::string file_var = std::string(secret) + "_FILE";
    if (const char* v = std::getenv(secret); v != nullptr && *v != '\0') {
      out.emplace_back(std::string("secrets.") + secret, report::SettingValue{{"from env"}, false});
    } else if (const char* f = std::getenv(file_var.c_str()); f != nullptr && *f != '\0') {
      out.emplace_back(std::string("secrets.") + secret, report::SettingValue{{std::string("from file ") + f}, false});
    }
  }
  return out;
}

}  // namespace sluice::cli
