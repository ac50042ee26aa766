// File: stages/schema_map/field_walk.cpp
// FieldMapper's full walk: the simdjson On-Demand iteration of one record with the coercions
// of docs/schema.md. It decides every record the fast path gives up on, and words every
// rejection. Number and bool rules come from number_coercion.h (shared with the fast path).
// Thread-safety: const methods on a shared FieldMapper; Context and the scratch belong to the
// calling worker.
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "engine/json_string.h"
#include "stages/json_parse/json_number.h"
#include "stages/schema_map/field_mapper.h"
#include "stages/schema_map/number_coercion.h"
#include "stages/schema_map/rfc3339.h"

namespace sluice::stages {

namespace od = simdjson::ondemand;
using simdjson::error_code;

namespace {

std::string_view TypeArticle(od::json_type type) {
  switch (type) {
    case od::json_type::object: return "an object";
    case od::json_type::array: return "an array";
    case od::json_type::string: return "a string";
    case od::json_type::number: return "a number";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown value";
}

std::string_view ExpectedFor(const Column& c) {
  switch (c.type) {
    case ColumnType::kString: return "a string";
    case ColumnType::kInt: return "an int";
    case ColumnType::kDecimal: return "a decimal number";
    case ColumnType::kBool: return "a bool";
    case ColumnType::kTimestamp: return "an RFC 3339 timestamp string";
    case ColumnType::kId: return "an unsigned id";
    case ColumnType::kStringSet: return "a string or a list of strings";
    case ColumnType::kIdSet: return "an id or a list of ids";
  }
  return "?";
}

// A token for a message: at most 64 bytes, never cutting a UTF-8 sequence.
std::string Preview(std::string_view token) {
  constexpr size_t kMax = 64;
  if (token.size() <= kMax) return std::string(token);
  size_t n = kMax;
  while (n > 0 && (static_cast<unsigned char>(token[n]) & 0xC0) == 0x80) --n;
  return std::string(token.substr(0, n)) + "...";
}

}  // namespace

struct FieldMapper::Context {
  const char* base = nullptr;  // payload start: input slots are offsets from it
  Scratch* scratch = nullptr;
  std::string* reason = nullptr;
  // False when the record has no backslash at all: then no string or key needs unescaping
  // to be checked or matched (one memchr per record instead of one per token).
  bool may_escape = true;
  // Length of the record once minified, summed over the walk (tokens, ':', ',', brackets):
  // equal to the record's length exactly when it has no insignificant whitespace, in which
  // case raw mode copies it instead of running simdjson::minify.
  size_t compact = 0;

