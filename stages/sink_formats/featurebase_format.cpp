#include "stages/sink_formats/featurebase_format.h"

#include <set>

#include <simdjson.h>

namespace sluice::stages {
namespace {
constexpr std::string_view kOpen = "{\"records\":[";
constexpr std::string_view kRecordOpen = "{\"value\":";
constexpr std::string_view kClose = "]}";

// Reads a 2xx answer into `v`: which records failed, and whether the answer accounts for every
// record sent. FeatureBase (and the emulator) answer
//   {"success":true,"records_received":N,"records_stored":S,"errors":[{"index":i,"message":...}]}
// The answer acknowledges the batch only when nothing in it says records went missing:
//   - empty body: accepted (nothing says otherwise; FeatureBase itself always answers JSON);
//   - not a JSON object: kNotUnderstood;
//   - "success":false: kNotUnderstood, unless stored + named failures account for every record;
//   - "records_stored" given: stored + named failures < sent means records went missing
//     without being named: kNotUnderstood (the whole batch is resent; the sink upserts by _id);
//   - no "records_stored": the listed errors are the failures, the rest counts as stored.
// Errors with an index outside the request, or listed twice, are not counted.
void JudgeAcceptedAnswer(std::string_view body, size_t record_count, ResponseVerdict& v) {
  if (body.empty()) return;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    v.cls = ResponseClass::kNotUnderstood;
    v.reason = "2xx answer is not the JSON object FeatureBase answers: " + BodySnippet(body, 200);
    return;
  }
  simdjson::dom::array errors;
  if (doc["errors"].get_array().get(errors) == simdjson::SUCCESS) {
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
      v.rejected.push_back(RejectedIndex{static_cast<uint32_t>(index), BodySnippet(reason, 500)});
    }
  }
  bool success = true;
  const bool has_success = doc["success"].get_bool().get(success) == simdjson::SUCCESS;
  uint64_t stored = 0;
  bool has_stored = doc["records_stored"].get_uint64().get(stored) == simdjson::SUCCESS;
  if (!has_stored) {
    double stored_d = 0;  // a sink may write the count as 3.0
    if (doc["records_stored"].get_double().get(stored_d) == simdjson::SUCCESS && stored_d >= 0) {
      stored = static_cast<uint64_t>(stored_d);
      has_stored = true;
    }
  }
  const uint64_t named = v.rejected.size();
  const bool accounted = has_stored && stored + named >= record_count;
  std::string why;
  if (has_success && !success && !accounted) {
    why = "the sink answered \"success\":false";
  } else if (has_stored && !accounted) {
    why = "the sink stored " + std::to_string(stored) + " of " + std::to_string(record_count) +
          " records and named " + std::to_string(named) + " failures";
  }
  if (!why.empty()) {
    v.cls = ResponseClass::kNotUnderstood;
    v.rejected.clear();
    v.reason = why + ": " + BodySnippet(body, 200);
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
  if (v.cls == ResponseClass::kAccepted) JudgeAcceptedAnswer(body, record_count, v);
  return v;
}

}  // namespace sluice::stages
