// File: stages/schema_map/rfc3339.cpp
#include "stages/schema_map/rfc3339.h"

namespace sluice::stages {
namespace {

// Reads `count` digits at `*pos` into `*value`.
bool Digits(std::string_view s, size_t* pos, int count, int* value) {
  if (*pos + static_cast<size_t>(count) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < count; ++i) {
    const char c = s[*pos + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += static_cast<size_t>(count);
  *value = v;
  return true;
}

bool Char(std::string_view s, size_t* pos, char a, char b = '\0') {
  if (*pos >= s.size() || (s[*pos] != a && (b == '\0' || s[*pos] != b))) return false;
  ++*pos;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool IsRfc3339Timestamp(std::string_view s) {
  size_t p = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &p, 4, &year) || !Char(s, &p, '-') || !Digits(s, &p, 2, &month) ||
      !Char(s, &p, '-') || !Digits(s, &p, 2, &day) || !Char(s, &p, 'T', 't') ||
      !Digits(s, &p, 2, &hour) || !Char(s, &p, ':') || !Digits(s, &p, 2, &minute) ||
      !Char(s, &p, ':') || !Digits(s, &p, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  if (p < s.size() && s[p] == '.') {
    ++p;
    const size_t begin = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p == begin || p - begin > 9) return false;
  }
  if (Char(s, &p, 'Z', 'z')) return p == s.size();
  if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return false;
  ++p;
  int off_hour, off_minute;
  if (!Digits(s, &p, 2, &off_hour) || !Char(s, &p, ':') || !Digits(s, &p, 2, &off_minute)) {
    return false;
  }
  return off_hour <= 23 && off_minute <= 59 && p == s.size();
}

}  // namespace sluice::stages
