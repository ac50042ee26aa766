// Process-level tests of what an operator sees before any pipeline runs:
//  - `sluice --version` / `sluice version`: sluice's version and commit, and the versions of the
//    libraries the process runs with, compared with what this test process loads itself;
//  - `cmake --install` into a fresh prefix: the programs, examples, help texts and systemd unit
//    land in the GNU layout, and the installed `sluice demo` finds its sink emulator and the
//    example schema there (no path of the build or source tree involved).
// The real binaries from $SLUICE_BIN_DIR; the install test runs CMake on this build tree.
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <oneapi/tbb/version.h>
#include <simdjson.h>

#include <filesystem>
#include <regex>
#include <string>

#include "tests/testing/process_env.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {
namespace {

#define SLUICE_TEST_STRINGIFY_AUX(x) #x
#define SLUICE_TEST_STRINGIFY(x) SLUICE_TEST_STRINGIFY_AUX(x)

std::string SourceDir() {
  const char* s = std::getenv("SLUICE_SOURCE_DIR");
  return s ? s : "";
}

ProcessResult Sluice(const std::vector<std::string>& args, int timeout_ms = 30000) {
  ProcessOptions o;
  o.argv = {BinDir() + "/sluice"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  return RunProcess(o, timeout_ms);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t nl = text.find('\n', start);
    const size_t end = nl == std::string::npos ? text.size() : nl;
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

/// The commit the source tree is at, as git says ("" when it is not a git checkout).
std::string GitHead() {
  ProcessOptions o;
  o.argv = {"/usr/bin/env", "git", "-C", SourceDir(), "rev-parse", "HEAD"};
  ProcessResult r = RunProcess(o, 30000);
  if (r.exit_code != 0) return "";
  std::string head = r.out;
  while (!head.empty() && (head.back() == '\n' || head.back() == '\r')) head.pop_back();
  return head;
}

TEST(SluiceVersion, NamesSluiceAndTheLibrariesItRunsWith) {
  ProcessResult r = Sluice({"--version"});
  ASSERT_EQ(r.exit_code, 0) << r.all();
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;

  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, std::regex(R"(sluice (\S+) \(commit (\S+)\))"))) << lines[0];
  EXPECT_EQ(m[1].str(), SLUICE_TEST_PROJECT_VERSION);
  const std::string commit = m[2].str();
  const std::string head = GitHead();
  if (head.empty()) {
    EXPECT_EQ(commit, "unknown");
  } else {
    ASSERT_TRUE(std::regex_match(commit, std::regex("[0-9a-f]{12,40}"))) << commit;
    EXPECT_EQ(head.rfind(commit, 0), 0u) << "binary says " << commit << ", the checkout is at " << head
                                         << " (rebuild after a commit)";
  }
  // The loaded libraries as this process sees them (the same shared objects).
  EXPECT_EQ(lines[1], std::string("librdkafka ") + rd_kafka_version_str());
  EXPECT_EQ(lines[2], "simdjson " SLUICE_TEST_STRINGIFY(SIMDJSON_VERSION) " (headers)");
  EXPECT_EQ(lines[3], std::string("oneTBB ") + TBB_runtime_version() + " (headers " TBB_VERSION_STRING ")");
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  EXPECT_EQ(lines[4].rfind(std::string("libcurl ") + curl->version, 0), 0u) << lines[4];
  if (curl->ssl_version) {
    EXPECT_NE(lines[4].find(curl->ssl_version), std::string::npos) << lines[4];
  }
  // No path of the tree it was built in.
  ASSERT_FALSE(SourceDir().empty());
  EXPECT_EQ(r.all().find(SourceDir()), std::string::npos) << r.all();
}

TEST(SluiceVersion, SubcommandPrintsTheSameAsTheFlag) {
  ProcessResult flag = Sluice({"--version"});
  ProcessResult sub = Sluice({"version"});
  ASSERT_EQ(flag.exit_code, 0) << flag.all();
  ASSERT_EQ(sub.exit_code, 0) << sub.all();
  EXPECT_EQ(sub.out, flag.out);
  // And the top-level help offers both.
  ProcessResult help = Sluice({"--help"});
  EXPECT_NE(help.out.find("--version"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("version"), std::string::npos) << help.out;
}

/// `cmake --install` of this build tree into a fresh prefix, then the installed demo.
TEST(SluiceInstall, InstalledDemoRunsFromThePrefix) {
  namespace fs = std::filesystem;
  const std::string prefix = MakeTempDir("install");
  ProcessOptions install;
  install.argv = {SLUICE_TEST_CMAKE_COMMAND, "--install", SLUICE_TEST_BINARY_DIR, "--prefix", prefix};
  ProcessResult ir = RunProcess(install, 120000);
  ASSERT_EQ(ir.exit_code, 0) << ir.all();

  for (const char* program : {"sluice", "sluice-sink-emulator", "sluice-mock-kafka", "sluice-fake-flights"})
    EXPECT_TRUE(fs::exists(prefix + "/bin/" + program)) << program;
  EXPECT_FALSE(fs::exists(prefix + "/bin/sluice-misbehaving-sink")) << "a test fixture is not installed";
  for (const char* f : {"schema.json", "table.json", "sluice.toml"})
    EXPECT_TRUE(fs::exists(prefix + "/share/sluice/examples/flights/" + f)) << f;
  EXPECT_TRUE(fs::exists(prefix + "/share/doc/sluice/help/sluice-run.txt"));
  EXPECT_TRUE(fs::exists(prefix + "/share/doc/sluice/deploy.md"));
  const std::string unit = ReadFileText(prefix + "/lib/systemd/system/sluice@.service");
  EXPECT_NE(unit.find("ExecStart=" + prefix + "/bin/sluice run --config /etc/sluice/%i.toml"), std::string::npos)
      << unit;
  EXPECT_TRUE(fs::exists(prefix + "/lib/sysusers.d/sluice.conf"));
  // The installed --help text is what the installed binary prints.
  ProcessOptions run_help;
  run_help.argv = {prefix + "/bin/sluice", "run", "--help"};
  EXPECT_EQ(RunProcess(run_help, 30000).out, ReadFileText(prefix + "/share/doc/sluice/help/sluice-run.txt"));

  // The demo from the prefix: its emulator and example schema come from there, not the build.
  ProcessOptions demo;
  demo.argv = {prefix + "/bin/sluice", "demo", "--records", "3000", "--partitions", "2", "-q"};
  ProcessResult dr = RunProcess(demo, 120000);
  ASSERT_EQ(dr.exit_code, 0) << dr.all();
  EXPECT_NE(dr.out.find("demo: 3000 of 3000 records delivered and verified"), std::string::npos) << dr.all();

  // Without its share/ directory the installed demo says where it looked (exit 2), which shows
  // the run above read the prefix's copy.
  fs::rename(prefix + "/share/sluice", prefix + "/share/sluice-moved");
  ProcessResult missing = RunProcess(demo, 60000);
  EXPECT_EQ(missing.exit_code, 2) << missing.all();
  EXPECT_NE(missing.err.find(prefix + "/bin/../share/sluice/examples/flights"), std::string::npos) << missing.all();
  fs::remove_all(prefix);
}

}  // namespace
}  // namespace sluice::testing
