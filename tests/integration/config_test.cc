// ssrd's configuration: command line over TOML file (--config) over SSRD_* environment, shown by
// --print-config with where each value came from; a mistake in the file or the environment is
// one stderr line naming where it is (file, line, key) and exit code 1, with nothing started.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

RunResult Ssrd(const std::vector<std::string>& args, const Env& env = {}) {
  return RunProgram(SsrdBinary(), args, std::chrono::seconds(10), env);
}

// The line of --print-config's output for `key`, e.g. `workers = 3  # /x.toml:1`.
std::string LineFor(const std::string& out, const std::string& key) {
  const std::string start = key + " = ";
  std::size_t at = out.find("\n" + start);
  if (at == std::string::npos) return "";
  ++at;
  return out.substr(at, out.find('\n', at) - at);
}

void ExpectOneLineError(const RunResult& run, const std::vector<std::string>& mentions) {
  ASSERT_FALSE(run.timed_out);
  EXPECT_TRUE(run.status.exited && run.status.exit_code == 1) << run.status.ToString();
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "want ONE line:\n" << run.err;
  EXPECT_EQ(run.err.rfind("ssrd: error: ", 0), 0u) << run.err;
  for (const auto& m : mentions) EXPECT_NE(run.err.find(m), std::string::npos) << m << "\n" << run.err;
}

TEST(Config, CommandLineOverFileOverEnvironment) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config,
            "# a comment\n"
            "workers = 3\n"
            "max-queue = 50\n"
            "isolation = \"fresh\"\n"
            "no-watch = true\n");
  const std::string bundle = BundlesDir() + "/echo.mjs";
  RunResult run = Ssrd({"--config", config, "--bundle", bundle, "--max-queue", "70",
                        "--print-config"},
                       {{"SSRD_WORKERS", "5"}, {"SSRD_MAX_QUEUE", "60"},
                        {"SSRD_DRAIN_TIMEOUT_MS", "4321"}, {"SSRD_TIMEOUT_MS", ""}});
  ASSERT_TRUE(run.status.exited && run.status.exit_code == 0) << run.status.ToString() << run.err;
  // file over environment
  EXPECT_EQ(LineFor(run.out, "workers"), "workers = 3  # " + config + ":2") << run.out;
  // command line over both
  EXPECT_EQ(LineFor(run.out, "max-queue"), "max-queue = 70  # command line") << run.out;
  EXPECT_EQ(LineFor(run.out, "isolation"), "isolation = \"fresh\"  # " + config + ":4");
  EXPECT_EQ(LineFor(run.out, "no-watch"), "no-watch = true  # " + config + ":5");
  // environment alone; an empty variable counts as unset
  EXPECT_EQ(LineFor(run.out, "drain-timeout-ms"),
            "drain-timeout-ms = 4321  # environment SSRD_DRAIN_TIMEOUT_MS");
  EXPECT_EQ(LineFor(run.out, "timeout-ms"), "timeout-ms = 10000  # default");
  EXPECT_EQ(LineFor(run.out, "bundle"), "bundle = \"" + bundle + "\"  # command line");
  EXPECT_EQ(LineFor(run.out, "config"), "") << "--config is not a config key";
}

TEST(Config, PrintConfigOutputIsAConfigFileThatGivesTheSameValues) {
  TempDir dir;
  RunResult first = Ssrd({"--bundle", BundlesDir() + "/echo.mjs", "--workers", "4",
                          "--socket", dir.File("a b.sock"), "--print-config"});
  ASSERT_EQ(first.status.exit_code, 0) << first.err;
  WriteFile(dir.File("printed.toml"), first.out);
  RunResult second = Ssrd({"--config", dir.File("printed.toml"), "--print-config"});
  ASSERT_EQ(second.status.exit_code, 0) << second.err;
  EXPECT_EQ(LineFor(second.out, "workers"), "workers = 4  # " + dir.File("printed.toml") + ":4");
  EXPECT_NE(LineFor(second.out, "socket").find("\"" + dir.File("a b.sock") + "\""),
            std::string::npos) << second.out;
}

