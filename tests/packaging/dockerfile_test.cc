// The Dockerfile cannot be built here (no container engine), so what can be checked is: the
// runtime stage installs a Debian package for every library the built binaries load, the build
// stage uses the project's own scripts, every SSRD_* it sets is a real ssrd option with a valid
// value, and it runs as a non-root user with the socket on a volume.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

const std::string kSource = SSRD_TEST_SOURCE_DIR;
const std::string kBuild = SSRD_TEST_BUILD_DIR;

// The Dockerfile's instructions per stage, with line continuations joined.
std::vector<std::vector<std::string>> Stages() {
  std::istringstream in(ReadFileOrEmpty(kSource + "/Dockerfile"));
  std::vector<std::vector<std::string>> stages;
  std::string line, joined;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (!line.empty() && line.back() == '\\') {
      joined += line.substr(0, line.size() - 1) + " ";
      continue;
    }
    joined += line;
    if (joined.rfind("FROM ", 0) == 0) stages.emplace_back();
    if (!stages.empty()) stages.back().push_back(joined);
    joined.clear();
  }
  return stages;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::set<std::string> AptInstalled(const std::vector<std::string>& stage) {
  std::set<std::string> packages;
  for (const auto& instruction : stage) {
    std::vector<std::string> w = Words(instruction);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
      if (w[i] != "apt-get" || w[i + 1] != "install") continue;
      for (std::size_t j = i + 2; j < w.size() && w[j] != "&&"; ++j) {
        if (w[j][0] != '-') packages.insert(w[j]);
      }
    }
  }
  return packages;
}

// The Debian package holding a library, as dpkg knows it here; libnode108 may be unpacked
// into third_party instead of installed (scripts/setup), so dpkg does not know it then.
std::string PackageOf(const std::string& soname) {
  RunResult run = RunProgram("/usr/bin/dpkg", {"-S", "*/x86_64-linux-gnu/" + soname},
                             std::chrono::seconds(30));
  if (run.status.exit_code != 0) {
    return soname == "libnode.so.108" ? "libnode108" : "(unknown: " + soname + ")";
  }
  return run.out.substr(0, run.out.find_first_of(":,"));  // "libuv1:amd64: /usr/lib/…"
}

TEST(Dockerfile, RuntimeStageInstallsEveryLibraryTheProgramsLoad) {
  auto stages = Stages();
  ASSERT_EQ(stages.size(), 2u) << "a build stage and a runtime stage";
  const std::set<std::string> installed = AptInstalled(stages[1]);
  // In debian:bookworm-slim already (apt itself needs them).
  const std::set<std::string> base = {"libc6", "libstdc++6", "libgcc-s1"};
  for (const char* program : {"ssrd", "ssrd-worker", "ssrctl"}) {
    RunResult elf = RunProgram("/usr/bin/readelf", {"-d", kBuild + "/bin/" + program},
                               std::chrono::seconds(30));
    ASSERT_EQ(elf.status.exit_code, 0) << elf.err;
    std::istringstream lines(elf.out);
    int needed = 0;
    for (std::string line; std::getline(lines, line);) {
      auto open = line.find("Shared library: [");
      if (open == std::string::npos) continue;
      ++needed;
      std::string soname = line.substr(open + 17, line.find(']', open) - open - 17);
      std::string package = PackageOf(soname);
      EXPECT_TRUE(installed.count(package) || base.count(package))
          << program << " loads " << soname << " from " << package
          << ", which the runtime stage does not install";
    }
    EXPECT_GT(needed, 0) << program;
  }
}

TEST(Dockerfile, BuildStageUsesTheProjectScripts) {
  auto stages = Stages();
  ASSERT_FALSE(stages.empty());
  std::string build;
  for (const auto& i : stages[0]) build += i + "\n";
  EXPECT_NE(build.find("RUN scripts/build"), std::string::npos) << build;
  EXPECT_NE(build.find("cmake --install build"), std::string::npos) << build;
  EXPECT_TRUE(AptInstalled(stages[0]).empty())
      << "packages belong in scripts/setup, which scripts/build runs";
}

TEST(Dockerfile, SettingsAreRealOptionsAndItRunsAsNonRoot) {
  auto stages = Stages();
  ASSERT_EQ(stages.size(), 2u);
  std::vector<std::pair<std::string, std::string>> env;
  bool user = false, volume = false, stopsignal = false, healthcheck = false;
  for (const auto& instruction : stages[1]) {
    std::vector<std::string> w = Words(instruction);
    if (w[0] == "ENV") {
      for (std::size_t i = 1; i < w.size(); ++i) {
        auto eq = w[i].find('=');
        if (eq != std::string::npos) env.emplace_back(w[i].substr(0, eq), w[i].substr(eq + 1));
      }
    }
    if (w[0] == "USER") user = w.size() > 1 && w[1] != "root" && w[1] != "0";
    if (w[0] == "VOLUME") volume = instruction.find("/run/ssrd") != std::string::npos;
    if (w[0] == "STOPSIGNAL") stopsignal = w.size() > 1 && w[1] == "SIGTERM";
    if (w[0] == "HEALTHCHECK") healthcheck = instruction.find("ssrctl") != std::string::npos;
  }
  EXPECT_TRUE(user && volume && stopsignal && healthcheck);
  ASSERT_FALSE(env.empty());
  RunResult run = RunProgram(SsrdBinary(), {"--print-config"}, std::chrono::seconds(10), env);
  ASSERT_EQ(run.status.exit_code, 0) << run.err;
  for (const auto& [name, value] : env) {
    EXPECT_NE(run.out.find("# environment " + name + "\n"), std::string::npos)
        << name << " is not an ssrd option:\n" << run.out;
  }
}

}  // namespace
}  // namespace ssrd::testing
