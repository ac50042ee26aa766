#include "app/common/install_layout.h"

#include "app/common/child_process.h"

// Set for this file by app/common/CMakeLists.txt from GNUInstallDirs.
#ifndef SLUICE_BIN_TO_DATA
#define SLUICE_BIN_TO_DATA "../share"
#endif

namespace sluice::tools {

std::string FlightsExamplesDir() { return ExecutableDir() + "/" SLUICE_BIN_TO_DATA "/sluice/examples/flights"; }

}  // namespace sluice::tools
