// The shipped systemd units pass systemd's own checker, and the example config is accepted by ssrd.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

const char* kAnalyze = "/usr/bin/systemd-analyze";

// systemd-analyze verify exits 0 even for a directive it ignores: any output is a finding.
RunResult Verify(const std::string& dir) {
  return RunProgram(kAnalyze, {"verify", "--man=no", dir + "/ssrd.service", dir + "/ssrd.socket"},
                    std::chrono::seconds(60));
}

TEST(SystemdUnits, PassSystemdAnalyzeVerify) {
  if (access(kAnalyze, X_OK) != 0) {
    GTEST_SKIP() << kAnalyze << " is missing: install Debian's systemd package (scripts/setup)";
  }
  RunResult run = Verify(SSRD_TEST_UNITS_DIR);
  ASSERT_FALSE(run.timed_out);
  EXPECT_TRUE(run.status.exited && run.status.exit_code == 0) << run.status.ToString();
  EXPECT_EQ(run.out + run.err, "") << "systemd-analyze verify has findings";
}

TEST(SystemdUnits, VerifyReportsABrokenUnit) {
  // The control: the check above would see a mistake in the unit.
  if (access(kAnalyze, X_OK) != 0) GTEST_SKIP() << kAnalyze << " is missing";
  TempDir dir;
  std::string unit = ReadFileOrEmpty(std::string(SSRD_TEST_UNITS_DIR) + "/ssrd.service");
  ASSERT_NE(unit.find("Type=notify\n"), std::string::npos);
  unit.replace(unit.find("Type=notify\n"), 12, "Type=notfy\n");
  WriteFile(dir.File("ssrd.service"), unit);
  WriteFile(dir.File("ssrd.socket"),
            ReadFileOrEmpty(std::string(SSRD_TEST_UNITS_DIR) + "/ssrd.socket"));
  RunResult run = Verify(dir.path());
  EXPECT_NE(run.out + run.err, "");
}

TEST(SystemdUnits, ServiceIsHardenedAndStopsAfterTheDrain) {
  const std::string unit = ReadFileOrEmpty(std::string(SSRD_TEST_UNITS_DIR) + "/ssrd.service");
  for (const char* line : {"Type=notify\n", "KillMode=mixed\n", "DynamicUser=yes\n",
                           "ProtectSystem=strict\n", "PrivateTmp=yes\n", "NoNewPrivileges=yes\n",
                           "RestrictAddressFamilies=AF_UNIX\n", "WatchdogSec=", "#MemoryMax="}) {
    EXPECT_NE(unit.find(line), std::string::npos) << line;
  }
  // TimeoutStopSec must exceed the default drain (10 s) + the worker stop escalation (3 s).
  const auto at = unit.find("TimeoutStopSec=");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GT(std::stoi(unit.substr(at + 15)), 13);
}

TEST(ExampleConfig, IsAcceptedAndItsValuesAreUsed) {
  RunResult run = RunProgram(SsrdBinary(),
                             {"--config", std::string(SSRD_TEST_SOURCE_DIR) + "/packaging/ssrd.toml",
                              "--print-config"},
                             std::chrono::seconds(10));
  ASSERT_TRUE(run.status.exited && run.status.exit_code == 0) << run.err;
  EXPECT_NE(run.out.find("bundle = \"/srv/app/dist/server.mjs\"  # "), std::string::npos)
      << run.out;
}

}  // namespace
}  // namespace ssrd::testing
