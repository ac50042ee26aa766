#include "app/config/config_file.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

#include "app/common/nearest_key.h"
#include "app/config/config_lines.h"
#include "app/config/config_paths.h"
#include "app/config/kafka_properties.h"
#include "stages/kafka_source/kafka_source_config.h"

namespace sluice::cli {
namespace {

std::string Unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) return s.substr(1, s.size() - 2);
  return s;
}

/// CLI11 2.1 splits a key at its dots even when quoted: `"sasl.password" = ...` in [kafka]
/// arrives as parents {kafka, "sasl} and name password". Join the pieces back into one name.
std::string KafkaPropertyName(const CLI::ConfigItem& item) {
  std::string name;
  for (size_t i = 1; i < item.parents.size(); ++i) name += item.parents[i] + ".";
  name += item.name;
  std::string out;
  for (char c : name) {
    if (c != '"' && c != '\'') out += c;
  }
  return out;
}

/// "unknown key \"batch_sise\"; did you mean \"batch-size\"?" against the flags of `app`.
std::string UnknownKeyMessage(const std::string& key, const CLI::App& app) {
  std::vector<std::string> known;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& n : opt->get_lnames()) {
      if (n != "help" && n != "config") known.push_back(n);
    }
  }
  std::string wanted = key;
  for (char& c : wanted) {
    if (c == '_') c = '-';
  }
  std::string out = "unknown key \"" + key + "\"";
  if (std::optional<std::string> nearest = NearestKey(wanted, known)) out += "; did you mean \"" + *nearest + "\"?";
  return out;
}

}  // namespace

bool IsSensitiveConfigKey(const std::string& key) {
  return stages::IsSecretProperty(key) || key == "header" || key.find("url") != std::string::npos;
}

std::string FindConfigFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  const char* from_env = std::getenv("SLUICE_CONFIG");
  return from_env != nullptr ? from_env : "";
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ApplyConfigFile(const std::string& path, CLI::App& app) {
  std::ifstream in(path);
  if (!in) return NotFound("--config: cannot read " + path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string where = "--config " + path;
  StatusOr<std::vector<ConfigKeyLine>> lines = ScanConfigLines(text);
  if (!lines.ok()) return InvalidArgument(where + " " + lines.status().message());
  // "--config sluice.toml line 4: " where the key is found, "--config sluice.toml: " otherwise.
  auto at = [&](const CLI::ConfigItem& item, const std::string& key) {
    std::string section;
    for (const std::string& p : item.parents) section += (section.empty() ? "" : ".") + p;
    const int line = LineOfKey(*lines, section, key);
    return where + (line > 0 ? " line " + std::to_string(line) : "") + ": ";
  };
  std::vector<CLI::ConfigItem> items;
  try {
    std::istringstream text_in(text);
    items = CLI::ConfigTOML().from_config(text_in);
  } catch (const std::exception&) {
    // CLI11's message may quote a line of the file, and that line may hold a secret.
    return InvalidArgument(where + ": not a TOML file sluice can read");
  }
  const std::string folder = ConfigFolder(path);
  std::vector<std::pair<std::string, std::string>> kafka;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    if (!item.parents.empty() && item.parents.front() == "kafka") {
      const std::string property = KafkaPropertyName(item);
      if (item.inputs.size() != 1) {
        return InvalidArgument(where + ": [kafka] property \"" + property + "\" needs exactly one value (a string)");
      }
      kafka.emplace_back(property, ResolveKafkaPropertyPath(property, Unquote(item.inputs.front()), folder));
      continue;
    }
    for (const std::string& p : item.parents) {
      if (p != "run")
        return InvalidArgument(at(item, item.name) + "unknown section [" + p + "] (sections: [run], [kafka])");
    }
    // TOML style often spells keys with underscores; the flags use hyphens.
    std::string name = item.name;
    for (char& c : name) {
      if (c == '_') c = '-';
    }
    const std::string here = at(item, item.name);
    if (name == "config") return InvalidArgument(here + "a config file cannot name another one");
    if (name == "X") {
      return InvalidArgument(here +
                             "key \"X\" is not a setting: librdkafka properties go in a [kafka] table, "
                             "one per line (\"sasl.password\" = \"@/path/to/file\")");
    }
    if (app.get_option_no_throw("--" + name) == nullptr)
      return InvalidArgument(here + UnknownKeyMessage(item.name, app));
    // One key at a time through CLI11, which checks names and values exactly as on the command
    // line; its message is replaced where it would quote a sensitive value.
    std::vector<std::string> args;
    if (item.inputs.empty()) {
      args.push_back("--" + name);
    } else {
      for (const std::string& v : item.inputs)
        args.push_back("--" + name + "=" + ResolveSettingPath(name, Unquote(v), folder));
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
    try {
      app.parse(reversed);
    } catch (const CLI::ExtrasError&) {
      return InvalidArgument(here + UnknownKeyMessage(item.name, app));
    } catch (const CLI::ParseError& e) {
      if (IsSensitiveConfigKey(name))
        return InvalidArgument(here + "key \"" + item.name + "\": invalid value (not shown)");
      // CLI11 quotes the value; any key may hold a secret typed in the wrong place.
      std::string detail = e.what();
      for (const std::string& v : item.inputs) {
        detail = HideValue(std::move(detail), "--" + name, v);
        detail = HideValue(std::move(detail), "--" + name, Unquote(v));
      }
      return InvalidArgument(here + "key \"" + item.name + "\": " + detail);
    }
  }
  return kafka;
}

}  // namespace sluice::cli
