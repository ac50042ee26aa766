#include "app/config/secrets.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace sluice::cli {

StatusOr<std::string> ReadSecret(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()); v && *v) return std::string(v);
  const std::string file_var = name + "_FILE";
  const char* path = std::getenv(file_var.c_str());
  if (!path || !*path) return std::string();
  std::ifstream f(path);
  if (!f) return NotFound(file_var + " names " + std::string(path) + ", which cannot be read");
  std::string value;
  std::getline(f, value);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
  return value;
}

}  // namespace sluice::cli
