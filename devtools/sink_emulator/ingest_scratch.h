// File: devtools/sink_emulator/ingest_scratch.h
// ParseScratch::Impl, the per-thread state both walks of IngestValidator reuse across requests:
// the simdjson On-Demand parser (ingest_walk.cpp), the per-column Slots, and the fast path's
// recorded record shape (ShapeStep, ingest_fast_path.cpp). Private to ingest_*.cpp. It includes
// <simdjson.h>, whose On-Demand types live in a namespace chosen by the compile flags: every
// file that includes this header is built with the same (WESTMERE) flags (CMakeLists.txt).
// Thread-safety: one ParseScratch per thread.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <vector>

#include "devtools/sink_emulator/ingest_slots.h"
#include "devtools/sink_emulator/ingest_validator.h"

namespace sluice::emulator {

namespace ingest {

/// One step of a record shape (see FastScan::Replay): the body bytes `lit` (a view into the
/// body being validated) that must come next, then the value of trie node `node`.
struct ShapeStep {
  const char* lit;
  size_t len;
  int node;
  /// When the node feeds exactly one column and has no children: that column's slot, so a
  /// scalar value is read straight into it (all Capture would do); else null.
  IngestValidator::Slot* target;
};

}  // namespace ingest

struct ParseScratch::Impl {
  simdjson::ondemand::parser parser;
  std::vector<IngestValidator::Slot> primary, fallback;  ///< per column, reused across requests
  /// The fast path's one slot per column for records of column-name keys, and slots that stay
  /// empty (BuildRow's fallback argument for such records).
  std::vector<IngestValidator::Slot> direct, none;
  /// The fast path's record shape (FastScan::Replay) and the one being recorded; views into
  /// the current body, so they are dropped at the start of every body.
  std::vector<ingest::ShapeStep> shape, recording;
  const char* shape_tail = nullptr;  ///< bytes after the last value, up to the record's '}'
  size_t shape_tail_len = 0;
  bool has_shape = false;
};

}  // namespace sluice::emulator
