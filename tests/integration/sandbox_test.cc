// Issue 11, item 7, against a real daemon: the workers' sandbox. Workers are filtered on every
// thread and cannot gain privileges; what a misbehaving worker tries is refused and reported by the
// supervisor; what rendering needs (Intl in many zones and locales, dynamic import(), source-mapped
// errors, the web platform) answers exactly as in an unfiltered worker; --worker-user switches
// the workers' identity.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

namespace fs = std::filesystem;

// A copy of bundles/sandbox in `dir`; returns its entry.
std::string CopySandboxBundle(const TempDir& dir) {
  fs::copy(BundlesDir() + "/sandbox", dir.File("app"), fs::copy_options::recursive);
  return dir.File("app/entry.mjs");
}

// ssrd-worker with the test-only --test-misbehave CALL (worker/misbehaviour.h).
std::string MisbehavingWorker(const TempDir& dir, const std::string& call) {
  const std::string path = dir.File("misbehaving-worker");
  WriteFile(path, "#!/bin/sh\nexec " + WorkerBinary() + " --test-misbehave " + call + " \"$@\"\n");
  chmod(path.c_str(), 0755);
  return path;
}

// "Key:\tvalue" of /proc/PID/status (or /proc/PID/task/TID/status).
std::string StatusField(const std::string& status_path, const std::string& key) {
  std::ifstream status(status_path);
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      return value;
    }
  }
  return "missing";
}

std::unique_ptr<client::Client> Connect(const DaemonProcess& daemon) {
  auto client = client::Client::Connect(daemon.socket_path());
  EXPECT_TRUE(client.ok()) << client.error().ToString();
  return client.ok() ? std::move(client).value() : nullptr;
}

std::string RenderOrError(client::Client& client, const std::string& component,
                          const std::string& props) {
  auto result = client.Render(component, props);
  return result.ok() ? result->html : "error: " + result.error().ToString();
}

TEST(SandboxTest, EveryThreadOfEveryWorkerIsFilteredByDefault) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  DaemonProcess daemon(DaemonConfig{bundle, 2, {}});
  ASSERT_TRUE(daemon.Start());
  auto client = Connect(daemon);
  ASSERT_TRUE(client);
  EXPECT_EQ(RenderOrError(*client, "Hello", "{}"), "<p>Hello</p>");  // the channel thread exists
  const std::vector<pid_t> workers = WorkerPids(bundle);
  ASSERT_EQ(workers.size(), 2u);
  for (pid_t pid : workers) {
    const std::string proc = "/proc/" + std::to_string(pid);
    EXPECT_EQ(StatusField(proc + "/status", "NoNewPrivs"), "1");
    int threads = 0;
    for (const auto& task : fs::directory_iterator(proc + "/task")) {
      ++threads;
      // 2 = SECCOMP_MODE_FILTER: V8's platform threads, started before the filter, have it too.
      EXPECT_EQ(StatusField(task.path().string() + "/status", "Seccomp"), "2") << task.path();
    }
    EXPECT_GT(threads, 2);
  }
  daemon.Stop();
  EXPECT_NE(daemon.Stderr().find("isolation guarded, sandbox seccomp"), std::string::npos)
      << daemon.Stderr();
  // The supervisor itself is not filtered: it starts processes.
  EXPECT_EQ(StatusField("/proc/self/status", "Seccomp"), "0");
}

struct RefusedCall {
  std::string call;
  std::string attempt;  // as the worker words it
};

class RefusedAtStartTest : public ::testing::TestWithParam<RefusedCall> {};

// Calls a library might probe fail with EPERM, and the worker, which here insists on making one,
// fails its start: the supervisor's error names the call and the reason.
TEST_P(RefusedAtStartTest, TheSupervisorReportsTheRefusal) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  DaemonConfig config{bundle, 1, {"--worker-sandbox", "seccomp"}};
  config.worker_binary = MisbehavingWorker(dir, GetParam().call);
  DaemonProcess daemon(config);
  EXPECT_FALSE(daemon.Start());
  const std::string expected =
      "ssrd: error: --test-misbehave: " + GetParam().attempt + " failed: Operation not permitted";
  EXPECT_NE(daemon.Stderr().find(expected), std::string::npos) << daemon.Stderr();
}

INSTANTIATE_TEST_SUITE_P(
    Calls, RefusedAtStartTest,
    ::testing::Values(RefusedCall{"open", "open(\"/etc/hostname\")"},
                      RefusedCall{"stat", "stat(\"/etc/passwd\")"},
                      RefusedCall{"socket", "socket(AF_INET, SOCK_STREAM)"},
                      RefusedCall{"connect", "connect(127.0.0.1:9)"}),
    [](const auto& info) { return info.param.call; });

