// File: stages/schema_map/field_fast_path.cpp
// FieldMapper's byte-level fast path (MapRecordFast): one SIMD scan of the record
// (record_scan.h), then a walk of its bytes that matches keys against the path trie (the
// predicted key first) and coerces with the same rules as the full walk (number_coercion.h).
// It only accepts or gives up; every rejection comes from the full walk (field_walk.cpp).
// Thread-safety: const methods on a shared FieldMapper; the cursor and the scratch belong to
// the calling worker.
#include <cstring>
#include <string>

#include "stages/json_parse/json_number.h"
#include "stages/schema_map/field_mapper.h"
#include "stages/schema_map/field_path_trie.h"
#include "stages/schema_map/number_coercion.h"
#include "stages/schema_map/record_scan.h"
#include "stages/schema_map/rfc3339.h"

namespace sluice::stages {

// The fast path is a byte-level walk for the common record: compact (no whitespace outside
// strings), no backslash, nesting at most kFastMaxDepth, every mapped value coercible. It
// accepts a subset of what the On-Demand walk accepts and gives up (returns false) on
// everything else, so rejections and their messages always come from MapRecordFullWalk:
//  * grammar: RFC 8259 without whitespace; scalars must be followed by ',', '}' or ']';
//  * bytes: no backslash and no byte below 0x20 anywhere (one SIMD pass, ScanRecord, which
//    also finds every quote, so strings end at the next quote); any byte >= 0x80 makes the
//    record go through simdjson::validate_utf8 (the check stage 1 makes);
//  * numbers: the bytes [0-9+-.eE] up to the delimiter must pass ParseJsonNumber, as the
//    On-Demand walk checks its number tokens;
//  * the padding simdjson requires must be there (else the full walk reports it);
//  * coercions: the same rules as Coerce (number_coercion.h), success paths only; sets,
//    duplicates, objects or arrays where a column or an object is expected, a missing _id:
//    give up.

namespace {

constexpr int kFastMaxDepth = 32;
static_assert(simdjson::SIMDJSON_PADDING >= 63, "ScanRecord reads whole 64-byte blocks");

inline bool IsNumberByte(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

}  // namespace

struct FieldMapper::FastCursor {
  const char* p = nullptr;    // next byte to read
  const char* end = nullptr;  // end of the record (at least SIMDJSON_PADDING readable after)
  const char* base = nullptr;
  Scratch* scratch = nullptr;
  const uint64_t* quotes = nullptr;  // ScanRecord's quote bits
  size_t words = 0;                  // number of them
  uint64_t* key_sequence = nullptr;  // Scratch::key_sequence
  uint32_t key_index = 0;             // keys met so far in mapped objects

