#include "stages/sink_formats/ndjson_format.h"

namespace sluice::stages {

uint32_t NdjsonFraming::Append(std::string& payload, std::string_view value, bool /*first*/) const {
  const auto offset = static_cast<uint32_t>(payload.size());
  payload.append(value);
  payload.push_back('\n');
  return offset;
}

ResponseVerdict NdjsonFormat::Judge(long http_status, std::string_view body,
                                    size_t /*record_count*/) const {
  return StandardJudge(http_status, body, overrides_);
}

}  // namespace sluice::stages
