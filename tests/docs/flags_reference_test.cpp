// File: tests/docs/flags_reference_test.cpp
// Keeps docs/configuration.md and the binary's --help from drifting apart: for every command, the
// set of long flags `sluice <command> --help` prints must equal the set of long flags named in the
// first cell of the table rows in that command's section of docs/configuration.md (a section is a
// `## \`sluice ...\`` heading and runs to the next `## ` heading). A difference fails and names
// each flag and the side it is missing from. `--help` itself is left out on both sides.
// Runs the real binary from SLUICE_BIN_DIR and reads the doc from SLUICE_SOURCE_DIR.
// Single-threaded.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string EnvOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// Runs `command` through the shell and returns its stdout and exit status.
std::string RunAndCapture(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    status = -1;
    return out;
  }
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  status = pclose(pipe);
  return out;
}

// Long flags defined by CLI11's option lines: "  --name ..." or "  -q,--quiet ...".
std::set<std::string> FlagsFromHelp(const std::string& help) {
  static const std::regex kOptionLine(R"(^\s+(?:-[A-Za-z],)?(--[a-z0-9][a-z0-9-]*))");
  std::set<std::string> flags;
  std::istringstream in(help);
  std::string line;
  bool in_options = false;
  while (std::getline(in, line)) {
    if (line.rfind("Options:", 0) == 0) {
      in_options = true;
      continue;
    }
    if (!line.empty() && line[0] != ' ') in_options = false;  // "Subcommands:", "Exit status:"
    std::smatch match;
    if (in_options && std::regex_search(line, match, kOptionLine) && match[1] != "--help") flags.insert(match[1]);
  }
  return flags;
}

// Long flags in the first cell of table rows of the `## \`sluice <command>\`` section.
std::set<std::string> FlagsFromDoc(const std::string& doc, const std::string& command, bool& section_found) {
  static const std::regex kFlag(R"(--[a-z0-9][a-z0-9-]*)");
  const std::string heading = command.empty() ? "## `sluice`" : "## `sluice " + command + "`";
  std::set<std::string> flags;
  std::istringstream in(doc);
  std::string line;
  bool in_section = false;
  section_found = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_section = line == heading;
      section_found = section_found || in_section;
      continue;
    }
    if (!in_section || line.rfind("| ", 0) != 0) continue;
    const size_t cell_end = line.find(" |", 1);
    const std::string first_cell = line.substr(2, cell_end == std::string::npos ? std::string::npos : cell_end - 2);
    for (std::sregex_iterator it(first_cell.begin(), first_cell.end(), kFlag), end; it != end; ++it) {
      if (it->str() != "--help") flags.insert(it->str());
    }
  }
  return flags;
}

class FlagsReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FlagsReferenceTest, DocListsExactlyTheFlagsOfHelp) {
  const std::string bin_dir = EnvOrEmpty("SLUICE_BIN_DIR");
  const std::string source_dir = EnvOrEmpty("SLUICE_SOURCE_DIR");
  ASSERT_FALSE(bin_dir.empty()) << "SLUICE_BIN_DIR is not set (run through ctest)";
  ASSERT_FALSE(source_dir.empty()) << "SLUICE_SOURCE_DIR is not set (run through ctest)";

  const std::string& command = GetParam();
  int status = 0;
  const std::string help = RunAndCapture("'" + bin_dir + "/sluice' " + command + " --help 2>&1", status);
  ASSERT_EQ(status, 0) << "sluice " << command << " --help failed:\n" << help;
  const std::set<std::string> help_flags = FlagsFromHelp(help);

  std::ifstream file(source_dir + "/docs/configuration.md");
  ASSERT_TRUE(file.good()) << "cannot read docs/configuration.md";
  std::stringstream doc;
  doc << file.rdbuf();
  bool section_found = false;
  const std::set<std::string> doc_flags = FlagsFromDoc(doc.str(), command, section_found);
  ASSERT_TRUE(section_found) << "docs/configuration.md has no section \"## `sluice" << (command.empty() ? "" : " ")
                             << command << "`\"";

  for (const std::string& flag : help_flags) {
    EXPECT_TRUE(doc_flags.count(flag) != 0)
        << "sluice " << command << ": " << flag << " is in --help but not in docs/configuration.md";
  }
  for (const std::string& flag : doc_flags) {
    EXPECT_TRUE(help_flags.count(flag) != 0)
        << "sluice " << command << ": " << flag << " is in docs/configuration.md but not in --help";
  }
  // A parser that finds nothing would pass every comparison above.
  if (command != "version") {
    EXPECT_FALSE(help_flags.empty()) << "no flags parsed from --help of " << command;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryCommand, FlagsReferenceTest,
                         ::testing::Values("", "run", "bench", "sweep", "demo", "schema check", "schema ddl",
                                           "version"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.empty() ? "top_level" : info.param;
                           for (char& c : name) {
                             if (c == ' ') c = '_';
                           }
                           return name;
                         });

}  // namespace
