// File: devtools/fake_flights/flight_file_writer.cpp
// NDJSON writer: records are appended to one reused buffer that is written out in ~1 MiB
// chunks, through stdio or zlib's gzwrite.
#include "devtools/fake_flights/flight_file_writer.h"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "stages/generator_source/flight_generator.h"

namespace sluice {
namespace {

constexpr size_t kChunkBytes = 1 << 20;

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// One output sink: plain FILE* (file or stdout) or a gzFile.
class Output {
 public:
  ~Output() { (void)Close(); }

  Status Open(const std::string& path) {
    path_ = path;
    if (path == "-") {
      file_ = stdout;
      return Status::Ok();
    }
    if (EndsWith(path, ".gz")) {
      // Level 1: generating test data should not be bound by deflate; the ratio is still ~5x.
      gz_ = gzopen(path.c_str(), "wb1");
      if (gz_ == nullptr) return Unavailable("cannot open '" + path + "': " + std::strerror(errno));
      gzbuffer(gz_, 256 * 1024);
      return Status::Ok();
    }
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) return Unavailable("cannot open '" + path + "': " + std::strerror(errno));
    owns_file_ = true;
    return Status::Ok();
  }

  Status Write(const std::string& data) {
    if (data.empty()) return Status::Ok();
    if (gz_ != nullptr) {
      if (gzwrite(gz_, data.data(), static_cast<unsigned>(data.size())) !=
          static_cast<int>(data.size())) {
        return DataLoss("gzip write to '" + path_ + "' failed");
      }
      return Status::Ok();
    }
    if (std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      return DataLoss("write to '" + path_ + "' failed: " + std::strerror(errno));
    }
    return Status::Ok();
  }

  Status Flush() {
    if (gz_ != nullptr && gzflush(gz_, Z_SYNC_FLUSH) != Z_OK) {
      return DataLoss("gzip flush of '" + path_ + "' failed");
    }
    if (file_ != nullptr && std::fflush(file_) != 0) {
      return DataLoss("flush of '" + path_ + "' failed: " + std::strerror(errno));
    }
    return Status::Ok();
  }

  Status Close() {
    Status result;
    if (gz_ != nullptr) {
      if (gzclose(gz_) != Z_OK) result = DataLoss("closing '" + path_ + "' failed");
      gz_ = nullptr;
    }
    if (file_ != nullptr) {
      const bool failed = owns_file_ ? std::fclose(file_) != 0 : std::fflush(file_) != 0;
      if (failed) result = DataLoss("closing '" + path_ + "' failed: " + std::strerror(errno));
      file_ = nullptr;
    }
    return result;
  }

 private:
  std::string path_;
  FILE* file_ = nullptr;
  bool owns_file_ = false;
  gzFile gz_ = nullptr;
};

}  // namespace

StatusOr<FlightRunSummary> WriteFlightsNdjson(const FlightFileConfig& cfg) {
  if (cfg.path.empty()) return InvalidArgument("no output path given");
  Output out;
  SLUICE_RETURN_IF_ERROR(out.Open(cfg.path));

  FlightGenerator generator(cfg.run.seed, cfg.run.first_id);
  RatePacer pacer(cfg.run.rate_per_s);
  std::string buffer;
  buffer.reserve(kChunkBytes + 4096);
  FlightRunSummary summary;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < cfg.run.count; ++i) {
    const auto wait = pacer.WaitBefore(i);
    if (wait.count() > 0) {
      // Paced output should appear when it is produced, not a megabyte later.
      SLUICE_RETURN_IF_ERROR(out.Write(buffer));
      SLUICE_RETURN_IF_ERROR(out.Flush());
      summary.bytes += buffer.size();
      buffer.clear();
      std::this_thread::sleep_for(wait);
    }
    generator.Next(buffer);
    buffer += '\n';
    if (buffer.size() >= kChunkBytes) {
      SLUICE_RETURN_IF_ERROR(out.Write(buffer));
      summary.bytes += buffer.size();
      buffer.clear();
    }
  }
  SLUICE_RETURN_IF_ERROR(out.Write(buffer));
  summary.bytes += buffer.size();
  SLUICE_RETURN_IF_ERROR(out.Close());
  summary.records = cfg.run.count;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace sluice
