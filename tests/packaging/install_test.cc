// `cmake --install` into a temporary prefix, then used from outside the tree as a user would: the
// embedding example and a small client program are configured with find_package(ssrd) and built
// against the installed package (the client once more with pkg-config alone), the installed ssrd serves, and no installed binary points into
// the build tree. One test: each step needs the previous one.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

const std::string kSource = SSRD_TEST_SOURCE_DIR;
const std::string kBuild = SSRD_TEST_BUILD_DIR;
const std::string kCmake = SSRD_TEST_CMAKE;

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

::testing::AssertionResult Ran(const RunResult& run) {
  if (!run.timed_out && run.status.exited && run.status.exit_code == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << (run.timed_out ? "timed out; " : "")
                                       << run.status.ToString() << "\nstdout:\n" << run.out
                                       << "\nstderr:\n" << run.err;
}

// Configures and builds the CMake project in `source` against the installed prefix.
::testing::AssertionResult BuildOutOfTree(const std::string& source, const std::string& build,
                                          const std::string& prefix) {
  RunResult configure = RunProgram(kCmake, {"-S", source, "-B", build, "-G", "Ninja",
                                            "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                                            "-DCMAKE_PREFIX_PATH=" + prefix},
                                   std::chrono::seconds(120));
  if (auto ok = Ran(configure); !ok) return ok << "(configuring " << source << ")";
  RunResult build_run = RunProgram(kCmake, {"--build", build, "-j", "1"}, std::chrono::seconds(300));
  if (auto ok = Ran(build_run); !ok) return ok << "(building " << source << ")";
  return ::testing::AssertionSuccess();
}

TEST(Install, EmbedsThePoolAndTheClientFromOutsideTheTree) {
  TempDir dir;
  const std::string prefix = dir.File("prefix");
  ASSERT_TRUE(Ran(RunProgram(kCmake, {"--install", kBuild, "--prefix", prefix},
                             std::chrono::seconds(120))));

  for (const char* file : {"bin/ssrd", "bin/ssrd-worker", "bin/ssrctl", "lib/libssrd_pool.a",
                           "lib/libssrd_client.a", "lib/libssrd_ipc.a",
                           "include/ssrd/pool/pool.h", "include/ssrd/pool/socket_server.h",
                           "include/ssrd/clients/cpp/client.h", "include/ssrd/ipc/message.h",
                           "lib/cmake/ssrd/ssrdConfig.cmake", "lib/cmake/ssrd/ssrdTargets.cmake",
                           "lib/systemd/system/ssrd.service", "lib/systemd/system/ssrd.socket",
                           "share/doc/ssrd/ssrd.toml.example", "lib/pkgconfig/ssrd-pool.pc",
                           "lib/pkgconfig/ssrd-client.pc", "share/man/man1/ssrd.1",
                           "share/man/man1/ssrctl.1", "share/man/man1/ssrd-worker.1"}) {
    EXPECT_TRUE(Exists(prefix + "/" + file)) << file;
  }
  // The installed unit starts the installed ssrd with the installed config path.
  const std::string unit = ReadFileOrEmpty(prefix + "/lib/systemd/system/ssrd.service");
  EXPECT_NE(unit.find("ExecStart=" + prefix + "/bin/ssrd --config " + prefix + "/etc/ssrd/ssrd.toml"),
            std::string::npos) << unit;
  if (access("/usr/bin/systemd-analyze", X_OK) == 0) {
    RunResult verify = RunProgram("/usr/bin/systemd-analyze",
                                  {"verify", "--man=no", prefix + "/lib/systemd/system/ssrd.service",
                                   prefix + "/lib/systemd/system/ssrd.socket"},
                                  std::chrono::seconds(60));
    EXPECT_TRUE(Ran(verify));
    EXPECT_EQ(verify.out + verify.err, "");
  }

  // The man pages, made from each program's --help, render without a warning from man or groff
  // (checked the way lintian checks them), hold the options, and say nothing of the build machine.
  for (const std::string page : {"ssrd", "ssrctl", "ssrd-worker"}) {
    const std::string path = prefix + "/share/man/man1/" + page + ".1";
    RunResult warnings = RunProgram(
        "/bin/sh",
        {"-c", "LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \"$1\"",
         "sh", path},
        std::chrono::seconds(60));
    EXPECT_TRUE(Ran(warnings)) << page;
    EXPECT_EQ(warnings.err, "") << page;
    RunResult text = RunProgram("/bin/sh", {"-c", "MANWIDTH=100 man -l \"$1\"", "sh", path},
                                std::chrono::seconds(60), {{"LC_ALL", "C.UTF-8"}});
    ASSERT_TRUE(Ran(text)) << page;
    EXPECT_NE(text.out.find("--help"), std::string::npos) << page;
    const std::string uid = std::to_string(getuid());
    for (const std::string& machine : {kBuild, "/tmp/ssrd-" + uid + ".sock",
                                       "/tmp/ssrd-cache-" + uid}) {
      EXPECT_EQ(text.out.find(machine), std::string::npos) << page << " names " << machine;
    }
  }
  const std::string ssrd_page = ReadFileOrEmpty(prefix + "/share/man/man1/ssrd.1");
  for (const char* expected : {"\\-\\-bundle", "\\-\\-drain\\-timeout\\-ms", ".SH FILES",
                               ".SH \"EXIT STATUS\"", "ssrd snapshot"}) {
    EXPECT_NE(ssrd_page.find(expected), std::string::npos) << expected;
  }

  // No installed program may find its libraries through the build tree.
  for (const char* program : {"ssrd", "ssrd-worker", "ssrctl"}) {
    RunResult dynamic = RunProgram("/usr/bin/readelf", {"-d", prefix + "/bin/" + program},
                                   std::chrono::seconds(30));
    ASSERT_TRUE(Ran(dynamic));
    EXPECT_EQ(dynamic.out.find(kBuild), std::string::npos) << program << ":\n" << dynamic.out;
    if (std::string(program) != "ssrd-worker") {
      EXPECT_EQ(dynamic.out.find("RUNPATH"), std::string::npos) << program << ":\n" << dynamic.out;
    }
  }

  // The embedding example, built against the package, renders like Node (as EmbedExample does
  // inside the tree), with the installed ssrd-worker.
  const std::string embed = dir.File("embed-build");
  ASSERT_TRUE(BuildOutOfTree(kSource + "/examples/embed", embed, prefix));
  const std::string app = kSource + "/examples/react-app";
  RunResult rendered = RunProgram(
      embed + "/ssrd-embed-example",
      {app + "/dist/server.mjs", "Tiny", ReadFileOrEmpty(app + "/expected/tiny.props.json"),
       "--worker-executable", prefix + "/bin/ssrd-worker"},
      std::chrono::seconds(60));
  ASSERT_TRUE(Ran(rendered));
  EXPECT_EQ(Trim(rendered.out), Trim(ReadFileOrEmpty(app + "/expected/tiny.html")));

  // The installed daemon serves a program built against the installed client.
  const std::string probe = dir.File("probe-build");
  ASSERT_TRUE(BuildOutOfTree(kSource + "/tests/packaging/client_probe", probe, prefix));
  DaemonProcess daemon({.bundle = BundlesDir() + "/echo.mjs",
                        .workers = 1,
                        .ssrd_binary = prefix + "/bin/ssrd",
                        .worker_binary = prefix + "/bin/ssrd-worker"});
  ASSERT_TRUE(daemon.Start());
  RunResult probed = RunProgram(probe + "/client-probe",
                                {daemon.socket_path(), "Echo", R"({"n":3})"},
                                std::chrono::seconds(30));
  EXPECT_TRUE(Ran(probed));
  EXPECT_EQ(probed.out, "<p>Echo:{\"n\":3}</p>\n");

  // The same client program built without CMake, through the installed pkg-config file.
  const std::string flags_script =
      "PKG_CONFIG_PATH=\"$1/lib/pkgconfig\" pkg-config --cflags --libs ssrd-client";
  RunResult flags = RunProgram("/bin/sh", {"-c", flags_script, "sh", prefix},
                               std::chrono::seconds(30));
  ASSERT_TRUE(Ran(flags));
  EXPECT_NE(flags.out.find("-I" + prefix + "/include/ssrd"), std::string::npos) << flags.out;
  const std::string by_pc = dir.File("client-probe-pc");
  RunResult compiled = RunProgram(
      "/bin/sh",
      {"-c", "c++ -std=c++20 -o \"$2\" \"$3\" $(PKG_CONFIG_PATH=\"$1/lib/pkgconfig\" "
             "pkg-config --cflags --libs ssrd-client)",
       "sh", prefix, by_pc, kSource + "/tests/packaging/client_probe/main.cc"},
      std::chrono::seconds(300));
  ASSERT_TRUE(Ran(compiled));
  probed = RunProgram(by_pc, {daemon.socket_path(), "Echo", R"({"n":4})"},
                      std::chrono::seconds(30));
  EXPECT_TRUE(Ran(probed));
  EXPECT_EQ(probed.out, "<p>Echo:{\"n\":4}</p>\n");
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace ssrd::testing
