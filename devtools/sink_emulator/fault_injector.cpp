#include "devtools/sink_emulator/fault_injector.h"

#include <simdjson.h>

#include <cstdio>

#include "devtools/sink_emulator/json_text.h"

namespace sluice::emulator {

FaultInjector::FaultInjector(FaultConfig initial, uint64_t seed)
    : config_(std::make_shared<const FaultConfig>(std::move(initial))),
      rng_(seed != 0 ? seed : (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}()) {}

std::shared_ptr<const FaultConfig> FaultInjector::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

FaultDecision FaultInjector::Decide() {
  std::lock_guard<std::mutex> lock(mu_);
  const FaultConfig& c = *config_;
  FaultDecision d;
  const double any = c.error_500_rate + c.error_503_rate + c.error_429_rate + c.error_401_rate +
                     c.drop_connection_rate;
  if (any > 0) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    double edge = 0;
    if (u < (edge += c.error_500_rate)) {
      d.action = FaultAction::kError500;
    } else if (u < (edge += c.error_503_rate)) {
      d.action = FaultAction::kError503;
    } else if (u < (edge += c.error_429_rate)) {
      d.action = FaultAction::kError429;
    } else if (u < (edge += c.error_401_rate)) {
      d.action = FaultAction::kError401;
    } else if (u < (edge += c.drop_connection_rate)) {
      d.action = FaultAction::kDropConnection;
    }
    // u is drawn from [0, 1), so a rate of 1.0 always fires and 0.0 never does.
  }
  d.latency_ms = c.latency_ms;
  if (c.latency_jitter_ms > 0) {
    d.latency_ms += std::uniform_int_distribution<uint32_t>(0, c.latency_jitter_ms)(rng_);
  }
  return d;
}

void FaultInjector::SetDown(bool down) {
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<FaultConfig>(*config_);
  next->down = down;
  config_ = std::move(next);
}

Status FaultInjector::ApplyJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root)) return InvalidArgument("invalid JSON");
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return InvalidArgument("expected a JSON object");
  std::lock_guard<std::mutex> lock(mu_);
  FaultConfig next = *config_;
  for (const simdjson::dom::key_value_pair field : obj) {
    // Named copies rather than a structured binding: the lambdas below capture them, and
    // clang before 16 (clang-tidy 14 on Debian 12) rejects capturing a structured binding.
    const std::string_view key = field.key;
    const simdjson::dom::element value = field.value;
    auto get_rate = [&](double* out) -> Status {
      double d = 0;
      if (value.get_double().get(d)) return InvalidArgument(std::string(key) + " must be a number");
      *out = d;
      return Status::Ok();
    };
    auto get_u32 = [&](uint32_t* out) -> Status {
      uint64_t v = 0;
      if (value.get_uint64().get(v) || v > 0xffffffffull) {
        return InvalidArgument(std::string(key) + " must be an unsigned integer");
      }
      *out = static_cast<uint32_t>(v);
      return Status::Ok();
    };
    if (key == "error_500_rate") {
      SLUICE_RETURN_IF_ERROR(get_rate(&next.error_500_rate));
    } else if (key == "error_503_rate") {
      SLUICE_RETURN_IF_ERROR(get_rate(&next.error_503_rate));
    } else if (key == "error_429_rate") {
      SLUICE_RETURN_IF_ERROR(get_rate(&next.error_429_rate));
    } else if (key == "error_401_rate") {
      SLUICE_RETURN_IF_ERROR(get_rate(&next.error_401_rate));
    } else if (key == "drop_connection_rate") {
      SLUICE_RETURN_IF_ERROR(get_rate(&next.drop_connection_rate));
    } else if (key == "retry_after_s") {
      SLUICE_RETURN_IF_ERROR(get_u32(&next.retry_after_s));
    } else if (key == "latency_ms") {
      SLUICE_RETURN_IF_ERROR(get_u32(&next.latency_ms));
    } else if (key == "latency_jitter_ms") {
      SLUICE_RETURN_IF_ERROR(get_u32(&next.latency_jitter_ms));
    } else if (key == "max_body_bytes") {
      uint64_t v = 0;
      if (value.get_uint64().get(v)) return InvalidArgument("max_body_bytes must be an unsigned integer");
      next.max_body_bytes = v;
    } else if (key == "down") {
      if (value.get_bool().get(next.down)) return InvalidArgument("down must be a bool");
    } else if (key == "reject_ids") {
      simdjson::dom::array arr;
      if (value.get_array().get(arr)) return InvalidArgument("reject_ids must be an array");
      next.reject_ids.clear();
      for (simdjson::dom::element e : arr) {
        std::string_view s;
        uint64_t u = 0;
        if (!e.get_string().get(s)) {
          next.reject_ids.emplace_back(s);
        } else if (!e.get_uint64().get(u)) {
          next.reject_ids.push_back(std::to_string(u));
        } else {
          return InvalidArgument("reject_ids elements must be strings or unsigned integers");
        }
      }
    } else {
      return InvalidArgument("unknown fault key '" + std::string(key) + "'");
    }
  }
  SLUICE_RETURN_IF_ERROR(Validate(next));
  config_ = std::make_shared<const FaultConfig>(std::move(next));
  return Status::Ok();
}

std::string FaultInjector::ToJson() const {
  std::shared_ptr<const FaultConfig> c = Snapshot();
  auto num = [](double d) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", d);
    return std::string(buf);
  };
  std::string out = "{";
  out += "\"error_500_rate\":" + num(c->error_500_rate);
  out += ",\"error_503_rate\":" + num(c->error_503_rate);
  out += ",\"error_429_rate\":" + num(c->error_429_rate);
  out += ",\"retry_after_s\":" + std::to_string(c->retry_after_s);
  out += ",\"error_401_rate\":" + num(c->error_401_rate);
  out += ",\"drop_connection_rate\":" + num(c->drop_connection_rate);
  out += ",\"latency_ms\":" + std::to_string(c->latency_ms);
  out += ",\"latency_jitter_ms\":" + std::to_string(c->latency_jitter_ms);
  out += ",\"max_body_bytes\":" + std::to_string(c->max_body_bytes);
  out += ",\"reject_ids\":[";
  for (size_t i = 0; i < c->reject_ids.size(); ++i) {
    if (i) out += ",";
    AppendJsonString(out, c->reject_ids[i]);
  }
  out += "],\"down\":";
  out += c->down ? "true" : "false";
  out += "}";
  return out;
}

}  // namespace sluice::emulator
