#include "app/bench/chart_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sluice::bench {

std::string Fixed(double v, int decimals) {
  if (!std::isfinite(v)) v = 0;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Internal("cannot write " + path);
  return Status::Ok();
}

Status MakeDirs(const std::string& dir) {
  std::string partial;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/') partial = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty()) continue;
    partial += part + "/";
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return Internal("cannot create " + partial + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string GnuplotText(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

bool RunGnuplot(const std::string& dir, const std::string& script, std::string& note) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    note = "gnuplot is not installed (Debian: gnuplot-nox): wrote " + script + "; the charts were not drawn";
    return false;
  }
  const std::string cmd = "cd " + ShellQuote(dir) + " && gnuplot " + ShellQuote(script) + " > gnuplot.log 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    note = "gnuplot failed (see " + dir + "/gnuplot.log)";
    return false;
  }
  std::remove((dir + "/gnuplot.log").c_str());
  note = "charts drawn by gnuplot";
  return true;
}

}  // namespace sluice::bench