  // At an opening quote `at`: just past the closing quote (the next quote: ScanRecord made sure
  // there is no backslash); nullptr when the string is not closed. Takes and returns the
  // position so that FastObject can keep it in a register.
  const char* StringEnd(const char* at) const {
    const size_t from = static_cast<size_t>(at - base) + 1;
    size_t word = from >> 6;
    size_t close = from;
    uint64_t bits = word < words ? quotes[word] >> (from & 63) : 0;
    while (bits == 0) {
      if (++word >= words) return nullptr;
      bits = quotes[word];
      close = word * 64;
    }
    close += static_cast<size_t>(__builtin_ctzll(bits));
    return base + close + 1;
  }
  // StringEnd from `p`, moving `p` and returning the content.
  bool String(std::string_view* content) {
    const char* next = StringEnd(p);
    if (next == nullptr) return false;
    *content = std::string_view(p + 1, static_cast<size_t>(next - p) - 2);
    p = next;
    return true;
  }
  // Just past the digits starting at `at` (at most `end`). Eight bytes at a time: reads up to
  // 7 bytes past the record, inside the padding.
  const char* SkipDigits(const char* at) const {
    while (at < end) {
      const uint64_t x = LoadBytes8(at) ^ 0x3030303030303030ULL;  // digits become 0..9
      // Bit 7 of each byte that is not a digit (a carry out of such a byte can only spoil the
      // bytes after it; only the first one counts).
      const uint64_t other = ((x + 0x7676767676767676ULL) | x) & 0x8080808080808080ULL;
      if (other != 0) {
        at += __builtin_ctzll(other) / 8;
        break;
      }
      at += 8;
    }
    return at < end ? at : end;
  }
  // At a '-' or digit: the common number -?(0|[1-9][0-9]*)(.[0-9]+)? not followed by another
  // number byte, split as ParseJsonNumber would; false (nothing moved) for anything else, which
  // Number() then decides.
  bool SimpleNumber(std::string_view* token, JsonNumberText* n) {
    const char* at = p;
    const bool negative = *at == '-';
    at += negative;
    const char* int_begin = at;
    at = SkipDigits(at);
    const size_t int_length = static_cast<size_t>(at - int_begin);
    if (int_length == 0 || (int_length > 1 && *int_begin == '0')) return false;
    std::string_view frac;
    if (at < end && *at == '.') {
      const char* frac_begin = at + 1;
      at = SkipDigits(frac_begin);
      if (at == frac_begin) return false;
      frac = std::string_view(frac_begin, static_cast<size_t>(at - frac_begin));
    }
    if (at < end && IsNumberByte(*at)) return false;  // an exponent, or not a number
    n->negative = negative;
    n->int_digits = std::string_view(int_begin, int_length);
    n->frac_digits = frac;
    n->has_exponent = false;
    n->exponent = 0;
    *token = std::string_view(p, static_cast<size_t>(at - p));
    p = at;
    return true;
  }
  // At a '-' or digit: the number token, checked with ParseJsonNumber.
  bool Number(std::string_view* token, JsonNumberText* n) {
    const char* begin = p;
    while (p < end && IsNumberByte(*p)) ++p;
    *token = std::string_view(begin, static_cast<size_t>(p - begin));
    return ParseJsonNumber(*token, n);
  }
  // At 't', 'f' or 'n': true when the literal is there (the caller checks what follows).
  bool Literal(std::string_view literal) {
    if (static_cast<size_t>(end - p) < literal.size() ||
        std::memcmp(p, literal.data(), literal.size()) != 0) {
      return false;
    }
    p += literal.size();
    return true;
  }
  void SetInput(Scratch::Slot& slot, const char* begin, const char* stop) {
    slot.source = Scratch::Source::kInput;
    slot.begin = static_cast<uint32_t>(begin - base);
    slot.length = static_cast<uint32_t>(stop - begin);
  }
};

bool FieldMapper::MapRecordFast(Scratch& scratch, const char* data, size_t length,
                                size_t capacity, PayloadMode mode, std::string* out) const {
  if (capacity < length || capacity - length < simdjson::SIMDJSON_PADDING) return false;
  if (length < 2 || data[0] != '{') return false;
  const size_t words = (length + 63) / 64;
  if (scratch.quotes.size() < words) scratch.quotes.resize(words);  // grows once
  bool high = false;
  if (!ScanRecord(data, length, scratch.quotes.data(), &high)) return false;
  scratch.buffer.clear();
  std::memset(static_cast<void*>(scratch.slots.data()), 0,
              scratch.slots.size() * sizeof(Scratch::Slot));
  FastCursor cursor;
  cursor.p = data;
  cursor.end = data + length;
  cursor.base = data;
  cursor.scratch = &scratch;
  cursor.quotes = scratch.quotes.data();
  cursor.words = words;
  if (scratch.key_sequence.size() != kPredictedKeys) {
    scratch.key_sequence.assign(kPredictedKeys, ~uint64_t{0});  // a scratch not from MakeScratch
  }
  cursor.key_sequence = scratch.key_sequence.data();
  if (!FastObject<true>(cursor, 0, 1) || cursor.p != cursor.end) return false;
  // Bytes >= 0x80 can only be inside strings here (anywhere else the walk gave up); stage 1
  // would check the whole record's UTF-8 with the same validator.
  if (high && !simdjson::validate_utf8(data, length)) return false;
  if (scratch.slots[schema_.id_index()].source == Scratch::Source::kAbsent) return false;
  if (mode == PayloadMode::kRaw) {
    out->append(data, length);  // no whitespace outside strings: already minified
  } else {
    AppendMapped(scratch, data, out);
  }
  return true;
}

namespace {

// True when the record at `p` starts with the child's `"key":`. Reads 16 bytes at p and, for
// long keys, the rest of the pattern: within the padding after the record's end, which the
// caller checked; the caller also checks that the pattern ends inside the record.
template <typename ChildT>
inline bool MatchesPattern(const char* p, const ChildT& child) {
  const uint64_t a = LoadBytes8(p);
  const uint64_t b = LoadBytes8(p + 8);
  if ((((a ^ child.pattern_head[0]) & child.pattern_mask[0]) |
       ((b ^ child.pattern_head[1]) & child.pattern_mask[1])) != 0) {
    return false;
  }
  return child.pattern.size() <= 16 ||
         std::memcmp(p + 16, child.pattern.data() + 16, child.pattern.size() - 16) == 0;
}

}  // namespace

// At '{'. With kMapped, `node` is the trie node of this object and each key is matched (the
// predicted key first, see Scratch::next_key); without, keys are only checked.
template <bool kMapped>
bool FieldMapper::FastObject(FastCursor& c, uint32_t node, int depth) const {
  if (depth > kFastMaxDepth) return false;
  // The position lives in a register here (c.p only around calls): it is the chain that every
  // step of the walk waits on.
  const char* p = c.p + 1;
  const char* const end = c.end;
  if (p < end && *p == '}') {
    c.p = p + 1;
    return true;
  }
  while (true) {
    if (p >= end || *p != '"') return false;
    const Child* child = nullptr;
    if constexpr (kMapped) {
      const Node& n = trie_.node(node);
      const uint32_t k = c.key_index++;
      if (k < kPredictedKeys) {
        const uint64_t guess = c.key_sequence[k];
        const size_t index = static_cast<uint32_t>(guess);
        if ((guess >> 32) == node && index < n.children.size()) {
          const Child& g = n.children[index];
          // `"key":` and at least one byte of value inside the record.
          if (g.predictable && static_cast<size_t>(end - p) > g.pattern.size() &&
              MatchesPattern(p, g)) {
            child = &g;
            p += g.pattern.size();
          }
        }
      }
      if (child == nullptr) {
        const char* key_end = c.StringEnd(p);
        if (key_end == nullptr) return false;
        const std::string_view key(p + 1, static_cast<size_t>(key_end - p) - 2);
        p = key_end;
        if (p + 1 >= end || *p != ':') return false;  // ':' and a byte of value
        ++p;
        child = trie_.FindChildEntry(node, key);
        if (k < kPredictedKeys) {
          c.key_sequence[k] =
              child == nullptr
                  ? ~uint64_t{0}
                  : (uint64_t{node} << 32 | static_cast<uint64_t>(child - n.children.data()));
        }
      }
    } else {
      p = c.StringEnd(p);
      if (p == nullptr) return false;
      if (p + 1 >= end || *p != ':') return false;  // ':' and a byte of value
      ++p;
    }
    if (child == nullptr) {
      c.p = p;
      if (!FastSkipValue(c, depth + 1)) return false;
      p = c.p;
    } else if (child->column >= 0) {
      const uint32_t index = static_cast<uint32_t>(child->column);
      Scratch::Slot& slot = c.scratch->slots[index];
      if (child->string_column && *p == '"' && !slot.seen) {
        // The most common case without a call: a string for a string column is kept as its
        // token (what FastColumn, and Coerce, do).
        const char* value_end = c.StringEnd(p);
        if (value_end == nullptr) return false;
        slot.seen = true;
        c.SetInput(slot, p, value_end);
        p = value_end;
      } else {
        c.p = p;
        if (!FastColumn(c, index)) return false;
        p = c.p;
      }
    } else if (*p == '{') {
      c.p = p;
      if (!FastObject<true>(c, child->node, depth + 1)) return false;
      p = c.p;
    } else if (end - p >= 4 && std::memcmp(p, "null", 4) == 0) {
      p += 4;  // null object: its columns left out
    } else {
      return false;
    }
    if (p >= end) return false;
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p != '}') return false;
    c.p = p + 1;
    return true;
  }
}

// Any value not mapped: checked, not stored.
bool FieldMapper::FastSkipValue(FastCursor& c, int depth) const {
  switch (*c.p) {
    case '"': {
      std::string_view content;
      return c.String(&content);
    }
    case '{': return FastObject<false>(c, 0, depth);
    case '[': {
      if (depth > kFastMaxDepth) return false;
      ++c.p;
      if (c.p < c.end && *c.p == ']') {
        ++c.p;
        return true;
      }
      while (true) {
        if (c.p >= c.end || !FastSkipValue(c, depth + 1)) return false;
        if (c.p >= c.end) return false;
        if (*c.p == ',') {
          ++c.p;
          continue;
        }
        if (*c.p != ']') return false;
        ++c.p;
        return true;
      }
    }
    case 't': return c.Literal("true");
    case 'f': return c.Literal("false");
    case 'n': return c.Literal("null");
    default: {
      if (*c.p != '-' && (*c.p < '0' || *c.p > '9')) return false;
      std::string_view token;
      JsonNumberText n;
      return c.SimpleNumber(&token, &n) || c.Number(&token, &n);
    }
  }
}

// A column's value: the success paths of Coerce (and of WalkObject's inlined string case),
// same functions, same slot contents.
bool FieldMapper::FastColumn(FastCursor& c, uint32_t index) const {
  const Column& column = schema_.columns()[index];
  Scratch::Slot& slot = c.scratch->slots[index];
  if (slot.seen) return false;  // duplicate key: the full walk words the rejection
  slot.seen = true;
  const char* begin = c.p;
  const char first = *c.p;
  if (first == 'n') return c.Literal("null");  // null leaves the column out
  std::string& buf = c.scratch->buffer;
  const size_t buffer_begin = buf.size();
  auto finish_buffer = [&]() { return SetBufferSlot(slot, buffer_begin, buf.size()); };
  enum class Kind : uint8_t { kString, kNumber, kTrue, kFalse };
  Kind kind;
  std::string_view content;  // string: between the quotes; number: the token
  JsonNumberText number;
  bool number_ok = false;
  if (first == '"') {
    if (!c.String(&content)) return false;
    kind = Kind::kString;
  } else if (first == 't') {
    if (!c.Literal("true")) return false;
    kind = Kind::kTrue;
  } else if (first == 'f') {
    if (!c.Literal("false")) return false;
    kind = Kind::kFalse;
  } else if (first == '-' || (first >= '0' && first <= '9')) {
    number_ok = c.SimpleNumber(&content, &number) || c.Number(&content, &number);
    if (!number_ok) return false;  // NUMBER_ERROR in the full walk
    kind = Kind::kNumber;
  } else {
    return false;  // object or array (sets, type errors): the full walk decides
  }
  const std::string_view token(begin, static_cast<size_t>(c.p - begin));
  switch (column.type) {
    case ColumnType::kString:
      if (kind == Kind::kString) {
        c.SetInput(slot, begin, c.p);
        return true;
      }
      if (kind == Kind::kNumber) {
        buf.push_back('"');
        buf.append(token);
        buf.push_back('"');
      } else {
        buf.append(kind == Kind::kTrue ? "\"true\"" : "\"false\"");
      }
      return finish_buffer();
    case ColumnType::kInt:
    case ColumnType::kId:
    case ColumnType::kDecimal: {
      if (kind == Kind::kString) {
        if (!ParseJsonNumber(content, &number)) return false;
      } else if (kind != Kind::kNumber) {
        return false;
      }
      bool keep_token = false;
      int64_t fraction_digits = 0;
      if (CoerceNumber(column, number, kind == Kind::kNumber, &buf, &keep_token,
                       &fraction_digits) != NumberConversion::kOk) {
        buf.resize(buffer_begin);
        return false;
      }
      if (keep_token) {
        c.SetInput(slot, begin, c.p);
        return true;
      }
      return finish_buffer();
    }
    case ColumnType::kBool: {
      bool v = false;
      if (kind == Kind::kTrue || kind == Kind::kFalse) {
        v = kind == Kind::kTrue;
      } else if (!BoolFromText(kind == Kind::kString ? content : token, kind == Kind::kString,
                               &v)) {
        return false;
      }
      buf.append(v ? "true" : "false");
      return finish_buffer();
    }
    case ColumnType::kTimestamp:
      if (kind != Kind::kString || !IsRfc3339Timestamp(content)) return false;
      c.SetInput(slot, begin, c.p);
      return true;
    case ColumnType::kStringSet:
    case ColumnType::kIdSet:
      return false;  // sets go through the full walk
  }
  return false;
}

}  // namespace sluice::stages

