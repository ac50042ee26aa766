#include "stages/file_source/input_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice::stages {
namespace {
constexpr size_t kStreamReadBytes = 256u << 10;
}  // namespace

StatusOr<std::unique_ptr<InputReader>> InputReader::Open(const std::string& path, const std::string& display_name) {
  std::unique_ptr<InputReader> r(new InputReader(display_name));
  const int fd = path == "-" ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("cannot open " + display_name + ": " + std::strerror(errno));
  struct stat st{};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    r->file_ = gzdopen(fd, "rb");  // takes the descriptor
    if (r->file_ == nullptr) {
      close(fd);
      return Internal("cannot read " + display_name + ": out of memory");
    }
    gzbuffer(r->file_, 1 << 18);
  } else {
    r->fd_ = fd;
  }
  return r;
}

InputReader::~InputReader() {
  if (file_ != nullptr) gzclose(file_);
  if (fd_ >= 0) close(fd_);
  if (inflate_ready_) inflateEnd(&inflate_);
}

StatusOr<size_t> InputReader::Read(std::string& out, size_t max_bytes, int timeout_ms) {
  if (at_end_) return size_t{0};
  return file_ != nullptr ? ReadFile(out, max_bytes) : ReadStream(out, max_bytes, timeout_ms);
}

StatusOr<size_t> InputReader::ReadFile(std::string& out, size_t max_bytes) {
  const size_t old = out.size();
  out.resize(old + max_bytes);
  const int n = gzread(file_, out.data() + old, static_cast<unsigned>(max_bytes));
  if (n < 0) {
    out.resize(old);
    int err = 0;
    return DataLoss("reading " + display_name_ + ": " + gzerror(file_, &err));
  }
  out.resize(old + static_cast<size_t>(n));
  if (n == 0) at_end_ = true;
  return static_cast<size_t>(n);
}

StatusOr<size_t> InputReader::ReadStream(std::string& out, size_t max_bytes, int timeout_ms) {
  // Decoded bytes left over from the last read go first, without waiting.
  if (!raw_.empty() && encoding_ != Encoding::kUnknown) {
    StatusOr<size_t> n = Decode(out, max_bytes);
    if (!n.ok() || *n > 0) return n;
  }
  if (!raw_ended_) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, std::max(timeout_ms, 0));
    if (ready < 0 && errno != EINTR) return DataLoss("waiting for " + display_name_ + ": " + std::strerror(errno));
    if (ready > 0) {
      const size_t old = raw_.size();
      raw_.resize(old + kStreamReadBytes);
      const ssize_t got = read(fd_, raw_.data() + old, kStreamReadBytes);
      if (got < 0) {
        raw_.resize(old);
        if (errno != EINTR && errno != EAGAIN) return DataLoss("reading " + display_name_ + ": " + std::strerror(errno));
      } else {
        raw_.resize(old + static_cast<size_t>(got));
        if (got == 0) raw_ended_ = true;
      }
    }
  }
  if (encoding_ == Encoding::kUnknown) {
    // The gzip magic is two bytes; a stream of one byte (or none) is plain.
    if (raw_.size() < 2 && !raw_ended_) return size_t{0};
    encoding_ = raw_.size() >= 2 && static_cast<unsigned char>(raw_[0]) == 0x1f &&
                        static_cast<unsigned char>(raw_[1]) == 0x8b
                    ? Encoding::kGzip
                    : Encoding::kPlain;
  }
  StatusOr<size_t> n = Decode(out, max_bytes);
  if (n.ok() && *n == 0 && raw_ended_ && raw_.empty()) at_end_ = true;
  return n;
}

StatusOr<size_t> InputReader::Decode(std::string& out, size_t max_bytes) {
  if (encoding_ == Encoding::kPlain) {
    const size_t n = std::min(max_bytes, raw_.size());
    out.append(raw_, 0, n);
    raw_.erase(0, n);
    return n;
  }
  if (!inflate_ready_) {
    if (inflateInit2(&inflate_, 15 + 32) != Z_OK) return Internal("reading " + display_name_ + ": inflateInit2 failed");
    inflate_ready_ = true;
  }
  const size_t old = out.size();
  out.resize(old + max_bytes);
  inflate_.next_in = reinterpret_cast<Bytef*>(raw_.data());
  inflate_.avail_in = static_cast<uInt>(raw_.size());
  inflate_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
  inflate_.avail_out = static_cast<uInt>(max_bytes);
  const int rc = inflate(&inflate_, Z_NO_FLUSH);
  const size_t consumed = raw_.size() - inflate_.avail_in;
  const size_t produced = max_bytes - inflate_.avail_out;
  out.resize(old + produced);
  raw_.erase(0, consumed);
  if (rc == Z_STREAM_END) {
    inflateReset(&inflate_);  // `cat a.gz b.gz` is a valid gzip stream of two members
    member_open_ = false;
  } else if (consumed > 0 || produced > 0) {
    member_open_ = true;
  }
  if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
    return DataLoss(display_name_ + ": not valid gzip: " +
                    (inflate_.msg != nullptr ? inflate_.msg : "inflate failed"));
  }
  if (raw_ended_ && raw_.empty() && produced == 0 && member_open_) {
    return DataLoss(display_name_ + ": gzip stream cut short");
  }
  return produced;
}

}  // namespace sluice::stages
