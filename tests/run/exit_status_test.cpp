// ExitStatusFor: the exit-status table of `sluice run` (app/run/exit_status.h), case by case.
#include "app/run/exit_status.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace sluice::cli {
namespace {

const Status kAbandoned(StatusCode::kCancelled, "12 records were not acknowledged");

TEST(ExitStatusFor, FollowsTheTable) {
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 0, 0, true, true}), 0);          // bounded run finished
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 1, SIGTERM, false, false}), 0);  // streaming, drained
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 1, SIGINT, true, true}), 0);     // signal after the end
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 1, SIGTERM, true, false}), 3);   // bounded, stopped early
  EXPECT_EQ(ExitStatusFor({kAbandoned, 1, SIGTERM, false, false}), 4);    // drain timed out
  EXPECT_EQ(ExitStatusFor({kAbandoned, 1, SIGTERM, true, false}), 4);
  EXPECT_EQ(ExitStatusFor({kAbandoned, 2, SIGTERM, false, false}), 143);  // second signal
  EXPECT_EQ(ExitStatusFor({kAbandoned, 2, SIGINT, true, false}), 130);
  EXPECT_EQ(ExitStatusFor({Unavailable("sink down"), 0, 0, false, false}), 1);
  EXPECT_EQ(ExitStatusFor({Unavailable("sink down"), 1, SIGTERM, true, false}), 1);
}

TEST(ExitStatusFor, RejectsCountOnlyWithFailOnRejects) {
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 0, 0, true, true, 3, false}), 0);
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 0, 0, true, true, 3, true}), 5);
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 0, 0, true, true, 0, true}), 0);
  // Stopping early or failing says more than the rejects do.
  EXPECT_EQ(ExitStatusFor({Status::Ok(), 1, SIGTERM, true, false, 3, true}), 3);
  EXPECT_EQ(ExitStatusFor({Unavailable("sink down"), 0, 0, true, false, 3, true}), 1);
}

}  // namespace
}  // namespace sluice::cli
