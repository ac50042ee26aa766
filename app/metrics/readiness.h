// File: app/metrics/readiness.h
// What GET /ready of `sluice run --metrics-addr` answers. sluice is ready when all of these hold:
//  - the run is going: started, not stopping after SIGTERM/SIGINT, not ended;
//  - the source is reading: a Kafka consumer has at least one partition assigned (a member of a
//    group with more members than partitions stays not ready: it has nothing to do); a file or
//    stdin source is reading from the start;
//  - the sink is delivering: the latest finished request was answered with anything but a 5xx,
//    408 or 429, or no request finished yet (an idle topic sends nothing and is still ready).
// NotReadyReason gives "" when ready, else the first condition that fails, in words; the server
// answers 503 with it. Used by app/pipeline_setup. Thread-safety: a pure function.
#pragma once

#include <string>

namespace sluice::metrics {

struct ReadinessInputs {
  bool started = false;         ///< the pipeline is running
  bool stopping = false;        ///< a stop signal arrived
  bool ended = false;           ///< the pipeline returned
  bool kafka = false;           ///< the source is a Kafka consumer
  int assigned_partitions = 0;  ///< Kafka only
  bool sink_delivering = true;  ///< HttpSender::SinkDelivering()
};

std::string NotReadyReason(const ReadinessInputs& in);

}  // namespace sluice::metrics
