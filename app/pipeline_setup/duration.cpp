#include "app/pipeline_setup/duration.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace sluice::cli {

std::string ParseDuration(const std::string& flag, const std::string& text, int64_t& out_ms) {
  const std::string bad = flag + " must be a duration such as 30s, 500ms, 2m or 0 (off), got \"" + text + "\"";
  if (text.empty()) return bad;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(value) || value < 0) return bad;
  std::string unit(end);
  double scale = 1000.0;  // a bare number is seconds
  if (unit == "ms") {
    scale = 1.0;
  } else if (unit == "s" || unit.empty()) {
    scale = 1000.0;
  } else if (unit == "m" || unit == "min") {
    scale = 60000.0;
  } else if (unit == "h") {
    scale = 3600000.0;
  } else {
    return bad;
  }
  const double ms = value * scale;
  if (ms > 7.0 * 24 * 3600 * 1000) return flag + " is longer than a week: \"" + text + "\"";
  out_ms = static_cast<int64_t>(std::llround(ms));
  if (out_ms == 0 && value > 0) out_ms = 1;
  return "";
}

}  // namespace sluice::cli
