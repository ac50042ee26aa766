#include "stages/file_source/file_source.h"

#include <cstring>
#include <string_view>

namespace sluice::stages {

StatusOr<std::unique_ptr<FileSource>> FileSource::Create(const FileSourceConfig& config) {
  if (config.path.empty()) return InvalidArgument("file source needs a path (or - for stdin)");
  return std::unique_ptr<FileSource>(new FileSource(config));
}

FileSource::FileSource(const FileSourceConfig& config)
    : config_(config), display_name_(config.path == "-" ? "stdin" : config.path) {}

FileSource::~FileSource() = default;

Status FileSource::Start(SourceListener*) {
  StatusOr<std::unique_ptr<InputReader>> reader = InputReader::Open(config_.path, display_name_);
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  return Status::Ok();
}

StatusOr<bool> FileSource::Fill(int timeout_ms) {
  if (input_done_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  StatusOr<size_t> n = reader_->Read(buf_, size_t{1} << 20, timeout_ms);
  if (!n.ok()) {
    return Status(n.status().code(), std::string(n.status().message()) + " (near line " + std::to_string(line_ + 1) + ")");
  }
  if (reader_->AtEnd()) input_done_ = true;
  return *n > 0;
}

StatusOr<size_t> FileSource::Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) {
  if (!reader_) return FailedPrecondition("file source not started");
  size_t added = 0;
  if (paused_) return added;
  while (added < max_records && !eof_) {
    const char* start = buf_.data() + pos_;
    const size_t avail = buf_.size() - pos_;
    const void* nl = std::memchr(start, '\n', avail);
    std::string_view line;
    if (nl) {
      line = std::string_view(start, static_cast<const char*>(nl) - start);
      pos_ += line.size() + 1;
    } else if (!input_done_) {
      if (avail > config_.max_line_bytes)
        return InvalidArgument(display_name_ + ": line " + std::to_string(line_ + 1) + " is longer than " +
                               std::to_string(config_.max_line_bytes) + " bytes");
      // Wait for more input only while nothing is in hand: records already taken go out now
      // (a pipe that pauses must not hold back what it already delivered).
      StatusOr<bool> more = Fill(added == 0 ? timeout_ms : 0);
      if (!more.ok()) return more.status();
      if (!*more && !input_done_) break;  // nothing arrived yet
      continue;
    } else if (avail > 0) {
      line = std::string_view(start, avail);  // last line without a newline
      pos_ += avail;
    } else {
      eof_ = true;
      break;
    }
    const int64_t number = line_++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    chunk.AddInput(line, SourcePosition{0, 0, number});
    ++added;
  }
  if (added) chunk.FinishInput();
  return added;
}

Status FileSource::Close() {
  reader_.reset();
  return Status::Ok();
}

}  // namespace sluice::stages
