#include "stages/http_sink/sender_concurrency.h"
#include "engine/log.h"

#include <cstdio>

namespace sluice::stages {

Status SenderConcurrency::Init(const HttpSinkConfig* config) {
  config_ = config;
  if (config->adaptive_concurrency) {
    ConcurrencyControllerConfig cc;
    cc.min_limit = config->min_concurrency;
    cc.max_limit = config->max_concurrency;
    cc.initial_limit = config->initial_concurrency;  // the controller clamps it into [min, max]
    SLUICE_RETURN_IF_ERROR(Validate(cc));
    controller_ = std::make_unique<ConcurrencyController>(cc);
    logged_limit_ = controller_->Limit();
  }
  published_.store(Limit());
  return Status::Ok();
}

void SenderConcurrency::MaybeLog(Clock::time_point now) {
  if (!controller_ || !config_->log_concurrency_changes) return;
  const int limit = controller_->Limit();
  if (limit == logged_limit_ || now - limit_logged_at_ < std::chrono::seconds(1)) return;
  Logf(LogLevel::kDebug, "http_sink", "concurrency limit %d -> %d (rtt mean %.1f ms, baseline %.1f ms)", logged_limit_,
       limit, controller_->RttMeanUs() / 1000.0, controller_->BaselineUs() / 1000.0);
  logged_limit_ = limit;
  limit_logged_at_ = now;
}

}  // namespace sluice::stages
