#include "stages/dead_letter/file_dead_letter_sink.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "stages/dead_letter/dead_letter_line.h"

namespace sluice::stages {

StatusOr<std::unique_ptr<FileDeadLetterSink>> FileDeadLetterSink::Create(const std::string& path) {
  if (path.empty()) return InvalidArgument("dead-letter file: empty path");
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) {
    return InvalidArgument("dead-letter file: cannot open \"" + path + "\": " + std::strerror(errno));
  }
  return std::unique_ptr<FileDeadLetterSink>(new FileDeadLetterSink(path, f));
}

FileDeadLetterSink::~FileDeadLetterSink() {
  (void)Flush();
  std::fclose(file_);
}

Status FileDeadLetterSink::Write(const RejectedRecord& record, const StreamInfo& stream) {
  const std::string line = FormatDeadLetterLine(record, stream);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return DataLoss("dead-letter file \"" + path_ + "\": write failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status FileDeadLetterSink::Flush() {
  if (std::fflush(file_) != 0) {
    return DataLoss("dead-letter file \"" + path_ + "\": flush failed: " + std::strerror(errno));
  }
  // EINVAL: a pipe or terminal (e.g. /dev/stdout), which cannot be synced and need not be.
  if (::fdatasync(fileno(file_)) != 0 && errno != EINVAL) {
    return DataLoss("dead-letter file \"" + path_ + "\": sync failed: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace sluice::stages
