// File: stages/http_sink/isolation_group.h
// IsolationGroup: the records of one batch the sink refused whole (a whole-request 400), while
// splitting isolates the bad ones. Record-level rejections inside the group are held back
// until every record of the batch has an outcome. Then:
//  - every record was refused with one and the same whole-request answer: that is not bad
//    data but a wrong endpoint, format or schema, so the sender stops the run (nothing of the
//    batch is reported, so nothing is dead-lettered or committed);
//  - otherwise the held rejections are released (dead letters, or the stop for a bad record).
// Without this a wrong --sink-url that answers 400 to everything dead-letters the whole topic
// one record at a time and ends "successfully".
// Used by HttpSender (a Job holds a shared pointer to its group; split halves share it).
// Thread-safety: none; the sender thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "engine/delivery_report.h"

namespace sluice::stages {

class IsolationGroup {
 public:
  /// Batches smaller than this are not judged (a few records refused alike is too little
  /// evidence that the endpoint, not the data, is wrong): their rejections pass at once.
  static constexpr size_t kMinRecordsToJudge = 4;

  enum class Verdict {
    kPending,      ///< records of the batch still have no outcome
    kRelease,      ///< done, mixed outcomes: report what was held
    kConfigError,  ///< done, every record refused with the same whole-request answer
  };

  /// `records`: the size of the batch that was refused whole.
  explicit IsolationGroup(size_t records) : total_(records) {}

  bool judged() const { return total_ >= kMinRecordsToJudge; }

  /// `records` of the group were accepted, or rejected otherwise than by one whole-request
  /// answer (the sink named them, or 413).
  Verdict OnOtherOutcome(size_t records);
  /// A single record refused whole with `reason` (HTTP `status`); `report` is held back.
  Verdict OnRefusedWhole(DeliveryReport report, const std::string& reason, long status);

  /// The held reports (after kRelease).
  std::vector<DeliveryReport> TakeHeld() { return std::move(held_); }
  /// "every one of the 500 records of a batch was refused with the same answer (HTTP 400: ...)"
  std::string Describe() const;

 private:
  Verdict Check() const;

  size_t total_;
  size_t resolved_ = 0;
  bool one_reason_ = true;
  std::string reason_;
  long status_ = 0;
  std::vector<DeliveryReport> held_;
};

}  // namespace sluice::stages
