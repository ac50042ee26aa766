#include "tests/testing/run_report.h"

#include <simdjson.h>

#include <string_view>

namespace sluice::testing {

RunReport ParseReport(const std::string& json) {
  RunReport r;
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string text(json);
  if (parser.parse(text).get(e)) return r;
  bool ok = !e["ok"].get_bool().get(r.ok);
  ok = ok && !e["consumed"].get_int64().get(r.consumed);
  ok = ok && !e["delivered"].get_int64().get(r.delivered);
  ok = ok && !e["dead_lettered"].get_int64().get(r.dead_lettered);
  ok = ok && !e["requests"].get_int64().get(r.requests);
  ok = ok && !e["retries"]["total"].get_int64().get(r.retries_total);
  ok = ok && !e["retries"]["throttled"].get_int64().get(r.retries_throttled);
  ok = ok && !e["retries"]["server"].get_int64().get(r.retries_server);
  ok = ok && !e["retries"]["network"].get_int64().get(r.retries_network);
  ok = ok && !e["auth_refreshes"].get_int64().get(r.auth_refreshes);
  ok = ok && !e["splits"].get_int64().get(r.splits);
  std::string_view err;
  if (!e["error"].get_string().get(err)) r.error = std::string(err);
  r.parsed = ok;
  return r;
}

int64_t ReportInt(const std::string& json, const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  simdjson::padded_string text(json);
  if (parser.parse(text).get(e)) return -1;
  simdjson::dom::element field;
  if (e[name].get(field)) return -1;
  int64_t i = 0;
  if (!field.get_int64().get(i)) return i;
  double d = 0;
  if (!field.get_double().get(d)) return static_cast<int64_t>(d);
  return -1;
}

}  // namespace sluice::testing