// The control: without the filter the same worker opens the file, so the test above can fail.
TEST(SandboxTest, WithoutTheFilterTheMisbehavingWorkerOpensTheFile) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  DaemonConfig config{bundle, 1, {"--worker-sandbox", "off"}};
  config.worker_binary = MisbehavingWorker(dir, "open");
  DaemonProcess daemon(config);
  EXPECT_FALSE(daemon.Start());
  EXPECT_NE(daemon.Stderr().find("--test-misbehave: open(\"/etc/hostname\") succeeded: the sandbox "
                                 "let it through"),
            std::string::npos)
      << daemon.Stderr();
}

// A probing call made during a render fails that render only; the worker keeps serving.
TEST(SandboxTest, ARefusedOpenDuringARenderFailsThatRenderOnly) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  DaemonConfig config{bundle, 1, {"--worker-sandbox", "seccomp"}};
  config.worker_binary = MisbehavingWorker(dir, "open@render");
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start());
  auto client = Connect(daemon);
  ASSERT_TRUE(client);
  const std::vector<pid_t> before = WorkerPids(bundle);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(RenderOrError(*client, "Hello", "{}"),
              "error: internal: --test-misbehave: open(\"/etc/hostname\") failed: Operation not "
              "permitted");
  }
  EXPECT_EQ(WorkerPids(bundle), before);
}

// The call the worker makes, and the system call the kernel sees (glibc's fork() is a clone()
// without CLONE_THREAD).
struct TrappedCall {
  std::string call;
  std::string syscall;
};

class TrappedDuringRenderTest : public ::testing::TestWithParam<TrappedCall> {};

// What no renderer does kills the worker at once; the supervisor names the call, does not run the
// render again on another worker, and refills the slot.
TEST_P(TrappedDuringRenderTest, TheWorkerDiesAndTheSupervisorNamesTheCall) {
  const std::string call = GetParam().syscall;
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  DaemonConfig config{bundle, 2, {"--worker-sandbox", "seccomp", "--log-level", "info"}};
  config.worker_binary = MisbehavingWorker(dir, GetParam().call + "@render");
  DaemonProcess daemon(config);
  ASSERT_TRUE(daemon.Start());
  auto client = Connect(daemon);
  ASSERT_TRUE(client);
  auto failed = client->Render("Hello", "{}");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ipc::ErrorCode::kWorkerCrashed);
  EXPECT_NE(failed.error().message.find("(its sandbox refused the system call " + call +
                                        ") while rendering Hello"),
            std::string::npos)
      << failed.error().message;
  EXPECT_EQ(failed.error().message.find("after one retry"), std::string::npos);
  auto stats = client->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value()["retries"], 0);
  // The slot is refilled: two workers again.
  EXPECT_TRUE(WaitFor([&] { return WorkerPids(bundle).size() == 2; }, 20s));
  daemon.Stop();
  EXPECT_NE(daemon.Stderr().find("critical: the sandbox refused the system call " + call +
                                 ", which a rendering worker never makes"),
            std::string::npos)
      << daemon.Stderr();
}

INSTANTIATE_TEST_SUITE_P(Calls, TrappedDuringRenderTest,
                         ::testing::Values(TrappedCall{"execve", "execve"},
                                           TrappedCall{"fork", "clone"},
                                           TrappedCall{"ptrace", "ptrace"},
                                           TrappedCall{"kill", "kill"}),
                         [](const auto& info) { return info.param.call; });

