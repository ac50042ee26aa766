// File: app/bench/chart_files.h
// What the bench and sweep charts share: writing text files and folders, quoting for the shell
// and for gnuplot strings, and running gnuplot on a script when it is installed (Debian:
// gnuplot-nox). Used by app/bench/timeline_chart.cpp and app/sweep/sweep_runner.cpp.
// Thread-safety: free functions, no shared state (RunGnuplot runs a child process).
#pragma once

#include <string>

#include "engine/status.h"

namespace sluice::bench {

/// Writes `text` to `path`, replacing it.
[[nodiscard]] Status WriteText(const std::string& path, const std::string& text);
/// mkdir -p.
[[nodiscard]] Status MakeDirs(const std::string& dir);
/// Single-quoted for the shell.
[[nodiscard]] std::string ShellQuote(const std::string& s);
/// A string for a gnuplot double-quoted literal.
[[nodiscard]] std::string GnuplotText(const std::string& s);
/// `v` with `decimals` decimals (0 for a non-finite value).
[[nodiscard]] std::string Fixed(double v, int decimals);
/// Runs `gnuplot SCRIPT` in `dir`. False when gnuplot is missing or fails; `note` says which
/// (or "charts drawn by gnuplot").
bool RunGnuplot(const std::string& dir, const std::string& script, std::string& note);

}  // namespace sluice::bench
