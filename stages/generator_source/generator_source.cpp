#include "stages/generator_source/generator_source.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <thread>

#include "stages/generator_source/flight_generator.h"

namespace sluice::stages {

Status Validate(const GeneratorSourceConfig& c) {
  if (c.ndjson_path.empty() && c.distinct_records == 0)
    return InvalidArgument("the generator needs at least one distinct record");
  if (!(c.records_per_s >= 0) || !std::isfinite(c.records_per_s))
    return InvalidArgument("--rate must be a positive number of records per second");
  if (c.duration_ms < 0) return InvalidArgument("--duration must not be negative");
  if (c.open_loop_granularity_ms < 0) return InvalidArgument("open-loop granularity must not be negative");
  return Status::Ok();
}

StatusOr<std::unique_ptr<GeneratorSource>> GeneratorSource::Create(const GeneratorSourceConfig& config) {
  SLUICE_RETURN_IF_ERROR(Validate(config));
  std::unique_ptr<GeneratorSource> source(new GeneratorSource(config));
  SLUICE_RETURN_IF_ERROR(source->BuildPool());
  return source;
}

Status GeneratorSource::BuildPool() {
  pool_offsets_.push_back(0);
  auto add = [this](std::string_view record) -> Status {
    if (pool_.size() + record.size() > std::numeric_limits<uint32_t>::max())
      return InvalidArgument("the generator's records exceed 4 GiB; use a smaller file");
    pool_.append(record);
    pool_offsets_.push_back(static_cast<uint32_t>(pool_.size()));
    return Status::Ok();
  };
  if (config_.ndjson_path.empty()) {
    FlightGenerator gen(config_.seed, 1);
    std::string one;
    for (uint64_t i = 0; i < config_.distinct_records; ++i) {
      one.clear();
      gen.Next(one);
      SLUICE_RETURN_IF_ERROR(add(one));
    }
    return Status::Ok();
  }
  std::ifstream in(config_.ndjson_path);
  if (!in) return NotFound("cannot open the NDJSON input " + config_.ndjson_path);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    SLUICE_RETURN_IF_ERROR(add(line));
  }
  if (pool_offsets_.size() < 2) return InvalidArgument("the NDJSON input " + config_.ndjson_path + " has no records");
  return Status::Ok();
}

Status GeneratorSource::Start(SourceListener*) {
  if (started_) return FailedPrecondition("GeneratorSource already started");
  started_ = true;
  start_ = Clock::now();
  last_emit_ = Clock::time_point{};
  start_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(start_.time_since_epoch()).count(),
                  std::memory_order_release);
  return Status::Ok();
}

GeneratorSource::Clock::time_point GeneratorSource::StartTime() const {
  return Clock::time_point(std::chrono::nanoseconds(start_ns_.load(std::memory_order_acquire)));
}

GeneratorSource::Clock::time_point GeneratorSource::ScheduledTime(int64_t offset) const {
  const Clock::time_point start = StartTime();
  if (config_.records_per_s <= 0 || offset <= 0) return start;
  const double seconds = static_cast<double>(offset) / config_.records_per_s;
  return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

uint64_t GeneratorSource::LimitAt(Clock::time_point now) const {
  uint64_t limit = config_.max_records ? config_.max_records : std::numeric_limits<uint64_t>::max();
  const double elapsed_s = std::chrono::duration<double>(now - start_).count();
  if (config_.records_per_s > 0) {
    // Record i is due at i / rate: by `elapsed` the records 0 .. floor(elapsed * rate) are due.
    const double due = std::floor(std::max(0.0, elapsed_s) * config_.records_per_s) + 1;
    limit = std::min<uint64_t>(limit, due >= 1.8e19 ? limit : static_cast<uint64_t>(due));
    if (config_.duration_ms > 0) {
      // Records scheduled before the end: i / rate < duration.
      const double scheduled = std::ceil(static_cast<double>(config_.duration_ms) / 1000.0 * config_.records_per_s);
      limit = std::min<uint64_t>(limit, static_cast<uint64_t>(scheduled));
    }
  } else if (config_.duration_ms > 0 && now - start_ >= std::chrono::milliseconds(config_.duration_ms)) {
    limit = std::min<uint64_t>(limit, next_offset_);
  }
  return limit;
}

bool GeneratorSource::Exhausted() const {
  if (!started_) return false;
  if (config_.max_records && next_offset_ >= config_.max_records) return true;
  if (config_.duration_ms <= 0) return false;
  if (config_.records_per_s > 0) {
    const double scheduled = std::ceil(static_cast<double>(config_.duration_ms) / 1000.0 * config_.records_per_s);
    return static_cast<double>(next_offset_) >= scheduled;
  }
  return Clock::now() - start_ >= std::chrono::milliseconds(config_.duration_ms);
}

void GeneratorSource::Append(RecordChunk& chunk, size_t count) {
  const size_t pool_records = pool_offsets_.size() - 1;
  for (size_t i = 0; i < count; ++i) {
    const uint32_t begin = pool_offsets_[next_pool_index_];
    const uint32_t end = pool_offsets_[next_pool_index_ + 1];
    chunk.AddInput(std::string_view(pool_.data() + begin, end - begin),
                   SourcePosition{0, 0, static_cast<int64_t>(next_offset_)});
    ++next_offset_;
    if (++next_pool_index_ == pool_records) next_pool_index_ = 0;
  }
  chunk.FinishInput();
}

StatusOr<size_t> GeneratorSource::Poll(RecordChunk& chunk, size_t max_records, int timeout_ms) {
  if (!started_) return FailedPrecondition("GeneratorSource::Poll before Start");
  if (max_records == 0 || paused_) {
    // Paused (or draining): wait a little so the ingress loop does not spin.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp(timeout_ms, 0, 2)));
    return size_t{0};
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(std::max(0, timeout_ms));
  while (true) {
    const auto now = Clock::now();
    const uint64_t limit = LimitAt(now);
    const bool open_loop = config_.records_per_s > 0;
    const auto earliest = last_emit_ + std::chrono::milliseconds(config_.open_loop_granularity_ms);
    if (limit > next_offset_ && (!open_loop || now >= earliest)) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(max_records, limit - next_offset_));
      Append(chunk, n);
      backlog_ = limit - next_offset_;
      last_emit_ = now;
      return n;
    }
    if (!open_loop || Exhausted() || now >= deadline) {
      // Closed loop past its limit, the whole schedule emitted, or the caller's timeout.
      backlog_ = limit > next_offset_ ? limit - next_offset_ : 0;
      return size_t{0};
    }
    // Open loop: sleep until the next record is due (and the granularity allows), at most
    // until the caller's timeout.
    auto wake = std::max(earliest, ScheduledTime(static_cast<int64_t>(next_offset_)));
    std::this_thread::sleep_until(std::min(wake, deadline));
  }
}

Status GeneratorSource::Store(const std::vector<CommitPoint>& points) {
  for (const CommitPoint& p : points) {
    if (p.next_offset > 0) acknowledged_ = std::max<uint64_t>(acknowledged_, static_cast<uint64_t>(p.next_offset));
  }
  return Status::Ok();
}

StreamInfo GeneratorSource::DescribeStream(uint32_t) const {
  return StreamInfo{config_.ndjson_path.empty() ? std::string("generator:flights") : "generator:" + config_.ndjson_path,
                    -1};
}

}  // namespace sluice::stages
