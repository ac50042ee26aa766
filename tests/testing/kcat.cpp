#include "tests/testing/kcat.h"

#include <sstream>

#include "tests/testing/process_env.h"

namespace sluice::testing {

std::string KafkaMessage::Header(const std::string& name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return v.value_or("<null>");
  }
  return "<absent>";
}

std::vector<std::string> KafkaMessage::HeaderNames() const {
  std::vector<std::string> out;
  for (const auto& h : headers) out.push_back(h.first);
  return out;
}

std::optional<std::string> OptionalString(simdjson::dom::element e) {
  if (e.is_null()) return std::nullopt;
  std::string_view s;
  if (e.get_string().get(s)) return std::string("<not a string>");
  return std::string(s);
}

bool ForEachJsonLine(const std::string& text, std::string* error,
                     const std::function<bool(const std::string& line)>& wanted,
                     const std::function<bool(simdjson::dom::element doc, const std::string& line)>& each) {
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!wanted(line)) continue;
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc)) {
      *error = "not JSON: " + line;
      return false;
    }
    if (!each(doc, line)) return false;
  }
  return true;
}

std::vector<KafkaMessage> ParseKcatJson(const std::string& text, std::string* error) {
  std::vector<KafkaMessage> out;
  const auto is_message = [](const std::string& line) { return !line.empty() && line[0] == '{'; };
  const bool ok = ForEachJsonLine(text, error, is_message, [&](simdjson::dom::element doc, const std::string&) {
    KafkaMessage m;
    m.key = OptionalString(doc["key"]);
    m.value = OptionalString(doc["payload"]);
    simdjson::dom::array headers;
    if (!doc["headers"].get_array().get(headers)) {
      std::optional<std::string> name;
      for (simdjson::dom::element h : headers) {
        if (!name) {
          name = OptionalString(h).value_or("<null name>");
        } else {
          m.headers.emplace_back(*name, OptionalString(h));
          name.reset();
        }
      }
    }
    out.push_back(std::move(m));
    return true;
  });
  if (!ok) out.clear();
  return out;
}

ProcessResult Kcat(const std::vector<std::string>& args, const std::string& input, const std::string& dir,
                   int timeout_ms) {
  ProcessOptions o;
  o.argv = {"/usr/bin/env", "kcat"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  if (!input.empty()) {
    o.stdin_path = dir + "/kcat-input.txt";
    WriteFileText(o.stdin_path, input);
  }
  return RunProcess(o, timeout_ms);
}

}  // namespace sluice::testing