  bool JsonError(error_code e) {
    *reason = "invalid JSON: ";
    *reason += JsonErrorText(e);
    return false;
  }
  bool ColumnError(const Column& c, std::string_view detail) {
    reason->clear();
    reason->append("column ");
    AppendJsonString(*reason, c.name);
    reason->append(": ");
    reason->append(detail);
    return false;
  }
  bool TypeError(const Column& c, od::json_type got) {
    return ColumnError(c, "expected " + std::string(ExpectedFor(c)) + ", got " +
                              std::string(TypeArticle(got)));
  }
  void SetInput(Scratch::Slot& slot, std::string_view token) {
    slot.source = Scratch::Source::kInput;
    slot.begin = static_cast<uint32_t>(token.data() - base);
    slot.length = static_cast<uint32_t>(token.size());
  }
};

bool FieldMapper::MapRecordFullWalk(JsonReader& reader, Scratch& scratch, const char* data,
                                    size_t length, size_t capacity, PayloadMode mode,
                                    std::string* out, std::string* reason) const {
  Context ctx;
  ctx.base = data;
  ctx.scratch = &scratch;
  ctx.reason = reason;
  ctx.may_escape = std::memchr(data, '\\', length) != nullptr;
  scratch.buffer.clear();
  static_assert(std::is_trivially_copyable_v<Scratch::Slot>);
  std::memset(static_cast<void*>(scratch.slots.data()), 0,
              scratch.slots.size() * sizeof(Scratch::Slot));  // all kAbsent, not seen

  od::document doc;
  if (error_code e = reader.Iterate(data, length, capacity, &doc); e) return ctx.JsonError(e);
  od::json_type root_type;
  if (error_code e = doc.type().get(root_type); e) return ctx.JsonError(e);
  if (root_type != od::json_type::object) {
    // Say "invalid JSON" for text that is not JSON at all ("not json", "tru").
    std::string_view token;
    if (doc.raw_json_token().get(token) == simdjson::SUCCESS) {
      while (!token.empty() && (token.back() == ' ' || token.back() == '\n' ||
                                token.back() == '\r' || token.back() == '\t')) {
        token.remove_suffix(1);
      }
      JsonNumberText n;
      const bool valid =
          (root_type == od::json_type::null && token == "null") ||
          (root_type == od::json_type::boolean && (token == "true" || token == "false")) ||
          (root_type == od::json_type::number && ParseJsonNumber(token, &n)) ||
          (root_type == od::json_type::string && token.size() >= 2 && token.back() == '"') ||
          root_type == od::json_type::array;
      if (!valid) return ctx.JsonError(simdjson::TAPE_ERROR);
    }
    *reason = "record is not a JSON object (got " + std::string(TypeArticle(root_type)) + ")";
    return false;
  }
  od::object root;
  if (error_code e = doc.get_object().get(root); e) return ctx.JsonError(e);
  if (!WalkObject(root, 0, 1, ctx)) return false;
  if (error_code e = CheckDocumentEnd(doc); e) return ctx.JsonError(e);

  const Column& id = schema_.id_column();
  if (scratch.slots[schema_.id_index()].source == Scratch::Source::kAbsent) {
    *reason = "missing _id (path " + PathToString(id.path) + ")";
    return false;
  }

  if (mode == PayloadMode::kRaw) {
    if (ctx.compact == length) {  // already minified: nothing to remove
      out->append(data, length);
      return true;
    }
    if (error_code e = AppendMinified(std::string_view(data, length), out); e) {
      return ctx.JsonError(e);
    }
    return true;
  }
  AppendMapped(scratch, data, out);
  return true;
}

bool FieldMapper::WalkObject(od::object& object, uint32_t node, int depth, Context& ctx) const {
  if (depth > kMaxJsonDepth) return ctx.JsonError(simdjson::DEPTH_ERROR);
  size_t fields = 0;
  for (auto field_result : object) {
    od::field field;
    if (error_code e = std::move(field_result).get(field); e) return ctx.JsonError(e);
    std::string_view key;
    size_t key_bytes = 0;
    RawFieldKey(field, &key, &key_bytes);
    ctx.compact += key_bytes + 1;  // key and ':'
    ++fields;
    int32_t child;
    if (ctx.may_escape && std::memchr(key.data(), '\\', key.size()) != nullptr) {
      // Escaped key: checked and matched in its unescaped form ("cl\u00e9" is "clé").
      if (error_code e = field.unescaped_key().get(key); e) return ctx.JsonError(e);
      child = trie_.FindChild(node, key);
    } else {
      child = trie_.FindChildInPlace(node, key);
    }
    od::value& value = field.value();
    if (child < 0) {
      if (error_code e = ValidateValue(value, depth + 1, ctx.may_escape, &ctx.compact); e) {
        return ctx.JsonError(e);
      }
      continue;
    }
    const Node& n = trie_.node(static_cast<size_t>(child));
    if (n.column >= 0) {
      const uint32_t index = static_cast<uint32_t>(n.column);
      Scratch::Slot& slot = ctx.scratch->slots[index];
      if (!ctx.may_escape && !slot.seen &&
          schema_.columns()[index].type == ColumnType::kString) {
        // The most common case, without a call: a string for a string column in a record
        // without backslashes is kept as its token (what Coerce would do).
        const std::string_view token = TrimmedToken(value);
        if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
          slot.seen = true;
          ctx.compact += token.size();
          ctx.SetInput(slot, token);
          continue;
        }
      }
      if (!Coerce(index, value, depth + 1, ctx)) return false;
      continue;
    }
    od::json_type type;
    if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
    if (type == od::json_type::object) {
      od::object inner;
      if (error_code e = value.get_object().get(inner); e) return ctx.JsonError(e);
      if (!WalkObject(inner, static_cast<uint32_t>(child), depth + 1, ctx)) return false;
    } else if (type == od::json_type::null) {
      // A null object leaves every column under it out, like a missing key.
      const std::string_view token = TrimmedToken(value);
      ctx.compact += token.size();
      if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
    } else {
      const Column& c = schema_.columns()[n.first_column];
      std::vector<std::string> prefix(c.path.begin(), c.path.begin() + static_cast<long>(n.depth));
      return ctx.ColumnError(c, "expected an object at " + PathToString(prefix) + ", got " +
                                    std::string(TypeArticle(type)));
    }
  }
  ctx.compact += 2 + (fields > 0 ? fields - 1 : 0);  // braces and commas
  return true;
}

namespace {

// Content of a string token: the bytes between the quotes, or (only when the token has
// escapes) the unescaped text in the parser's string buffer, valid until the next record.
error_code StringContent(od::value& value, std::string_view token, bool may_escape,
                         std::string_view* content) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return simdjson::STRING_ERROR;
  const std::string_view inner = token.substr(1, token.size() - 2);
  if (may_escape && std::memchr(inner.data(), '\\', inner.size()) != nullptr) {
    return value.get_string().get(*content);
  }
  *content = inner;
  return simdjson::SUCCESS;
}

}  // namespace

