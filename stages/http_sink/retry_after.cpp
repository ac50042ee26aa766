// File: stages/http_sink/retry_after.cpp
#include "stages/http_sink/retry_after.h"

#include <cstddef>

namespace sluice::stages {

long ParseRetryAfterSeconds(std::string_view value) {
  size_t i = 0;
  while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
  long seconds = 0;
  size_t digits = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9' && digits < 7) {
    seconds = seconds * 10 + (value[i++] - '0');
    ++digits;
  }
  return digits > 0 ? seconds : -1;
}

}  // namespace sluice::stages
