// File: stages/file_source/file_source.h
// FileSource: a sluice::Source over NDJSON — a file (plain or gzip) or standard input, a pipe
// or a FIFO, read as lines arrive (stages/file_source/input_reader.h). One stream; the offset of a record is its line number (0-based), so dead
// letters and logs point at the line. There are no offsets to commit: the exit status tells
// whether everything was delivered. Blank lines are skipped. Ingress thread only.
#pragma once

#include <memory>
#include <string>

#include "engine/source.h"
#include "stages/file_source/input_reader.h"

namespace sluice::stages {

struct FileSourceConfig {
  /// Path of the NDJSON file; "-" reads standard input.
  std::string path;
  /// Longest accepted line in bytes; a longer line is an error naming its line number.
  size_t max_line_bytes = 16u << 20;
};

class FileSource final : public Source {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<FileSource>> Create(const FileSourceConfig& config);
  ~FileSource() override;

  [[nodiscard]] Status Start(SourceListener* listener) override;
  [[nodiscard]] StatusOr<size_t> Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) override;
  bool Exhausted() const override { return eof_; }
  /// Paused: Poll hands out nothing (backpressure, drain).
  void SetPaused(bool paused) override { paused_ = paused; }
  [[nodiscard]] Status Store(const std::vector<CommitPoint>&) override { return Status::Ok(); }
  [[nodiscard]] Status Close() override;
  StreamInfo DescribeStream(uint32_t) const override { return StreamInfo{display_name_, -1}; }

 private:
  explicit FileSource(const FileSourceConfig& config);
  /// Appends what the input has to buf_, waiting at most `timeout_ms` on a stream; false when
  /// nothing arrived (input_done_ tells whether it ended).
  StatusOr<bool> Fill(int timeout_ms);

  const FileSourceConfig config_;
  std::string display_name_;
  std::unique_ptr<InputReader> reader_;
  std::string buf_;        ///< unread bytes start at pos_
  size_t pos_ = 0;
  bool input_done_ = false;
  bool eof_ = false;
  bool paused_ = false;
  int64_t line_ = 0;
};

}  // namespace sluice::stages
