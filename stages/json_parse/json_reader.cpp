// File: stages/json_parse/json_reader.cpp
// Full-validation walk and minify; see json_reader.h.
#include "stages/json_parse/json_reader.h"

#include <cstring>

#include "stages/json_parse/json_number.h"

namespace sluice::stages {

using simdjson::error_code;
namespace od = simdjson::ondemand;

error_code CheckStringToken(od::value& value, std::string_view token, bool* has_escapes) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') {
    return simdjson::STRING_ERROR;
  }
  const std::string_view content = token.substr(1, token.size() - 2);
  *has_escapes = std::memchr(content.data(), '\\', content.size()) != nullptr;
  if (*has_escapes) {
    std::string_view unescaped;
    if (error_code e = value.get_string().get(unescaped); e) return e;
  }
  return simdjson::SUCCESS;
}

error_code ValidateValue(od::value& value, int depth) {
  size_t ignored = 0;
  return ValidateValue(value, depth, true, &ignored);
}

error_code ValidateValue(od::value& value, int depth, bool may_have_escapes,
                         size_t* compact_bytes) {
  if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (error_code e = value.type().get(type); e) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (error_code e = value.get_object().get(object); e) return e;
      size_t fields = 0;
      for (auto field_result : object) {
        od::field field;
        if (error_code e = std::move(field_result).get(field); e) return e;
        std::string_view key;
        size_t key_bytes = 0;
        RawFieldKey(field, &key, &key_bytes);
        if (may_have_escapes && std::memchr(key.data(), '\\', key.size()) != nullptr) {
          if (error_code e = field.unescaped_key().get(key); e) return e;
        }
        *compact_bytes += key_bytes + 1;  // key and ':'
        ++fields;
        if (error_code e = ValidateValue(field.value(), depth + 1, may_have_escapes, compact_bytes);
            e) {
          return e;
        }
      }
      *compact_bytes += 2 + (fields > 0 ? fields - 1 : 0);  // braces and commas
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (error_code e = value.get_array().get(array); e) return e;
      size_t elements = 0;
      for (auto element_result : array) {
        od::value element;
        if (error_code e = std::move(element_result).get(element); e) return e;
        ++elements;
        if (error_code e = ValidateValue(element, depth + 1, may_have_escapes, compact_bytes); e) {
          return e;
        }
      }
      *compact_bytes += 2 + (elements > 0 ? elements - 1 : 0);
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      const std::string_view t = TrimmedToken(value);
      *compact_bytes += t.size();
      if (!may_have_escapes) {
        return t.size() >= 2 && t.back() == '"' ? simdjson::SUCCESS : simdjson::STRING_ERROR;
      }
      bool has_escapes = false;
      return CheckStringToken(value, t, &has_escapes);
    }
    case od::json_type::number: {
      const std::string_view t = TrimmedToken(value);
      *compact_bytes += t.size();
      JsonNumberText n;
      return ParseJsonNumber(t, &n) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::boolean: {
      const std::string_view t = TrimmedToken(value);
      *compact_bytes += t.size();
      if (CheckLiteral(t, "true") || CheckLiteral(t, "false")) return simdjson::SUCCESS;
      return t.front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR;
    }
    case od::json_type::null: {
      const std::string_view t = TrimmedToken(value);
      *compact_bytes += t.size();
      return CheckLiteral(t, "null") ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

error_code CheckDocumentEnd(od::document& doc) {
  const char* location = nullptr;
  error_code e = doc.current_location().get(location);
  if (e == simdjson::OUT_OF_BOUNDS) return simdjson::SUCCESS;  // consumed to the end
  if (e) return e;
  return simdjson::TRAILING_CONTENT;
}

error_code AppendMinified(std::string_view json, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + json.size());
  size_t written = 0;
  error_code e = simdjson::minify(json.data(), json.size(), out->data() + old_size, written);
  out->resize(e ? old_size : old_size + written);
  return e;
}

}  // namespace sluice::stages
