// File: stages/schema_map/field_path_trie.cpp
// Building the path trie and its per-node perfect hashes; see field_path_trie.h.
#include "stages/schema_map/field_path_trie.h"

namespace sluice::stages {

FieldPathTrie::FieldPathTrie(const IngestSchema& schema) {
  nodes_.emplace_back();
  const auto& columns = schema.columns();
  for (uint32_t c = 0; c < columns.size(); ++c) {
    uint32_t node = 0;
    for (const std::string& key : columns[c].path) {
      int32_t child = FindChild(node, key);
      if (child < 0) {
        child = static_cast<int32_t>(nodes_.size());
        Node n;
        n.first_column = c;
        n.depth = nodes_[node].depth + 1;
        nodes_.push_back(std::move(n));
        Child entry;
        entry.key = key;
        entry.node = static_cast<uint32_t>(child);
        entry.length = static_cast<uint32_t>(key.size());
        std::memcpy(&entry.head, key.data(), std::min<size_t>(key.size(), 8));
        if (key.size() > 8) std::memcpy(&entry.tail, key.data() + key.size() - 8, 8);
        nodes_[node].children.push_back(std::move(entry));
      }
      node = static_cast<uint32_t>(child);
    }
    // IngestSchema guarantees paths form a tree (no duplicates, no prefixes).
    nodes_[node].column = static_cast<int32_t>(c);
  }
  for (Node& n : nodes_) {
    BuildTable(n);
    for (Child& child : n.children) {
      child.column = nodes_[child.node].column;
      child.string_column =
          child.column >= 0 && columns[static_cast<size_t>(child.column)].type == ColumnType::kString;
      child.predictable = child.key.find('"') == std::string::npos;
      child.pattern = "\"" + child.key + "\":";
      for (size_t i = 0; i < std::min<size_t>(child.pattern.size(), 16); ++i) {
        const uint64_t byte = static_cast<unsigned char>(child.pattern[i]);
        child.pattern_head[i / 8] |= byte << (8 * (i % 8));
        child.pattern_mask[i / 8] |= uint64_t{0xFF} << (8 * (i % 8));
      }
    }
  }
}

int32_t FieldPathTrie::FindChild(uint32_t node, std::string_view key) const {
  for (const Child& child : nodes_[node].children) {
    if (child.key.size() == key.size() && std::memcmp(child.key.data(), key.data(), key.size()) == 0) {
      return static_cast<int32_t>(child.node);
    }
  }
  return -1;
}

void FieldPathTrie::BuildTable(Node& node) {
  const size_t count = node.children.size();
  if (count == 0 || count > 4096) return;
  for (size_t i = 0; i < count; ++i) {
    for (size_t j = i + 1; j < count; ++j) {
      const Child& a = node.children[i];
      const Child& b = node.children[j];
      // Keys longer than 16 bytes that differ only in the middle: no hash can split them.
      if (a.length == b.length && a.head == b.head && a.tail == b.tail) return;
    }
  }
  uint32_t bits = 1;
  while ((size_t{1} << bits) < 2 * count) ++bits;
  for (; bits <= 14; ++bits) {
    uint64_t multiplier = 0x9E3779B97F4A7C15ULL;
    for (int attempt = 0; attempt < 200; ++attempt) {
      multiplier = multiplier * 6364136223846793005ULL + 1442695040888963407ULL;
      multiplier |= 1;
      std::vector<int16_t> table(size_t{1} << bits, -1);
      bool ok = true;
      for (size_t i = 0; i < count && ok; ++i) {
        const Child& c = node.children[i];
        int16_t& entry = table[KeyHash(c.head, c.tail, c.length, multiplier, 64 - bits)];
        if (entry >= 0) ok = false;
        entry = static_cast<int16_t>(i);
      }
      if (ok) {
        node.table = std::move(table);
        node.multiplier = multiplier;
        node.shift = 64 - bits;
        return;
      }
    }
  }
}

}  // namespace sluice::stages
