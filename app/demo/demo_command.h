// File: app/demo/demo_command.h
// `sluice demo`: the embedded default. Starts librdkafka's mock cluster in-process and the sink
// emulator as a child process, produces N fake flights while the pipeline runs (as the
// tutorial's two threads do), waits until every record is acknowledged, then checks that the
// sink holds exactly N distinct ids with the values the source had. Main thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "app/pipeline_setup/run_options.h"

namespace sluice::cli {

struct DemoOptions {
  uint64_t records = 100000;   ///< flights to produce
  int partitions = 8;          ///< topic partitions (the mock keeps ~5 MiB per partition)
  uint64_t seed = 42;          ///< fake data seed
  std::string payload = "raw"; ///< raw | mapped
  std::string examples_dir;    ///< where schema.json/table.json are; default: the installed flights example
};

int DemoCommand(const DemoOptions& demo, RunOptions run, const std::atomic<int>* stop);

}  // namespace sluice::cli
