#include "stages/sink_formats/json_array_format.h"

namespace sluice::stages {

uint32_t JsonArrayFormat::Append(std::string& payload, std::string_view value, bool first) const {
  if (!first) payload.push_back(',');
  const auto offset = static_cast<uint32_t>(payload.size());
  payload.append(value);
  return offset;
}

ResponseVerdict JsonArrayFormat::Judge(long http_status, std::string_view body,
                                       size_t /*record_count*/) const {
  return StandardJudge(http_status, body, overrides_);
}

}  // namespace sluice::stages
