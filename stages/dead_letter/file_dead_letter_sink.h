// File: stages/dead_letter/file_dead_letter_sink.h
// FileDeadLetterSink: appends rejected records as NDJSON lines (dead_letter_line.h) to a file,
// created with mode 0600 (record values are data people protect; an existing file keeps its
// mode). Durability: Write() only buffers; Flush() (called by the pipeline once per round of
// dead letters, before offsets past them are stored) and the destructor fflush() and
// fdatasync(), so a record survives a crash of the process or the machine once Flush()
// returned (an fsync per record would cap a burst of rejects at disk-sync speed).
// Thread-safety: not thread-safe; the pipeline calls it from its ingress thread only.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "engine/dead_letter_sink.h"

namespace sluice::stages {

class FileDeadLetterSink : public DeadLetterSink {
 public:
  /// Opens (creates or appends to) `path`. InvalidArgument when it cannot be opened.
  [[nodiscard]] static StatusOr<std::unique_ptr<FileDeadLetterSink>> Create(const std::string& path);
  ~FileDeadLetterSink() override;
  FileDeadLetterSink(const FileDeadLetterSink&) = delete;
  FileDeadLetterSink& operator=(const FileDeadLetterSink&) = delete;

  /// Appends one line to the stdio buffer; DataLoss when the write fails (disk full, I/O error).
  [[nodiscard]] Status Write(const RejectedRecord& record, const StreamInfo& stream) override;
  /// fflush + fdatasync.
  [[nodiscard]] Status Flush() override;

 private:
  FileDeadLetterSink(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  std::FILE* file_;
};

}  // namespace sluice::stages
