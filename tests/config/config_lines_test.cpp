// ScanConfigLines' string rules, which decide both where a "# comment" starts and whether a
// value's strings are closed: "..." honours backslash escapes, '...' does not, and a '#' inside
// either is text.
#include <gtest/gtest.h>

#include <string>

#include "app/config/config_lines.h"

namespace sluice {
namespace {

using cli::ScanConfigLines;

bool Reads(const std::string& text) { return ScanConfigLines(text).ok(); }

TEST(ConfigLineStrings, ACommentStartsAtTheFirstHashOutsideAString) {
  // The comment's own apostrophe and quote are not strings.
  EXPECT_TRUE(Reads("k = \"a#b\" # it's \"x\n"));
  EXPECT_TRUE(Reads("k = 'a#b' # \"\n"));
  // The hash inside the open string is text, so the string is still open.
  EXPECT_FALSE(Reads("k = \"a # b\n"));
}

TEST(ConfigLineStrings, BackslashEscapesOnlyInDoubleQuotes) {
  EXPECT_FALSE(Reads("k = \"a\\\" # not a comment\n"));  // \" does not close the string
  EXPECT_TRUE(Reads("k = \"a\\\\\" # comment\n"));       // \\ then the closing quote
  EXPECT_TRUE(Reads("k = 'a\\' # comment\n"));           // a literal string ends at the next '
}

TEST(ConfigLineStrings, AnArrayRunsOnUntilItsStringsAndBracketClose) {
  auto lines = ScanConfigLines("x = [\"a]\", # one\n  'b#' ] # two\ny = 1\n");
  ASSERT_TRUE(lines.ok()) << lines.status().ToString();
  EXPECT_EQ(cli::LineOfKey(*lines, "", "x"), 1);
  EXPECT_EQ(cli::LineOfKey(*lines, "", "y"), 3);
}

}  // namespace
}  // namespace sluice
