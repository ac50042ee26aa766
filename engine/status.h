// File: engine/status.h
// Status, StatusCode and StatusOr<T>: errors as values (Abseil-shaped), used on every
// hot path of sluice instead of exceptions. Thread-safety: plain values, copyable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice {

/// A small canonical set of error codes; pick the most specific one.
enum class StatusCode : uint8_t {
  kOk = 0,               ///< success
  kInvalidArgument,      ///< bad input or bad configuration; retrying will not help
  kNotFound,             ///< a named thing (file, topic, column) does not exist
  kFailedPrecondition,   ///< the system is not in a state where this can work; do not retry
  kUnavailable,          ///< transient: retry with backoff (connection refused, 5xx, throttled)
  kDeadlineExceeded,     ///< a timeout; transient
  kUnauthenticated,      ///< credentials missing, wrong or expired
  kPermissionDenied,     ///< credentials valid but not allowed
  kResourceExhausted,    ///< a bound was hit (body too large, budget exhausted)
  kDataLoss,             ///< data could not be delivered and could not be dead-lettered
  kCancelled,            ///< stopped on request (signal)
  kInternal,             ///< a bug or an impossible state
};

/// Human name of a code ("INVALID_ARGUMENT").
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  [[nodiscard]] bool ok() const { return code_ == StatusCode::kOk; }
  [[nodiscard]] StatusCode code() const { return code_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  /// "CODE: message", for logs and errors.
  [[nodiscard]] std::string ToString() const;
  /// Returns a copy with "context: " put in front of the message.
  [[nodiscard]] Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }

/// True for the codes a caller may retry with backoff.
[[nodiscard]] bool IsRetriable(const Status& status);

/// Holds either a value or a non-OK Status. Reading the value of an error is a bug.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}                      // NOLINT: implicit on purpose
  StatusOr(Status status) : v_(std::move(status)) {}               // NOLINT: implicit on purpose
  [[nodiscard]] bool ok() const { return std::holds_alternative<T>(v_); }
  [[nodiscard]] Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sluice

#define SLUICE_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::sluice::Status sluice_status_ = (expr);  \
    if (!sluice_status_.ok()) return sluice_status_; \
  } while (0)
