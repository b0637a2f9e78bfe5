// ssrd refuses bad command-line input quickly, with one clear stderr line and an agreed exit
// code (2: bundle problems, do not restart; 1: other problems), and leaves no worker behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

struct CliCase {
  std::string bundle_source;  // file in bundles/ copied to the temp dir; "" = no file at all
  bool socket_in_missing_dir = false;
  int exit_code;
  std::vector<std::string> mentions;  // each must appear in the stderr line (case-insensitive)
};

void RunCase(const CliCase& c) {
  TempDir dir;
  // A bundle path unique to this run, so that any process still naming it is ours.
  const std::string bundle = dir.File("bundle-under-test.mjs");
  if (!c.bundle_source.empty()) {
    WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/" + c.bundle_source));
  }
  const std::string socket = c.socket_in_missing_dir ? dir.File("no/such/dir/ssrd.sock")
                                                     : dir.File("ssrd.sock");
  RunResult run = RunProgram(SsrdBinary(),
                             {"--socket", socket, "--bundle", bundle, "--workers", "2",
                              "--worker-executable", WorkerBinary()},
                             std::chrono::seconds(10));
  ASSERT_FALSE(run.timed_out) << "ssrd still running after 10 s; stderr:\n" << run.err;
  ASSERT_TRUE(run.status.exited) << run.status.ToString() << "; stderr:\n" << run.err;
  EXPECT_EQ(run.status.exit_code, c.exit_code) << "stderr:\n" << run.err;
  EXPECT_EQ(run.out, "") << "nothing may claim readiness on stdout";

  ASSERT_FALSE(run.err.empty());
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "want ONE line:\n" << run.err;
  EXPECT_EQ(run.err.back(), '\n');
  EXPECT_EQ(run.err.rfind("ssrd: error: ", 0), 0u) << run.err;
  for (const auto& mention : c.mentions) {
    EXPECT_NE(Lower(run.err).find(Lower(mention)), std::string::npos)
        << "stderr does not mention '" << mention << "': " << run.err;
  }

  // Workers die with their supervisor (PR_SET_PDEATHSIG), asynchronously: allow a moment.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<pid_t> left;
  while (!(left = ProcessesWithArg(bundle)).empty() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(left.empty()) << left.size() << " process(es) still name " << bundle
                            << ", e.g. pid " << (left.empty() ? 0 : left[0]);
}

TEST(CliErrorsTest, MissingBundleExits2) {
  RunCase({"", false, 2, {"bundle-under-test.mjs", "no such file or directory"}});
}

TEST(CliErrorsTest, BundleWithSyntaxErrorExits2) {
  RunCase({"syntax_error.mjs", false, 2, {"SyntaxError"}});
}

TEST(CliErrorsTest, BundleWithoutRenderExits2) {
  RunCase({"no_render.mjs", false, 2, {"does not export a render function"}});
}

TEST(CliErrorsTest, SocketInAMissingDirectoryExits1) {
  RunCase({"echo.mjs", true, 1, {"no/such/dir/ssrd.sock", "no such file or directory"}});
}

}  // namespace
}  // namespace ssrd::testing

namespace ssrd::testing {
namespace {

// A worker that never becomes ready (its bundle loops while loading) is killed after the start
// timeout; after three attempts the daemon gives up with one error line naming why, exits 1 and
// leaves no worker.
TEST(CliErrorsTest, ABundleThatLoopsWhileLoadingFailsStartAfterTheStartTimeout) {
  TempDir dir;
  const std::string bundle = dir.File("bundle-under-test.mjs");
  WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/loops_while_loading.mjs"));
  RunResult run = RunProgram(SsrdBinary(),
                             {"--socket", dir.File("ssrd.sock"), "--bundle", bundle, "--workers",
                              "1", "--start-timeout-ms", "300", "--worker-executable",
                              WorkerBinary()},
                             std::chrono::seconds(20));
  ASSERT_FALSE(run.timed_out) << run.err;
  ASSERT_TRUE(run.status.exited) << run.status.ToString();
  EXPECT_EQ(run.status.exit_code, 1) << run.err;
  EXPECT_EQ(run.out, "");
  // Warnings about each killed attempt come first; the last line is the verdict.
  std::string last = run.err.substr(run.err.rfind('\n', run.err.size() - 2) + 1);
  EXPECT_EQ(last.rfind("ssrd: error: worker ", 0), 0u) << run.err;
  EXPECT_NE(last.find("before it was ready (3 attempts)"), std::string::npos) << last;
  EXPECT_NE(last.find("did not become ready within 300 ms"), std::string::npos) << last;
  EXPECT_TRUE(ProcessesWithArg(bundle).empty());
}

}  // namespace
}  // namespace ssrd::testing
