// File: tests/engine/log_test.cpp
// The logging facility (engine/log.h): line formats, levels, JSON that parses whatever the
// message holds, and lines from many threads arriving whole. Output goes to a pipe read by a
// thread of the test. Single test binary; the facility's settings are restored after each test.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/log.h"

namespace sluice {
namespace {

// Captures what the facility writes while alive.
class CapturedLog {
 public:
  CapturedLog() {
    EXPECT_EQ(pipe(fds_), 0);
    SetLogFd(fds_[1]);
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n = 0;
      while ((n = read(fds_[0], buf, sizeof(buf))) > 0) text_.append(buf, static_cast<size_t>(n));
    });
  }
  ~CapturedLog() { Finish(); }
  // Stops capturing and returns everything written.
  const std::string& Finish() {
    if (reader_.joinable()) {
      SetLogFd(STDERR_FILENO);
      close(fds_[1]);
      reader_.join();
      close(fds_[0]);
    }
    return text_;
  }

 private:
  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::string text_;
};

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    SetLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST_F(LogTest, TextLineCarriesTimestampLevelComponentAndFields) {
  CapturedLog log;
  Log(LogLevel::kWarn, "http_sink", "sink answered 429",
      {LogField::Count("retries", 3), LogField::Text("url", "http://h/x y")});
  const std::vector<std::string> lines = Lines(log.Finish());
  ASSERT_EQ(lines.size(), 1u);
  static const std::regex kLine(
      R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z WARN  http_sink: sink answered 429 retries=3 url="http://h/x y"$)");
  EXPECT_TRUE(std::regex_match(lines[0], kLine)) << lines[0];
}

TEST_F(LogTest, LevelsBelowTheSetOneAreNotWritten) {
  SetLogLevel(LogLevel::kError);
  CapturedLog log;
  EXPECT_FALSE(LogEnabled(LogLevel::kWarn));
  Log(LogLevel::kWarn, "x", "a warning");
  Logf(LogLevel::kInfo, "x", "info %d", 1);
  Log(LogLevel::kError, "x", "an error");
  const std::string text = log.Finish();
  EXPECT_EQ(text.find("a warning"), std::string::npos) << text;
  EXPECT_EQ(text.find("info 1"), std::string::npos) << text;
  EXPECT_NE(text.find("ERROR x: an error"), std::string::npos) << text;
}

TEST_F(LogTest, JsonLinesParseWhateverTheMessageHolds) {
  SetLogFormat(LogFormat::kJson);
  CapturedLog log;
  const std::string nasty = std::string("quote \" backslash \\ newline \n tab \t bell \x07 bad utf8 \xff\xfe end");
  Log(LogLevel::kError, "pipeline", nasty,
      {LogField::Count("consumed", 42), LogField::Decimal("rate", 1.5), LogField::Text("who", "a\"b"),
       LogField::Text("msg", "not the message")});
  Logf(LogLevel::kInfo, "run", "%s", "plain");
  const std::vector<std::string> lines = Lines(log.Finish());
  ASSERT_EQ(lines.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(lines[0]).get(doc), simdjson::SUCCESS) << lines[0];
  std::string_view s;
  ASSERT_EQ(doc["level"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "error");
  ASSERT_EQ(doc["component"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "pipeline");
  ASSERT_EQ(doc["msg"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s.substr(0, 40), nasty.substr(0, 40));
  EXPECT_NE(s.find("\xef\xbf\xbd"), std::string_view::npos) << "invalid UTF-8 becomes U+FFFD";
  ASSERT_EQ(doc["ts"].get(s), simdjson::SUCCESS);
  EXPECT_TRUE(std::regex_match(std::string(s), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"))) << s;
  uint64_t consumed = 0;
  ASSERT_EQ(doc["consumed"].get(consumed), simdjson::SUCCESS);
  EXPECT_EQ(consumed, 42u);
  double rate = 0;
  ASSERT_EQ(doc["rate"].get(rate), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(rate, 1.5);
  ASSERT_EQ(doc["who"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "a\"b");
  ASSERT_EQ(parser.parse(lines[1]).get(doc), simdjson::SUCCESS) << lines[1];
  ASSERT_EQ(doc["msg"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "plain");
}

TEST_F(LogTest, MultiLineTextMessageIndentsItsContinuationLines) {
  CapturedLog log;
  Log(LogLevel::kInfo, "run", "first\nsecond\n");
  const std::vector<std::string> lines = Lines(log.Finish());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("INFO  run: first"), std::string::npos) << lines[0];
  EXPECT_EQ(lines[1], "    second");
}

TEST_F(LogTest, LinesFromManyThreadsArriveWhole) {
  CapturedLog log;
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  const std::string payload(300, 'x');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &payload] {
      for (int i = 0; i < kLines; ++i) Logf(LogLevel::kInfo, "t", "thread %d line %d %s end", t, i, payload.c_str());
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<std::string> lines = Lines(log.Finish());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  static const std::regex kWhole(R"(^\S+ INFO  t: thread \d+ line \d+ x{300} end$)");
  for (const std::string& line : lines) ASSERT_TRUE(std::regex_match(line, kWhole)) << line;
}

TEST_F(LogTest, ParsesTheFlagValues) {
  EXPECT_EQ(ParseLogLevel("warn").value(), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("debug").value(), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("loud").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseLogFormat("json").value(), LogFormat::kJson);
  EXPECT_EQ(ParseLogFormat("xml").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LogLevelFromSyslog(3), LogLevel::kError);
  EXPECT_EQ(LogLevelFromSyslog(4), LogLevel::kWarn);
  EXPECT_EQ(LogLevelFromSyslog(6), LogLevel::kDebug);
}

}  // namespace
}  // namespace sluice
