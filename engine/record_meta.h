// File: engine/record_meta.h
// RecordMeta: what a source record carried besides its value (Kafka message key, headers,
// whether the value was null), kept so a dead letter can hand it on unchanged.
// Layout: RecordChunk and Batch each own one `meta` byte buffer and a sparse `metas` vector;
// a record points into `metas` by index (kNoMeta when it carried nothing, the common case, so
// records without key or headers cost no copy). A RecordMeta's bytes in the buffer are the key,
// then the headers block. A headers block is, per header in order: u32 name length, name bytes,
// u32 value length (kNullHeaderValue for a null value), value bytes (native byte order; the
// block never leaves the process).
// Used by KafkaSource (writes), the batch assembler and the sender (copy), the pipeline and the
// dead-letter sinks (read). Thread-safety: plain data and pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// InputRecord::meta / BatchRecord::meta of a record that carried no key, headers or null value.
inline constexpr uint32_t kNoMeta = UINT32_MAX;
/// Header value length that marks a null header value.
inline constexpr uint32_t kNullHeaderValue = UINT32_MAX;

struct RecordMeta {
  static constexpr uint8_t kHasKey = 1;     ///< a key is present (it may be empty)
  static constexpr uint8_t kNullValue = 2;  ///< the value was null (a Kafka tombstone), not empty

  uint32_t begin = 0;           ///< offset of the key in the owner's meta buffer; headers follow
  uint32_t key_length = 0;
  uint32_t headers_length = 0;  ///< bytes of the encoded headers block
  uint8_t flags = 0;

  bool has_key() const { return (flags & kHasKey) != 0; }
  bool null_value() const { return (flags & kNullValue) != 0; }
  std::string_view Key(const std::string& buffer) const {
    return std::string_view(buffer.data() + begin, key_length);
  }
  std::string_view Headers(const std::string& buffer) const {
    return std::string_view(buffer.data() + begin + key_length, headers_length);
  }
};

/// Appends one header to an encoded headers block; value == nullptr means a null value.
/// Returns the bytes appended.
inline size_t AppendHeader(std::string& block, std::string_view name, const void* value, size_t size) {
  const size_t before = block.size();
  const auto name_length = static_cast<uint32_t>(name.size());
  const uint32_t value_length = value == nullptr ? kNullHeaderValue : static_cast<uint32_t>(size);
  block.append(reinterpret_cast<const char*>(&name_length), sizeof(name_length));
  block.append(name);
  block.append(reinterpret_cast<const char*>(&value_length), sizeof(value_length));
  if (value != nullptr) block.append(static_cast<const char*>(value), size);
  return block.size() - before;
}

/// Walks an encoded headers block in order.
class HeaderReader {
 public:
  explicit HeaderReader(std::string_view block) : block_(block) {}
  /// The next header; false at the end (or on a malformed block). *value_null marks a null value.
  bool Next(std::string_view* name, std::string_view* value, bool* value_null) {
    uint32_t length = 0;
    if (!Take(&length) || block_.size() < length) return false;
    *name = block_.substr(0, length);
    block_.remove_prefix(length);
    if (!Take(&length)) return false;
    *value_null = length == kNullHeaderValue;
    if (*value_null) length = 0;
    if (block_.size() < length) return false;
    *value = block_.substr(0, length);
    block_.remove_prefix(length);
    return true;
  }

 private:
  bool Take(uint32_t* v) {
    if (block_.size() < sizeof(*v)) return false;
    std::memcpy(v, block_.data(), sizeof(*v));
    block_.remove_prefix(sizeof(*v));
    return true;
  }
  std::string_view block_;
};

/// Copies one record's meta from one owner (chunk or batch) to another; returns its new index.
inline uint32_t CopyRecordMeta(const std::string& from_buffer, const RecordMeta& from, std::string& to_buffer,
                               std::vector<RecordMeta>& to_metas) {
  RecordMeta m = from;
  m.begin = static_cast<uint32_t>(to_buffer.size());
  to_buffer.append(from_buffer, from.begin, size_t{from.key_length} + from.headers_length);
  to_metas.push_back(m);
  return static_cast<uint32_t>(to_metas.size() - 1);
}

/// An owned copy of a record's meta, for a dead letter (the rare path: allocates).
struct RecordOrigin {
  bool has_key = false;
  bool null_value = false;
  std::string key;
  std::string headers;  ///< encoded headers block (see above); empty: none

  void Assign(const std::string& buffer, const RecordMeta& m) {
    has_key = m.has_key();
    null_value = m.null_value();
    key.assign(m.Key(buffer));
    headers.assign(m.Headers(buffer));
  }
};

}  // namespace sluice
