// File: stages/schema_map/field_path_trie.h
// FieldPathTrie: the schema's column paths as a trie of keys, looked up with keys read in place
// from the record. Each inner node's children are compared as (length, first 8 bytes, last 8
// bytes) through a per-node perfect hash, so a lookup is a few integer compares; each child
// also carries its `"key":` pattern for the fast path's key-order prediction.
// Used by FieldMapper: the On-Demand walk (field_walk.cpp) and the byte-level fast path
// (field_fast_path.cpp). The in-place lookups are inline here because they run once per key.
// Thread-safety: immutable once built; shared by every worker.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "stages/schema_map/ingest_schema.h"

namespace sluice::stages {

/// Eight bytes at `p`, unaligned.
inline uint64_t LoadBytes8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

class FieldPathTrie {
 public:
  // A key compared as (length, first 8 bytes, last 8 bytes) before any memcmp, so a lookup
  // is a few integer compares per child (keys are read in place from the padded input).
  struct Child {
    std::string key;
    uint32_t node = 0;
    uint32_t length = 0;
    uint64_t head = 0;  ///< bytes 0..7 of the key, zero-filled past its end
    uint64_t tail = 0;  ///< the last 8 bytes when the key is longer than 8, else 0
    int32_t column = -1;         ///< copy of node(node).column (one load less per key)
    bool string_column = false;  ///< column >= 0 and its type is string
    /// False when the key holds a '"' (then the pattern could match across a string's end).
    bool predictable = false;
    /// `"key":` as it appears in a compact record: its first 16 bytes (zero-filled) and a mask
    /// of the bytes that count; the rest, if any, is compared from `pattern`.
    uint64_t pattern_head[2] = {0, 0};
    uint64_t pattern_mask[2] = {0, 0};
    std::string pattern;
  };
  struct Node {
    int32_t column = -1;          ///< leaf: the column index
    uint32_t first_column = 0;    ///< a column under this node (for messages)
    size_t depth = 0;             ///< number of keys from the root
    std::vector<Child> children;  ///< inner node: keys to descend
    /// Perfect hash of the children's (length, head, tail): index into `children` or -1.
    /// Empty when none was found (then the children are scanned).
    std::vector<int16_t> table;
    uint64_t multiplier = 0;
    uint32_t shift = 63;
  };

  /// Builds the trie of `schema`'s column paths; node 0 is the record's root object.
  explicit FieldPathTrie(const IngestSchema& schema);

  const Node& node(size_t index) const { return nodes_[index]; }

  /// The child node reached from `node` by `key`, or -1.
  int32_t FindChild(uint32_t node, std::string_view key) const;
  /// FindChild for a key inside the record, which may read up to 8 bytes past the key's end
  /// (the record chunk's padding makes that safe). The rare cases (no hash table, keys longer
  /// than 16 bytes) go through FindChild.
  int32_t FindChildInPlace(uint32_t node, std::string_view key) const {
    const Child* child = nullptr;
    if (Probe(node, key, &child)) return child == nullptr ? -1 : static_cast<int32_t>(child->node);
    return FindChild(node, key);
  }
  /// Same lookup returning the child entry (nullptr when none).
  const Child* FindChildEntry(uint32_t node, std::string_view key) const {
    const Child* child = nullptr;
    if (Probe(node, key, &child)) return child;
    for (const Child& c : nodes_[node].children) {
      if (c.key.size() == key.size() && std::memcmp(c.key.data(), key.data(), key.size()) == 0) {
        return &c;
      }
    }
    return nullptr;
  }

 private:
  static uint64_t KeyHash(uint64_t head, uint64_t tail, uint64_t length, uint64_t multiplier,
                          uint32_t shift) {
    return ((head ^ (tail << 1) ^ length) * multiplier) >> shift;
  }
  // The hash table's answer: true when it decided (`*child` is the match or nullptr), false
  // when the children must be scanned (no table, or a key longer than 16 bytes).
  bool Probe(uint32_t node, std::string_view key, const Child** child) const {
    const size_t len = key.size();
    uint64_t head = LoadBytes8(key.data());
    if (len < 8) head &= (uint64_t{1} << (8 * len)) - 1;
    const uint64_t tail = len > 8 ? LoadBytes8(key.data() + len - 8) : 0;
    const Node& n = nodes_[node];
    if (n.table.empty()) return false;
    const int16_t i = n.table[KeyHash(head, tail, len, n.multiplier, n.shift)];
    if (i < 0) {
      *child = nullptr;
      return true;
    }
    const Child& c = n.children[static_cast<size_t>(i)];
    if (c.length != len || c.head != head || c.tail != tail) {
      *child = nullptr;
      return true;
    }
    if (len > 16) return false;
    *child = &c;
    return true;
  }
  static void BuildTable(Node& node);

  std::vector<Node> nodes_;  ///< nodes_[0] is the record's root object
};

}  // namespace sluice::stages
