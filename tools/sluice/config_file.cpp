#include "tools/sluice/config_file.h"

#include <fstream>

namespace sluice::cli {

std::string FindConfigFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
  }
  return "";
}

Status ApplyConfigFile(const std::string& path, CLI::App& app) {
  std::ifstream in(path);
  if (!in) return NotFound("--config: cannot read " + path);
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const std::exception& e) {
    return InvalidArgument("--config " + path + ": " + e.what());
  }
  // Turn the items into flags and let CLI11 check names and values exactly as on the command line.
  std::vector<std::string> args;
  for (const CLI::ConfigItem& item : items) {
    std::string name = item.name;
    if (name == "++" || name == "--") continue;  // section markers
    for (const std::string& p : item.parents) {
      if (p != "run") return InvalidArgument("--config " + path + ": unknown section [" + p + "]");
    }
    if (name == "config") return InvalidArgument("--config " + path + ": a config file cannot name another one");
    if (item.inputs.empty()) {
      args.push_back("--" + name);
      continue;
    }
    for (const std::string& v : item.inputs) args.push_back("--" + name + "=" + v);
  }
  // CLI11 parses a reversed vector of arguments.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return InvalidArgument("--config " + path + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace sluice::cli
