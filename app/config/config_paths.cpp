#include "app/config/config_paths.h"

namespace sluice::cli {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Join(const std::string& folder, const std::string& path) {
  if (path.empty() || path.front() == '/' || path == "-" || folder.empty() || folder == ".") return path;
  return folder + "/" + path;
}

}  // namespace

std::string ConfigFolder(const std::string& config_path) {
  const size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return config_path.substr(0, slash);
}

std::string ResolveSettingPath(const std::string& key, const std::string& value, const std::string& folder) {
  if (key == "schema" || key == "table" || key == "ca-file" || key == "report" || EndsWith(key, "-file")) {
    return Join(folder, value);
  }
  if ((key == "dlq" || key == "source") && value.rfind("file:", 0) == 0) return "file:" + Join(folder, value.substr(5));
  return value;
}

std::string ResolveKafkaPropertyPath(const std::string& property, const std::string& value, const std::string& folder) {
  if (value.size() > 1 && value.front() == '@') return "@" + Join(folder, value.substr(1));
  if (EndsWith(property, ".location") || EndsWith(property, ".keytab")) return Join(folder, value);
  return value;
}

}  // namespace sluice::cli
