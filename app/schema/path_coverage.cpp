// File: app/schema/path_coverage.cpp
#include "app/schema/path_coverage.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace sluice::cli {
namespace {

// Keys listed in a diagnosis at most; the closest come first, so the cut drops unlikely ones.
constexpr size_t kListedKeys = 8;

std::string_view TypeName(simdjson::dom::element_type type) {
  switch (type) {
    case simdjson::dom::element_type::OBJECT: return "an object";
    case simdjson::dom::element_type::ARRAY: return "an array";
    case simdjson::dom::element_type::STRING: return "a string";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE: return "a number";
    case simdjson::dom::element_type::BOOL: return "a bool";
    case simdjson::dom::element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

// The element at `path[0, depth)` from `root`, or nothing when a step is missing or is taken
// from something that is not an object (the mapper's rule: paths only go through objects).
std::optional<simdjson::dom::element> Walk(simdjson::dom::element root, const std::vector<std::string>& path,
                                           size_t depth) {
  simdjson::dom::element at = root;
  for (size_t i = 0; i < depth; ++i) {
    simdjson::dom::object object;
    if (at.get(object) != simdjson::SUCCESS) return std::nullopt;
    simdjson::dom::element child;
    if (object.at_key(path[i]).get(child) != simdjson::SUCCESS) return std::nullopt;
    at = child;
  }
  return at;
}

// Keys come from the samples: keep control characters (a terminal escape, say) out of the
// message.
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// How a diagnosis names the object at a prefix: "origin" for one step, the JSON path beyond.
std::string PrefixName(const std::vector<std::string>& path, size_t depth) {
  if (depth == 1) return "\"" + Printable(path[0]) + "\"";
  return Printable(stages::PathToString(std::vector<std::string>(path.begin(), path.begin() + depth)));
}

}  // namespace

PathCoverage::PathCoverage(std::vector<stages::Column> columns)
    : columns_(std::move(columns)), counts_(columns_.size()) {
  for (const stages::Column& c : columns_) {
    for (size_t depth = 0; depth < c.path.size(); ++depth) {
      levels_[std::vector<std::string>(c.path.begin(), c.path.begin() + depth)];
    }
  }
}

void PathCoverage::Add(std::string_view payload) {
  ++samples_;
  simdjson::dom::element root;
  if (parser_.parse(payload.data(), payload.size()).get(root) != simdjson::SUCCESS ||
      root.type() != simdjson::dom::element_type::OBJECT) {
    ++non_objects_;
    return;
  }
  for (auto& [prefix, level] : levels_) {
    std::optional<simdjson::dom::element> at = Walk(root, prefix, prefix.size());
    if (!at) continue;
    simdjson::dom::object object;
    if (at->get(object) != simdjson::SUCCESS) {
      ++level.other_types[std::string(TypeName(at->type()))];
      continue;
    }
    ++level.objects;
    for (auto field : object) {
      std::string key(field.key);
      if (level.seen.insert(key).second) level.keys.push_back(std::move(key));
    }
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    std::optional<simdjson::dom::element> at = Walk(root, columns_[i].path, columns_[i].path.size());
    if (!at) continue;
    if (at->is_null()) {
      ++counts_[i].null;
    } else {
      ++counts_[i].value;
    }
  }
}

std::string PathCoverage::Diagnose(size_t column) const {
  const stages::Column& c = columns_[column];
  std::string out = "column " + c.name + ": path " + stages::PathToString(c.path) + " matched none of " +
                    std::to_string(samples_) + (samples_ == 1 ? " sample" : " samples");
  if (samples_ == 0) return out + " (there were no samples)";
  if (non_objects_ == samples_) return out + " (no sample is a JSON object)";

  // The deepest prefix that was an object in some sample is where the path broke.
  size_t depth = 0;
  while (depth + 1 < c.path.size()) {
    const auto next = levels_.find(std::vector<std::string>(c.path.begin(), c.path.begin() + depth + 1));
    if (next == levels_.end() || next->second.objects == 0) break;
    ++depth;
  }
  const Level& level = levels_.at(std::vector<std::string>(c.path.begin(), c.path.begin() + depth));
  const std::string& wanted = c.path[depth];
  const std::string where = depth == 0 ? "the records have" : PrefixName(c.path, depth) + " has";

  if (level.seen.count(wanted) != 0) {
    // The key exists but what it holds is never an object, so the rest of the path cannot follow.
    const auto held = levels_.find(std::vector<std::string>(c.path.begin(), c.path.begin() + depth + 1));
    out += "; " + PrefixName(c.path, depth + 1) + " is never an object: it is ";
    bool first = true;
    if (held != levels_.end()) {
      for (const auto& [type, count] : held->second.other_types) {
        out += (first ? "" : ", ") + type + " in " + std::to_string(count);
        first = false;
      }
    }
    return out;
  }
  if (level.keys.empty()) return out + "; " + where + " no keys";

  std::vector<size_t> order(level.keys.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<size_t> distance(level.keys.size());
  for (size_t i = 0; i < level.keys.size(); ++i) distance[i] = EditDistance(wanted, level.keys[i]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] < distance[b]; });
  out += "; " + where + " keys ";
  for (size_t i = 0; i < order.size() && i < kListedKeys; ++i) out += (i ? ", " : "") + Printable(level.keys[order[i]]);
  if (order.size() > kListedKeys) out += ", ...";
  if (std::optional<std::string> nearest = NearestKey(wanted, level.keys)) {
    out += ": did you mean \"" + Printable(*nearest) + "\"?";
  } else {
    out += ": none is close to \"" + Printable(wanted) + "\"";
  }
  return out;
}

}  // namespace sluice::cli
