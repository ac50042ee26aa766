#include "stages/dead_letter/file_dead_letter_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "stages/dead_letter/dead_letter_line.h"

namespace sluice::stages {

StatusOr<std::unique_ptr<FileDeadLetterSink>> FileDeadLetterSink::Create(const std::string& path) {
  if (path.empty()) return InvalidArgument("dead-letter file: empty path");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return InvalidArgument("dead-letter file: cannot open \"" + path + "\": " + std::strerror(errno));
  }
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) {
    const int err = errno;
    ::close(fd);
    return InvalidArgument("dead-letter file: cannot open \"" + path + "\": " + std::strerror(err));
  }
  return std::unique_ptr<FileDeadLetterSink>(new FileDeadLetterSink(path, f));
}

FileDeadLetterSink::~FileDeadLetterSink() {
  (void)Flush();
  std::fclose(file_);
}

Status FileDeadLetterSink::Write(const RejectedRecord& record, const StreamInfo& stream) {
  const std::string line = FormatDeadLetterLine(record, stream);
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
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
