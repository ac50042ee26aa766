// File: tests/testing/temp_files.h
// Files a test writes and reads: MakeTempDir() (a fresh directory under $TMPDIR), TempDir (one
// that removes itself), ReadFileText()/WriteFileText(). Header-only, so unit tests use it
// without linking the process library; tests/testing/process_env.h re-exports it.
// Thread-safety: plain functions; a TempDir belongs to one test thread.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace sluice::testing {

/// A fresh empty directory $TMPDIR/sluice-<tag>-XXXXXX ("/tmp" when it cannot be made).
inline std::string MakeTempDir(const std::string& tag) {
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/sluice-" + tag + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "/tmp";
  return tmpl;
}

/// The whole file; empty when it cannot be read.
inline std::string ReadFileText(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void WriteFileText(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

/// MakeTempDir(tag) for the lifetime of the object, removed with what is in it afterwards.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) : path_(MakeTempDir(tag)), made_(path_ != "/tmp") {}
  ~TempDir() {
    if (!made_) return;  // never remove a directory this object did not make
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// Writes `text` to path()/name; returns that path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string p = path_ + "/" + name;
    WriteFileText(p, text);
    return p;
  }

 private:
  std::string path_;
  bool made_;
};

}  // namespace sluice::testing
