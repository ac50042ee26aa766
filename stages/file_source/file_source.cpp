#include "stages/file_source/file_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace sluice::stages {

StatusOr<std::unique_ptr<FileSource>> FileSource::Create(const FileSourceConfig& config) {
  if (config.path.empty()) return InvalidArgument("file source needs a path (or - for stdin)");
  return std::unique_ptr<FileSource>(new FileSource(config));
}

FileSource::FileSource(const FileSourceConfig& config)
    : config_(config), display_name_(config.path == "-" ? "stdin" : config.path) {}

FileSource::~FileSource() {
  if (file_) gzclose(file_);
}

Status FileSource::Start(SourceListener*) {
  if (config_.path == "-") {
    file_ = gzdopen(dup(STDIN_FILENO), "rb");
  } else {
    file_ = gzopen(config_.path.c_str(), "rb");
  }
  if (!file_) {
    return NotFound("cannot open " + display_name_ + ": " + std::strerror(errno));
  }
  gzbuffer(file_, 1 << 18);
  return Status::Ok();
}

StatusOr<bool> FileSource::Fill() {
  if (input_done_) return false;
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buf_.size();
  constexpr size_t kRead = 1 << 20;
  buf_.resize(old + kRead);
  const int n = gzread(file_, buf_.data() + old, kRead);
  if (n < 0) {
    int err = 0;
    const char* msg = gzerror(file_, &err);
    return DataLoss("reading " + display_name_ + " near line " + std::to_string(line_ + 1) + ": " + msg);
  }
  buf_.resize(old + static_cast<size_t>(n));
  if (n == 0) input_done_ = true;
  return n > 0;
}

StatusOr<size_t> FileSource::Poll(RecordChunk& chunk, size_t max_records, int) {
  if (!file_) return FailedPrecondition("file source not started");
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
      StatusOr<bool> more = Fill();
      if (!more.ok()) return more.status();
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
  if (file_) gzclose(file_);
  file_ = nullptr;
  return Status::Ok();
}

}  // namespace sluice::stages
