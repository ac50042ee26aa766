// File: app/common/install_layout.h
// Where sluice's programs find their data files, relative to their own executable so one rule
// serves both layouts without any path of the source tree baked into a binary:
//   installed:  /usr/bin/sluice  ->  /usr/share/sluice/examples/flights
//   build tree: build/bin/sluice ->  build/share/sluice/examples/flights (copied at configure time)
// The bin-to-data step is GNUInstallDirs' BINDIR -> DATADIR, computed by app/common/CMakeLists.txt.
// Sibling programs (the sink emulator) sit in the same directory as the executable in both
// layouts (ExecutableDir() in child_process.h). Used by `sluice demo` and `sluice bench`.
// Pure functions, thread-safe.
#pragma once

#include <string>

namespace sluice::tools {

/// The directory holding the flights example (schema.json, table.json, sluice.toml).
[[nodiscard]] std::string FlightsExamplesDir();

}  // namespace sluice::tools
