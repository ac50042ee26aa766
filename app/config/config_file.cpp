#include "app/config/config_file.h"

#include <fstream>

#include "stages/kafka_source/kafka_source_config.h"
#include "app/config/kafka_properties.h"

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
  return "";
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ApplyConfigFile(const std::string& path, CLI::App& app) {
  std::ifstream in(path);
  if (!in) return NotFound("--config: cannot read " + path);
  const std::string where = "--config " + path + ": ";
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const std::exception&) {
    // CLI11's message may quote a line of the file, and that line may hold a secret.
    return InvalidArgument(where + "not a TOML file sluice can read");
  }
  std::vector<std::pair<std::string, std::string>> kafka;
  for (const CLI::ConfigItem& item : items) {
    const std::string& name = item.name;
    if (name == "++" || name == "--") continue;  // section markers
    if (!item.parents.empty() && item.parents.front() == "kafka") {
      const std::string property = KafkaPropertyName(item);
      if (item.inputs.size() != 1) {
        return InvalidArgument(where + "[kafka] property \"" + property + "\" needs exactly one value (a string)");
      }
      kafka.emplace_back(property, Unquote(item.inputs.front()));
      continue;
    }
    for (const std::string& p : item.parents) {
      if (p != "run") return InvalidArgument(where + "unknown section [" + p + "] (sections: [run], [kafka])");
    }
    if (name == "config") return InvalidArgument(where + "a config file cannot name another one");
    if (name == "X") {
      return InvalidArgument(where + "key \"X\" is not a setting: librdkafka properties go in a [kafka] table, "
                                     "one per line (\"sasl.password\" = \"@/path/to/file\")");
    }
    // One key at a time through CLI11, which checks names and values exactly as on the command
    // line; its message is replaced where it would quote a sensitive value.
    std::vector<std::string> args;
    if (item.inputs.empty()) {
      args.push_back("--" + name);
    } else {
      for (const std::string& v : item.inputs) args.push_back("--" + name + "=" + v);
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
    try {
      app.parse(reversed);
    } catch (const CLI::ExtrasError&) {
      return InvalidArgument(where + "unknown key \"" + name + "\"");
    } catch (const CLI::ParseError& e) {
      if (IsSensitiveConfigKey(name)) return InvalidArgument(where + "key \"" + name + "\": invalid value (not shown)");
      // CLI11 quotes the value; any key may hold a secret typed in the wrong place.
      std::string detail = e.what();
      for (const std::string& v : item.inputs) detail = HideValue(std::move(detail), "--" + name, v);
      return InvalidArgument(where + "key \"" + name + "\": " + detail);
    }
  }
  return kafka;
}

}  // namespace sluice::cli
