// File: stages/file_source/input_reader.h
// InputReader: the bytes behind FileSource. A regular file (plain or gzip) is read through
// zlib's gzread, which blocks only on the disk. Standard input and other non-regular files
// (pipes, FIFOs, terminals, sockets) are read as their data arrives: poll(2) with the caller's
// timeout, then one read(2) of whatever is there, so `kcat ... | sluice run --source stdin` or
// `tail -f` delivers each line within the linger time instead of waiting for a 1 MiB block or the
// end of input. A stream that starts with the gzip magic is inflated as it arrives.
// Thread-safety: one thread (FileSource's ingress thread).
#pragma once

#include <zlib.h>

#include <memory>
#include <string>

#include "engine/status.h"

namespace sluice::stages {

class InputReader {
 public:
  /// Opens `path` ("-" = standard input); `display_name` names it in errors.
  [[nodiscard]] static StatusOr<std::unique_ptr<InputReader>> Open(const std::string& path,
                                                                  const std::string& display_name);
  ~InputReader();
  InputReader(const InputReader&) = delete;
  InputReader& operator=(const InputReader&) = delete;

  /// Appends up to `max_bytes` to `out`. On a stream it waits at most `timeout_ms` for data
  /// to arrive; 0 bytes appended with !AtEnd() means nothing arrived yet.
  [[nodiscard]] StatusOr<size_t> Read(std::string& out, size_t max_bytes, int timeout_ms);
  /// True once the input ended (every byte was handed out).
  bool AtEnd() const { return at_end_; }

 private:
  explicit InputReader(std::string display_name) : display_name_(std::move(display_name)) {}
  StatusOr<size_t> ReadFile(std::string& out, size_t max_bytes);
  StatusOr<size_t> ReadStream(std::string& out, size_t max_bytes, int timeout_ms);
  /// Moves what `raw_` holds into `out`, inflating when the stream is gzip.
  StatusOr<size_t> Decode(std::string& out, size_t max_bytes);

  enum class Encoding : uint8_t { kUnknown, kPlain, kGzip };

  std::string display_name_;
  gzFile file_ = nullptr;  ///< regular files: zlib reads plain and gzip alike
  int fd_ = -1;            ///< streams: read as data arrives
  Encoding encoding_ = Encoding::kUnknown;
  z_stream inflate_{};
  bool inflate_ready_ = false;
  bool member_open_ = false;  ///< inside a gzip member (its end not seen yet)
  std::string raw_;        ///< stream bytes not yet decoded
  bool raw_ended_ = false;  ///< the stream reached end of file
  bool at_end_ = false;
};

}  // namespace sluice::stages
