// libFuzzer target for the `sluice run --config FILE` loader: arbitrary bytes are written to a
// temp file and applied with ApplyConfigFile to a fresh CLI::App carrying every `run` flag
// (AddRunOptions), exactly as app/main.cpp does. Any text must end in Ok or an error
// Status: an exception escaping the loader, a crash, a hang or a sanitizer report is a finding.
// Seeds: tests/fuzz/corpus/config_load_fuzz/.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "app/config/config_file.h"
#include "app/pipeline_setup/run_options.h"

namespace {

/// One temp file per fuzzer process, rewritten for every input (the loader takes a path).
const std::string& TempPath() {
  static const std::string path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string p = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/sluice-config-fuzz-XXXXXX";
    const int fd = mkstemp(p.data());
    if (fd < 0) std::abort();
    close(fd);
    std::atexit([] { unlink(TempPath().c_str()); });
    return p;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = TempPath();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  CLI::App app{"config"};
  sluice::cli::RunOptions options;
  sluice::cli::RunOptions ignored;
  app.add_option("--config", ignored.report_file);  // as main.cpp: the key is known, then refused
  sluice::cli::AddRunOptions(app, options);
  const sluice::Status status = sluice::cli::ApplyConfigFile(path, app).status();
  // A refusal must explain itself and name the file, so the user can find the bad line.
  if (!status.ok() && status.message().find(path) == std::string::npos) std::abort();
  return 0;
}
