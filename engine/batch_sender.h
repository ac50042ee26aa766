// File: engine/batch_sender.h
// BatchSender: the engine's view of the sink stage. Submit() hands over a sealed batch; the
// sender reports every record's fate through the DeliveryListener exactly once (delivered or
// rejected), possibly after retries. Implemented in stages/http_sink (libcurl multi on its own
// thread). Thread-safety: Submit/Stats are thread-safe; Start/Stop are called by the pipeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/batch.h"
#include "engine/delivery_report.h"
#include "engine/status.h"

namespace sluice {

struct SenderStats {
  uint64_t requests = 0;          ///< HTTP requests completed (any outcome)
  uint64_t retries = 0;           ///< requests resent after a transient failure
  uint64_t retries_throttled = 0; ///< of which 429/ResourceThroughputExceeded/Retry-After
  uint64_t retries_server = 0;    ///< of which 5xx/408
  uint64_t retries_network = 0;   ///< of which connection/timeouts
  uint64_t auth_refreshes = 0;    ///< tokens fetched
  uint64_t splits = 0;            ///< batches split after 413 / whole-request 400
  uint64_t bytes_sent = 0;        ///< request body bytes of successful requests
  uint64_t in_flight = 0;         ///< requests on the wire now
  uint64_t queued = 0;            ///< batches waiting (incl. backoff)
  double latency_p50_ms = 0, latency_p99_ms = 0, latency_max_ms = 0;
};

class BatchSender {
 public:
  virtual ~BatchSender() = default;
  /// Starts the sender thread. `listener` outlives the sender.
  [[nodiscard]] virtual Status Start(DeliveryListener* listener) = 0;
  /// Hands over a batch. Never blocks; the engine bounds what is outstanding.
  virtual void Submit(std::unique_ptr<Batch> batch) = 0;
  /// Stops: with abandon=false, first finishes every batch submitted (the caller bounds the
  /// wait by calling Stop(true) later); with abandon=true, drops what is left unreported.
  virtual void Stop(bool abandon) = 0;
  virtual SenderStats Stats() const = 0;
  /// Largest body the sink is known to accept (lowered after a 413); the pipeline passes it to
  /// the batch assembler. Thread-safe.
  virtual size_t MaxBatchBytesHint() const { return SIZE_MAX; }
};

}  // namespace sluice