// ICU probes the system lazily (the host's zone, time-zone data overrides): under the filter the
// answers must not change, for zones and locales the warm-up never named, with and without a
// snapshot, with the host zone from /etc/localtime or from TZ.
TEST(SandboxTest, IntlAnswersAsWithoutTheFilter) {
  const std::string props = R"({"zones":["UTC","Europe/Berlin","America/Sao_Paulo",)"
                            R"("Asia/Kathmandu","Pacific/Chatham","Africa/Casablanca",)"
                            R"("America/St_Johns","Australia/Lord_Howe","Asia/Tokyo"],)"
                            R"("locales":["en-US","de-CH","ko-KR","he-IL","fa-IR","sv-SE",)"
                            R"("ja-JP-u-ca-japanese","th-TH","ar-EG"]})";
  for (const std::string tz : {"", "America/Denver"}) {
    std::map<std::string, std::string> pages;
    for (const std::string mode : {"off", "seccomp", "seccomp --no-snapshot"}) {
      TempDir dir;
      const std::string bundle = CopySandboxBundle(dir);
      DaemonConfig config{bundle, 1, {"--worker-sandbox", mode.substr(0, mode.find(' ')),
                                      "--snapshot-dir", dir.File("cache")}};
      if (mode.find("--no-snapshot") != std::string::npos) config.extra_args.push_back("--no-snapshot");
      if (!tz.empty()) config.env.push_back({"TZ", tz});
      DaemonProcess daemon(config);
      ASSERT_TRUE(daemon.Start());
      auto client = Connect(daemon);
      ASSERT_TRUE(client);
      pages[mode] = RenderOrError(*client, "Intl", props);
      // A second render: whatever ICU cached must still answer the same.
      EXPECT_EQ(RenderOrError(*client, "Intl", props), pages[mode]);
    }
    SCOPED_TRACE("TZ=" + tz);
    EXPECT_EQ(pages["seccomp"], pages["off"]);
    EXPECT_EQ(pages["seccomp --no-snapshot"], pages["off"]);
    EXPECT_NE(pages["off"].find("Pacific/Chatham ko-KR: "), std::string::npos) << pages["off"];
    EXPECT_EQ(pages["off"].find("error"), std::string::npos) << pages["off"];
    if (!tz.empty()) {
      EXPECT_NE(pages["seccomp"].find("default zone: " + tz), std::string::npos) << pages["seccomp"];
    }
  }
}

// A chunk imported only at render time and a source map read only at the first error come from
// the files preloaded before the filter; the rest of the platform works as without it.
TEST(SandboxTest, ImportsSourceMapsAndThePlatformWorkUnderTheFilter) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  std::map<std::string, std::vector<std::string>> answers;
  for (const std::string mode : {"off", "seccomp"}) {
    // Busy polling too: its poll() and sched_yield() are allowed calls.
    DaemonProcess daemon(DaemonConfig{
        bundle, 1, {"--worker-sandbox", mode, "--no-snapshot", "--busy-poll-us", "200"}});
    ASSERT_TRUE(daemon.Start());
    auto client = Connect(daemon);
    ASSERT_TRUE(client);
    answers[mode] = {RenderOrError(*client, "Import", R"({"name":"late.mjs"})"),
                     RenderOrError(*client, "Import", R"({"name":"missing.mjs"})"),
                     RenderOrError(*client, "Import", R"({"name":"../../etc/passwd"})"),
                     RenderOrError(*client, "Platform", "{}")};
  }
  EXPECT_EQ(answers["seccomp"], answers["off"]);
  EXPECT_EQ(answers["seccomp"][0], "late chunk");
  EXPECT_NE(answers["seccomp"][1].find("No such file or directory"), std::string::npos)
      << answers["seccomp"][1];
  EXPECT_NE(answers["seccomp"][2].find("outside the bundle's directory"), std::string::npos)
      << answers["seccomp"][2];
  EXPECT_EQ(answers["seccomp"][3],
            R"({"wasm":5,"random":52,"objects":300000,"buffer":67108864,"clone":2,)"
            R"("timer":"fired","url":"https://example.com/b?c=1#d","body":"hello body",)"
            R"("text":"été","fetch":"TypeError"})");
}

TEST(SandboxTest, SourceMappedErrorsAndLazyChunksUnderTheFilter) {
  for (const bool snapshot : {true, false}) {
    SCOPED_TRACE(snapshot ? "from a snapshot" : "without a snapshot");
    TempDir dir;
    fs::copy(SSRD_TEST_MAPPED_BUNDLES, dir.File("mapped"), fs::copy_options::recursive);
    const std::string dist = dir.File("mapped/dist/split");
    std::string chunk;
    for (const auto& entry : fs::directory_iterator(dist + "/chunks")) {
      if (entry.path().extension() == ".mjs") chunk = entry.path().string();
    }
    ASSERT_FALSE(chunk.empty());
    std::vector<std::string> args = {"--worker-sandbox", "seccomp"};
    if (snapshot) {
      args.insert(args.end(), {"--snapshot-dir", dir.File("cache")});
    } else {
      args.push_back("--no-snapshot");
    }
    DaemonProcess daemon(DaemonConfig{dist + "/entry.mjs", 1, args});
    ASSERT_TRUE(daemon.Start());
    auto client = Connect(daemon);
    ASSERT_TRUE(client);
    auto failed = client->Render("Lazy", "{}");
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ipc::ErrorCode::kJsError);
    const std::string frame = "at renderLazy (" + dir.File("mapped") + "/src/lazy/panel.js:3:11) [" +
                              chunk + ":4:11]";
    EXPECT_NE(failed.error().stack.find(frame), std::string::npos) << failed.error().stack;
    auto page = client->Render("Lazy", R"({"items":["a","b"]})");
    ASSERT_TRUE(page.ok()) << page.error().ToString();
    EXPECT_EQ(page->html, "<ul><li>a</li><li>b</li></ul>");
    daemon.Stop();
    EXPECT_EQ(daemon.Stderr().find("source map"), std::string::npos) << daemon.Stderr();
  }
}

