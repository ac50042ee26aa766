// File: devtools/sink_emulator/fault_injector.h
// FaultInjector: holds the current FaultConfig (changed at runtime by POST /admin/faults,
// /admin/stop, /admin/start) and draws, per request, which fault (if any) to inject and how
// much latency to add, from a seeded RNG. Thread-safety: all methods are thread-safe; the
// config is published as an immutable snapshot so readers never copy the reject list.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "engine/status.h"
#include "devtools/sink_emulator/emulator_config.h"

namespace sluice::emulator {

/// What to do with one request instead of (or before) answering it normally.
enum class FaultAction : uint8_t {
  kNone,            ///< answer normally
  kError500,        ///< 500 InternalError
  kError503,        ///< 503 ServiceUnavailable
  kError429,        ///< 429 TooManyRequests with Retry-After
  kError401,        ///< 401 Unauthorized (token revoked)
  kDropConnection,  ///< close the socket without answering
};

struct FaultDecision {
  FaultAction action = FaultAction::kNone;
  uint32_t latency_ms = 0;  ///< delay before the answer is sent
};

class FaultInjector {
 public:
  /// `seed` 0 = seed from std::random_device.
  FaultInjector(FaultConfig initial, uint64_t seed);

  /// Current configuration (immutable snapshot).
  std::shared_ptr<const FaultConfig> Snapshot() const;
  /// Draws the fault for one sink request.
  FaultDecision Decide();
  /// Applies a JSON object with any FaultConfig keys; unknown keys or bad values are
  /// InvalidArgument and leave the config unchanged.
  [[nodiscard]] Status ApplyJson(std::string_view json);
  void SetDown(bool down);
  /// The current config as a JSON object.
  std::string ToJson() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const FaultConfig> config_;
  std::mt19937_64 rng_;
};

}  // namespace sluice::emulator
