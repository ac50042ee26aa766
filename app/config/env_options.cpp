#include "app/config/env_options.h"

namespace sluice::cli {

std::string EnvNameForFlag(const std::string& long_name) {
  std::string env = "SLUICE_";
  for (char c : long_name) {
    if (c == '-')
      env += '_';
    else if (c >= 'a' && c <= 'z')
      env += static_cast<char>(c - 'a' + 'A');
    else
      env += c;
  }
  return env;
}

void BindEnvironmentVariables(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::vector<std::string>& names = opt->get_lnames();
    if (names.empty() || names.front() == "help" || names.front() == "version") continue;
    opt->envname(EnvNameForFlag(names.front()));
  }
  for (CLI::App* sub : app.get_subcommands({})) BindEnvironmentVariables(*sub);
}

}  // namespace sluice::cli