bool FieldMapper::Coerce(uint32_t index, od::value& value, int depth, Context& ctx) const {
  const Column& column = schema_.columns()[index];
  Scratch::Slot& slot = ctx.scratch->slots[index];
  if (slot.seen) return ctx.ColumnError(column, "duplicate key in the record");
  slot.seen = true;
  od::json_type type;
  if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
  const std::string_view token = TrimmedToken(value);
  if (type != od::json_type::array) ctx.compact += token.size();  // arrays: counted below
  if (type == od::json_type::null) {
    if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
    return true;  // null leaves the column out
  }
  std::string& buf = ctx.scratch->buffer;
  const size_t begin = buf.size();
  auto finish_buffer = [&]() { return SetBufferSlot(slot, begin, buf.size()); };

  switch (column.type) {
    case ColumnType::kString: {
      if (type == od::json_type::string) {
        if (ctx.may_escape) {
          bool has_escapes = false;
          if (error_code e = CheckStringToken(value, token, &has_escapes); e) {
            return ctx.JsonError(e);
          }
        } else if (token.size() < 2 || token.back() != '"') {
          return ctx.JsonError(simdjson::STRING_ERROR);
        }
        ctx.SetInput(slot, token);  // the original token: escapes and unicode kept as sent
        return true;
      }
      if (!AppendSetElement(column, value, ctx)) return false;
      return finish_buffer();
    }
    case ColumnType::kInt:
    case ColumnType::kId:
    case ColumnType::kDecimal: {
      std::string_view text;
      if (type == od::json_type::number) {
        text = token;
      } else if (type == od::json_type::string) {
        if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
      } else {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      JsonNumberText n;
      if (!ParseJsonNumber(text, &n)) {
        if (type == od::json_type::number) return ctx.JsonError(simdjson::NUMBER_ERROR);
        return ctx.ColumnError(column, Preview(token) + " is not a number");
      }
      bool keep_token = false;
      int64_t fraction_digits = 0;
      const NumberConversion r = CoerceNumber(column, n, type == od::json_type::number, &buf,
                                              &keep_token, &fraction_digits);
      switch (r) {
        case NumberConversion::kOk:
          if (keep_token) {
            ctx.SetInput(slot, token);
            return true;
          }
          return finish_buffer();
        case NumberConversion::kNotInteger:
          return ctx.ColumnError(column, Preview(token) + " is not an integer");
        case NumberConversion::kNegative:
          return ctx.ColumnError(column, Preview(token) + " is negative (id is unsigned)");
        case NumberConversion::kOutOfRange:
          return ctx.ColumnError(
              column, Preview(token) + " is out of range for " +
                          (column.type == ColumnType::kDecimal
                               ? "decimal(18," + std::to_string(column.scale) + ")"
                               : std::string(ColumnTypeName(column.type))));
        case NumberConversion::kTooManyDecimals:
          return ctx.ColumnError(column, Preview(token) + " has " + std::to_string(fraction_digits) +
                                             " fractional digits, scale is " +
                                             std::to_string(column.scale));
      }
      return ctx.ColumnError(column, "bad number");
    }
    case ColumnType::kBool: {
      bool v = false;
      if (type == od::json_type::boolean) {
        if (CheckLiteral(token, "true")) {
          v = true;
        } else if (!CheckLiteral(token, "false")) {
          return ctx.JsonError(token.front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR);
        }
      } else if (type == od::json_type::string || type == od::json_type::number) {
        std::string_view text = token;
        if (type == od::json_type::string) {
          if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
        } else {
          JsonNumberText n;
          if (!ParseJsonNumber(token, &n)) return ctx.JsonError(simdjson::NUMBER_ERROR);
        }
        if (!BoolFromText(text, type == od::json_type::string, &v)) {
          return ctx.ColumnError(column, Preview(token) +
                                             " is not a bool (use true/false, \"true\"/\"false\", 0 or 1)");
        }
      } else {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      buf.append(v ? "true" : "false");
      return finish_buffer();
    }
    case ColumnType::kTimestamp: {
      if (type != od::json_type::string) {
        if (error_code e = ValidateValue(value, depth); e) return ctx.JsonError(e);
        return ctx.TypeError(column, type);
      }
      std::string_view text;
      if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
      if (!IsRfc3339Timestamp(text)) {
        return ctx.ColumnError(column, Preview(token) + " is not an RFC 3339 timestamp");
      }
      ctx.SetInput(slot, token);
      return true;
    }
    case ColumnType::kStringSet:
    case ColumnType::kIdSet: {
      buf.push_back('[');
      if (type == od::json_type::array) {
        od::array array;
        if (error_code e = value.get_array().get(array); e) return ctx.JsonError(e);
        bool first = true;
        ctx.compact += 2;  // brackets
        for (auto element_result : array) {
          od::value element;
          if (error_code e = std::move(element_result).get(element); e) return ctx.JsonError(e);
          ctx.compact += TrimmedToken(element).size() + (first ? 0 : 1);  // element and ','
          if (!first) buf.push_back(',');
          first = false;
          if (!AppendSetElement(column, element, ctx)) return false;
        }
      } else if (!AppendSetElement(column, value, ctx)) {
        return false;
      }
      buf.push_back(']');
      return finish_buffer();
    }
  }
  return ctx.ColumnError(column, "unknown column type");
}

// One string (string column from a non-string, or a stringset element) or one id (idset
// element), appended to the scratch buffer as JSON text.
bool FieldMapper::AppendSetElement(const Column& column, od::value& value, Context& ctx) const {
  std::string& buf = ctx.scratch->buffer;
  od::json_type type;
  if (error_code e = value.type().get(type); e) return ctx.JsonError(e);
  const std::string_view token = TrimmedToken(value);
  const bool ids = column.type == ColumnType::kIdSet;
  switch (type) {
    case od::json_type::string: {
      if (ids) {
        std::string_view text;
        if (error_code e = StringContent(value, token, ctx.may_escape, &text); e) return ctx.JsonError(e);
        JsonNumberText n;
        uint64_t v = 0;
        if (!ParseJsonNumber(text, &n) || ToUint64(n, &v) != NumberConversion::kOk) {
          return ctx.ColumnError(column, Preview(token) + " is not an unsigned id");
        }
        AppendUint(&buf, v);
        return true;
      }
      if (ctx.may_escape) {
        bool has_escapes = false;
        if (error_code e = CheckStringToken(value, token, &has_escapes); e) return ctx.JsonError(e);
      }
      buf.append(token);
      return true;
    }
    case od::json_type::number: {
      JsonNumberText n;
      if (!ParseJsonNumber(token, &n)) return ctx.JsonError(simdjson::NUMBER_ERROR);
      if (ids) {
        uint64_t v = 0;
        switch (ToUint64(n, &v)) {
          case NumberConversion::kOk: AppendUint(&buf, v); return true;
          case NumberConversion::kNegative:
            return ctx.ColumnError(column, Preview(token) + " is negative (id is unsigned)");
          case NumberConversion::kOutOfRange:
            return ctx.ColumnError(column, Preview(token) + " is out of range for id");
          default: return ctx.ColumnError(column, Preview(token) + " is not an integer");
        }
      }
      buf.push_back('"');
      buf.append(token);  // number text is plain ASCII: no escaping needed
      buf.push_back('"');
      return true;
    }
    case od::json_type::boolean: {
      const bool t = CheckLiteral(token, "true");
      if (!t && !CheckLiteral(token, "false")) {
        return ctx.JsonError(token.front() == 't' ? simdjson::T_ATOM_ERROR : simdjson::F_ATOM_ERROR);
      }
      if (ids) return ctx.TypeError(column, type);
      buf.append(t ? "\"true\"" : "\"false\"");
      return true;
    }
    case od::json_type::null:
      if (!CheckLiteral(token, "null")) return ctx.JsonError(simdjson::N_ATOM_ERROR);
      return ctx.ColumnError(column, "null inside a set");
    case od::json_type::object:
    case od::json_type::array:
      return ctx.TypeError(column, type);
  }
  return ctx.TypeError(column, type);
}

}  // namespace sluice::stages