// Needs root (to switch) and the 'nobody' user Debian always has. With and without the filter:
// either way the bundle's files were read before the switch, so a private bundle still imports.
TEST(SandboxTest, WorkerUserSwitchesEveryIdOfTheWorkers) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  for (const std::string mode : {"seccomp", "off"}) {
    SCOPED_TRACE("--worker-sandbox " + mode);
    TempDir dir;
    const std::string bundle = CopySandboxBundle(dir);
    // The bundle stays readable by root only: the worker reads it before it switches.
    chmod(dir.path().c_str(), 0700);
    DaemonProcess daemon(DaemonConfig{bundle, 1,
                                      {"--worker-user", "nobody", "--worker-sandbox", mode,
                                       "--snapshot-dir", dir.File("cache")}});
    ASSERT_TRUE(daemon.Start());
    auto client = Connect(daemon);
    ASSERT_TRUE(client);
    EXPECT_EQ(RenderOrError(*client, "Import", R"({"name":"late.mjs"})"), "late chunk");
    const std::vector<pid_t> workers = WorkerPids(bundle);
    ASSERT_EQ(workers.size(), 1u);
    const std::string status = "/proc/" + std::to_string(workers[0]) + "/status";
    EXPECT_EQ(StatusField(status, "Uid"), "65534\t65534\t65534\t65534");
    EXPECT_EQ(StatusField(status, "Gid"), "65534\t65534\t65534\t65534");
    EXPECT_EQ(StatusField(status, "Groups"), "65534");
    EXPECT_EQ(StatusField(status, "Seccomp"), mode == "seccomp" ? "2" : "0");
    // It still goes with its supervisor (its channel's end of file would do it too, so this does
    // not tell whether PR_SET_PDEATHSIG, cleared by the switch, was armed again).
    daemon.Kill();
    EXPECT_TRUE(WaitFor([&] { return WorkerPids(bundle).empty(); }, 10s));
  }
}

TEST(SandboxTest, AnUnknownWorkerUserStopsTheStart) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  RunResult run = RunProgram(SsrdBinary(), {"--bundle", bundle, "--socket", dir.File("s.sock"),
                                            "--worker-user", "no-such-user-ssrd"},
                             30s);
  EXPECT_FALSE(run.timed_out);
  EXPECT_TRUE(run.status.exited && run.status.exit_code != 0) << run.status.ToString();
  EXPECT_NE(run.err.find("--worker-user: no such user \"no-such-user-ssrd\""), std::string::npos)
      << run.err;
}

// Like every option: from the command line, the config file or SSRD_*, and checked.
TEST(SandboxTest, TheOptionsComeFromTheFileAndTheEnvironment) {
  TempDir dir;
  const std::string bundle = CopySandboxBundle(dir);
  WriteFile(dir.File("ssrd.toml"), "worker-user = \"nobody\"\nworker-group = \"nogroup\"\n");
  RunResult run = RunProgram(SsrdBinary(), {"--bundle", bundle, "--config", dir.File("ssrd.toml"),
                                            "--print-config"},
                             30s, {{"SSRD_WORKER_SANDBOX", "off"}});
  ASSERT_FALSE(run.timed_out);
  EXPECT_NE(run.out.find("\nworker-sandbox = \"off\"  # environment SSRD_WORKER_SANDBOX\n"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("\nworker-user = \"nobody\"  # " + dir.File("ssrd.toml") + ":1\n"),
            std::string::npos)
      << run.out;
  RunResult bad = RunProgram(SsrdBinary(), {"--bundle", bundle, "--print-config"}, 30s,
                             {{"SSRD_WORKER_SANDBOX", "strict"}});
  EXPECT_TRUE(bad.status.exited && bad.status.exit_code == 1) << bad.status.ToString();
  EXPECT_NE(bad.err.find("SSRD_WORKER_SANDBOX=strict"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace ssrd::testing
