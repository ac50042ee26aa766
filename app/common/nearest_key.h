// File: app/common/nearest_key.h
// "Did you mean ...?": EditDistance (optimal string alignment, ASCII case ignored) and
// NearestKey (the closest of a list of known names, if close enough to be a typo). Used by
// `sluice schema check` (a schema path that matched no sample) and by the --config reader (an
// unknown key). Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::cli {

/// Optimal-string-alignment distance (insertions, deletions, substitutions and transpositions of
/// neighbours each cost 1), comparing ASCII letters without case, so "IATA" is 0 from "iata"
/// (keys are case-sensitive, so that is still a miss worth suggesting).
size_t EditDistance(std::string_view a, std::string_view b);

/// The key in `keys` closest to `wanted` if it is close enough to be a likely typo (distance at
/// most 1 for names up to 3 characters, 2 up to 6, 3 beyond); ties go to the earlier key.
std::optional<std::string> NearestKey(std::string_view wanted, const std::vector<std::string>& keys);

}  // namespace sluice::cli
