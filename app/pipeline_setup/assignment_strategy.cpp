// File: app/pipeline_setup/assignment_strategy.cpp
// See assignment_strategy.h.
#include "app/pipeline_setup/assignment_strategy.h"

#include <algorithm>

namespace sluice::cli {

Status TakeAssignmentStrategy(std::vector<std::pair<std::string, std::string>>* props, bool* cooperative) {
  constexpr const char* kName = "partition.assignment.strategy";
  std::string value;
  bool given = false;
  // The last entry wins, as it would in librdkafka.
  for (const auto& [name, v] : *props) {
    if (name == kName) {
      value = v;
      given = true;
    }
  }
  if (!given) return Status::Ok();
  props->erase(std::remove_if(props->begin(), props->end(), [&](const auto& p) { return p.first == kName; }),
               props->end());
  bool any_eager = false, any_cooperative = false;
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    if (comma == std::string::npos) comma = value.size();
    std::string name = value.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name == "range" || name == "roundrobin") {
      any_eager = true;
    } else if (name == "cooperative-sticky") {
      any_cooperative = true;
    } else {
      return {StatusCode::kInvalidArgument,
              std::string(kName) + " must be cooperative-sticky or a list of range/roundrobin, got \"" + value + "\""};
    }
    start = comma + 1;
  }
  if (any_eager == any_cooperative) {
    return {StatusCode::kInvalidArgument, std::string(kName) +
                                              " cannot mix the eager (range, roundrobin) and the cooperative "
                                              "(cooperative-sticky) protocol, got \"" +
                                              value + "\""};
  }
  *cooperative = any_cooperative;
  return Status::Ok();
}

}  // namespace sluice::cli
