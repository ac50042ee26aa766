// File: devtools/mock_kafka/control_commands.cpp
// Parsing and dispatch of the sluice-mock-kafka stdin control protocol.
#include "devtools/mock_kafka/control_commands.h"

#include <charconv>
#include <vector>

namespace sluice {
namespace {

std::vector<std::string_view> SplitWords(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

StatusOr<int> ParseNumber(std::string_view text, std::string_view what) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgument(std::string(what) + " must be an integer, got '" + std::string(text) +
                           "'");
  }
  return value;
}

std::string Answer(const Status& status, const std::string& ok_text) {
  if (!status.ok()) return "error " + status.ToString();
  return "ok " + ok_text;
}

std::string Usage(std::string_view command, std::string_view args) {
  return "error usage: " + std::string(command) + " " + std::string(args);
}

}  // namespace

std::string ExecuteControlCommand(MockCluster& cluster, std::string_view line, bool* quit) {
  const std::vector<std::string_view> words = SplitWords(line);
  if (words.empty()) return "";
  const std::string_view command = words[0];

  if (command == "quit" || command == "exit") {
    if (quit != nullptr) *quit = true;
    return "ok bye";
  }
  if (command == "broker-down" || command == "broker-up") {
    if (words.size() != 2) return Usage(command, "ID");
    StatusOr<int> id = ParseNumber(words[1], "broker id");
    if (!id.ok()) return Answer(id.status(), "");
    const bool down = command == "broker-down";
    return Answer(cluster.SetBrokerDown(*id, down),
                  "broker " + std::to_string(*id) + (down ? " down" : " up"));
  }
  if (command == "rtt") {
    if (words.size() != 3) return Usage(command, "ID MS");
    StatusOr<int> id = ParseNumber(words[1], "broker id");
    if (!id.ok()) return Answer(id.status(), "");
    StatusOr<int> ms = ParseNumber(words[2], "rtt");
    if (!ms.ok()) return Answer(ms.status(), "");
    return Answer(cluster.SetRtt(*id, *ms),
                  "broker " + std::to_string(*id) + " rtt " + std::to_string(*ms) + " ms");
  }
  if (command == "push-errors") {
    if (words.size() != 4) return Usage(command, "APIKEY ERRCODE COUNT");
    StatusOr<int> api_key = ParseApiKey(words[1]);
    if (!api_key.ok()) return Answer(api_key.status(), "");
    StatusOr<int> error_code = ParseErrorCode(words[2]);
    if (!error_code.ok()) return Answer(error_code.status(), "");
    StatusOr<int> count = ParseNumber(words[3], "count");
    if (!count.ok()) return Answer(count.status(), "");
    return Answer(cluster.PushRequestErrors(*api_key, *error_code, *count),
                  "pushed " + std::to_string(*count) + " x error " +
                      std::to_string(*error_code) + " on api key " + std::to_string(*api_key));
  }
  if (command == "create-topic") {
    if (words.size() != 3) return Usage(command, "NAME PARTITIONS");
    StatusOr<int> partitions = ParseNumber(words[2], "partitions");
    if (!partitions.ok()) return Answer(partitions.status(), "");
    const std::string name(words[1]);
    return Answer(cluster.CreateTopic(name, *partitions),
                  "topic " + name + " partitions " + std::to_string(*partitions));
  }
  return "error unknown command '" + std::string(command) +
         "' (broker-down ID, broker-up ID, rtt ID MS, push-errors APIKEY ERRCODE COUNT, "
         "create-topic NAME PARTITIONS, quit)";
}

}  // namespace sluice
