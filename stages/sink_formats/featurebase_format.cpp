#include "stages/sink_formats/featurebase_format.h"

#include <set>

#include <simdjson.h>

namespace sluice::stages {
namespace {
constexpr std::string_view kOpen = "{\"records\":[";
constexpr std::string_view kRecordOpen = "{\"value\":";
constexpr std::string_view kClose = "]}";

// Reads the per-record errors of a 2xx answer. Unknown shapes are ignored rather than failing:
// the request was accepted, and a record we cannot attribute an error to counts as stored.
void ParsePerRecordErrors(std::string_view body, size_t record_count,
                          std::vector<RejectedIndex>& out) {
  if (body.empty()) return;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return;
  simdjson::dom::array errors;
  if (doc["errors"].get_array().get(errors) != simdjson::SUCCESS) return;
  std::set<uint64_t> seen;
  for (simdjson::dom::element e : errors) {
    if (!e.is_object()) continue;
    uint64_t index = 0;
    int64_t signed_index = 0;
    if (e["index"].get_uint64().get(index) != simdjson::SUCCESS) {
      if (e["index"].get_int64().get(signed_index) != simdjson::SUCCESS || signed_index < 0) continue;
      index = static_cast<uint64_t>(signed_index);
    }
    if (index >= record_count || !seen.insert(index).second) continue;
    std::string_view text;
    std::string reason;
    for (const char* key : {"message", "error", "reason"}) {
      if (e[key].get_string().get(text) == simdjson::SUCCESS) {
        reason = std::string(text);
        break;
      }
    }
    if (reason.empty()) reason = "rejected by sink (no reason given)";
    out.push_back(RejectedIndex{static_cast<uint32_t>(index), BodySnippet(reason, 500)});
  }
}
}  // namespace

void FeatureBaseFormat::Open(std::string& payload) const { payload.append(kOpen); }

uint32_t FeatureBaseFormat::Append(std::string& payload, std::string_view value, bool first) const {
  if (!first) payload.push_back(',');
  payload.append(kRecordOpen);
  const auto offset = static_cast<uint32_t>(payload.size());
  payload.append(value);
  payload.push_back('}');
  return offset;
}

void FeatureBaseFormat::Close(std::string& payload) const { payload.append(kClose); }

size_t FeatureBaseFormat::PerRecordOverheadBytes() const {
  return kRecordOpen.size() + 2;  // + '}' + ','
}

ResponseVerdict FeatureBaseFormat::Judge(long http_status, std::string_view body,
                                         size_t record_count) const {
  ResponseVerdict v = StandardJudge(http_status, body, overrides_);
  if (v.cls == ResponseClass::kAccepted) ParsePerRecordErrors(body, record_count, v.rejected);
  return v;
}

}  // namespace sluice::stages
