// File: stages/http_sink/retry_after.cpp
#include "stages/http_sink/retry_after.h"

#include <cstddef>

namespace sluice::stages {

long ParseRetryAfterSeconds(std::string_view value) {
  size_t i = 0;
  while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
  long seconds = 0;
  size_t digits = 0;
  while (i < value.size() && value[i] >= '0' && value[i] <= '9') {
    const long digit = value[i++] - '0';
    seconds = seconds > (kRetryAfterSaturatedSeconds - digit) / 10 ? kRetryAfterSaturatedSeconds
                                                                   : seconds * 10 + digit;
    ++digits;
  }
  return digits > 0 ? seconds : -1;
}

}  // namespace sluice::stages
