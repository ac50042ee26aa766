// -X partition.assignment.strategy becomes the Kafka source's cooperative setting
// (app/pipeline_setup/assignment_strategy.h): eager lists, cooperative-sticky, refusals.
#include "app/pipeline_setup/assignment_strategy.h"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

using Props = std::vector<std::pair<std::string, std::string>>;

TEST(AssignmentStrategy, AbsentLeavesTheDefaultAndTheList) {
  Props props = {{"session.timeout.ms", "6000"}};
  bool cooperative = true;
  ASSERT_TRUE(TakeAssignmentStrategy(&props, &cooperative).ok());
  EXPECT_TRUE(cooperative);
  EXPECT_EQ(props, (Props{{"session.timeout.ms", "6000"}}));
}

TEST(AssignmentStrategy, EagerListsTurnCooperativeOffAndLeaveThePassThrough) {
  for (const char* value : {"range", "roundrobin", "range,roundrobin", " range , roundrobin "}) {
    Props props = {{"a", "1"}, {"partition.assignment.strategy", value}, {"b", "2"}};
    bool cooperative = true;
    ASSERT_TRUE(TakeAssignmentStrategy(&props, &cooperative).ok()) << value;
    EXPECT_FALSE(cooperative) << value;
    EXPECT_EQ(props, (Props{{"a", "1"}, {"b", "2"}})) << value;
  }
}

TEST(AssignmentStrategy, CooperativeStickyTurnsItOnAndTheLastEntryWins) {
  Props props = {{"partition.assignment.strategy", "range"}, {"partition.assignment.strategy", "cooperative-sticky"}};
  bool cooperative = false;
  ASSERT_TRUE(TakeAssignmentStrategy(&props, &cooperative).ok());
  EXPECT_TRUE(cooperative);
  EXPECT_TRUE(props.empty());
}

TEST(AssignmentStrategy, MixedOrUnknownAssignorsAreRefused) {
  for (const char* value : {"range,cooperative-sticky", "sticky", "", "range,"}) {
    Props props = {{"partition.assignment.strategy", value}};
    bool cooperative = true;
    const Status s = TakeAssignmentStrategy(&props, &cooperative);
    EXPECT_FALSE(s.ok()) << value;
    EXPECT_NE(s.message().find("partition.assignment.strategy"), std::string::npos) << s.message();
    EXPECT_TRUE(cooperative) << value;
  }
}

}  // namespace
}  // namespace sluice::cli