TEST(Config, UnknownKeyNamesFileLineAndKey) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config, "workers = 2\n\nwrokers = 4\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", BundlesDir() + "/echo.mjs"}),
                     {config + ":3:", "'wrokers'", "unknown key"});
}

TEST(Config, UnderscoredKeyGetsAHint) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config, "drain_timeout_ms = 5000\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", BundlesDir() + "/echo.mjs"}),
                     {config + ":1:", "'drain_timeout_ms'", "did you mean drain-timeout-ms"});
}

TEST(Config, SectionKeysAreUnknown) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config, "workers = 2\n[pool]\nworkers = 4\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", BundlesDir() + "/echo.mjs"}),
                     {config + ":3:", "'pool.workers'", "unknown key"});
}

TEST(Config, WrongTypeNamesFileLineAndKey) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  const std::string bundle = BundlesDir() + "/echo.mjs";
  WriteFile(config, "# workers\nworkers = \"many\"\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", bundle}),
                     {config + ":2:", "'workers'", "expected a non-negative integer", "many"});
  WriteFile(config, "no-watch = \"maybe\"\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", bundle}),
                     {config + ":1:", "'no-watch'", "expected true or false"});
  WriteFile(config, "workers = 0\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", bundle}),
                     {config + ":1:", "'workers'", "not in range"});
  WriteFile(config, "isolation = \"none\"\n");
  ExpectOneLineError(Ssrd({"--config", config, "--bundle", bundle}),
                     {config + ":1:", "'isolation'", "none"});
}

TEST(Config, WrongEnvironmentValueNamesTheVariable) {
  ExpectOneLineError(Ssrd({"--bundle", BundlesDir() + "/echo.mjs"}, {{"SSRD_MAX_QUEUE", "-3"}}),
                     {"SSRD_MAX_QUEUE=-3", "expected a non-negative integer"});
}

TEST(Config, PageCacheOutOfRangeIsRefused) {
  ExpectOneLineError(
      Ssrd({"--bundle", BundlesDir() + "/echo.mjs"}, {{"SSRD_PAGE_CACHE_MB", "2000"}}),
      {"SSRD_PAGE_CACHE_MB=2000", "not in range"});
}

// The workers read --page-cache-mb from their environment (isolates/v8_process.cc).
TEST(Config, WorkersAreGivenThePageCacheSize) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config, "page-cache-mb = 3\n");
  // A bundle path of its own, to find this daemon's workers by their command line.
  const std::string bundle = dir.File("echo.mjs");
  WriteFile(bundle, ReadFileOrEmpty(BundlesDir() + "/echo.mjs"));
  DaemonProcess daemon({.bundle = bundle, .workers = 1, .extra_args = {"--config", config}});
  ASSERT_TRUE(daemon.Start());
  std::vector<pid_t> workers = ProcessesWithArg(bundle);
  std::string environ;
  for (pid_t pid : workers) {
    if (pid == daemon.pid()) continue;
    environ = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/environ");
    if (!environ.empty()) break;
  }
  daemon.Stop();
  std::replace(environ.begin(), environ.end(), '\0', '\n');
  EXPECT_NE(("\n" + environ).find("\nSSRD_PAGE_CACHE_MB=3\n"), std::string::npos) << environ;
}

TEST(Config, MissingFileIsAnError) {
  TempDir dir;
  ExpectOneLineError(Ssrd({"--config", dir.File("nope.toml"), "--bundle", "x"}),
                     {dir.File("nope.toml"), "No such file"});
}

TEST(Config, DaemonRunsWithValuesFromTheFile) {
  TempDir dir;
  const std::string config = dir.File("ssrd.toml");
  WriteFile(config, "log-level = \"debug\"\n");
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs",
                        .workers = 1,
                        .extra_args = {"--config", config}});
  ASSERT_TRUE(daemon.Start());
  daemon.Stop();
  EXPECT_NE(daemon.Stderr().find("[debug]"), std::string::npos) << "log-level from the file";
}

}  // namespace
}  // namespace ssrd::testing
