// The daemon's life under load: killed or stopped by signals, workers recycled, the bundle
// reloaded. Every test drives a real ssrd with real workers and checks that no request is lost
// and no process is left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/client.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Tallies what a load of client threads got back.
struct Tally {
  std::mutex mu;
  std::map<std::string, int> by_outcome;  // "html", or an error code name
  std::vector<std::string> problems;      // anything that is not an expected outcome
  void Add(const std::string& outcome) {
    std::lock_guard<std::mutex> lock(mu);
    ++by_outcome[outcome];
  }
  void Problem(std::string what) {
    std::lock_guard<std::mutex> lock(mu);
    problems.push_back(std::move(what));
  }
};

TEST(DaemonLifecycleTest, WorkersDieWithinASecondOfASigkilledSupervisorUnderLoad) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 2, {}});
  ASSERT_TRUE(daemon.Start());
  ASSERT_EQ(WorkerPids(bundle).size(), 2u);
  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&] {
      auto client = client::Client::Connect(daemon.socket_path());
      if (!client) return;
      for (int i = 0; i < 10000 && !stop; ++i) {
        if (!(*client)->Render("Spin", R"({"ms":5})")) return;  // the daemon is gone
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  daemon.Kill();
  Clock::time_point killed = Clock::now();
  bool gone = WaitFor([&] { return WorkerPids(bundle).empty(); }, std::chrono::seconds(5));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
  stop = true;
  for (auto& t : load) t.join();
  ASSERT_TRUE(gone) << "workers outlived their supervisor";
  EXPECT_LT(took.count(), 1000) << "workers took " << took.count() << " ms to notice";
}

// SIGTERM in the middle of 1,000 requests: each one gets its HTML or shutting_down, none is lost
// or hangs, the socket file goes away, the daemon exits 0 and leaves no worker.
TEST(DaemonLifecycleTest, SigtermDrainsALoadOfAThousandRequests) {
  constexpr int kThreads = 8;
  constexpr int kTotal = 1000;
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 2, {}});
  ASSERT_TRUE(daemon.Start());

  std::atomic<int> issued{0}, answered{0};
  Tally tally;
  std::vector<std::thread> load;
  for (int t = 0; t < kThreads; ++t) {
    load.emplace_back([&, t] {
      auto client = client::Client::Connect(daemon.socket_path());
      if (!client) {
        tally.Problem(client.error().ToString());
        return;
      }
      for (int i = issued++; i < kTotal; i = issued++) {
        std::string props = R"({"n":)" + std::to_string(i) + "}";
        auto r = (*client)->Render(i % 2 ? "Echo" : "Spin", i % 2 ? props : R"({"ms":2})");
        ++answered;
        if (r) {
          std::string want = i % 2 ? "<p>Echo:" + props + "</p>" : "<p>Spin:2</p>";
          if (r->html == want) {
            tally.Add("html");
          } else {
            tally.Problem("wrong html for " + std::to_string(i) + ": " + r->html);
          }
        } else if (r.error().code == ipc::ErrorCode::kShuttingDown) {
          tally.Add("shutting_down");
          return;  // this thread's connection is draining: a new call would find no daemon
        } else {
          tally.Problem("request " + std::to_string(i) + ": " + r.error().ToString());
          return;
        }
      }
      (void)t;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return answered >= 300; }, std::chrono::seconds(60)));
  ASSERT_EQ(kill(daemon.pid(), SIGTERM), 0);
  ExitStatus status = daemon.WaitForExit(std::chrono::seconds(30));
  for (auto& t : load) t.join();

  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.ToString();
  EXPECT_TRUE(tally.problems.empty())
      << tally.problems.size() << " problems, first: " << tally.problems.front();
  EXPECT_EQ(tally.by_outcome["html"] + tally.by_outcome["shutting_down"], answered.load());
  EXPECT_GE(tally.by_outcome["html"], 300);
  EXPECT_GE(tally.by_outcome["shutting_down"], 1) << "the load was still running at SIGTERM";
  struct stat st;
  EXPECT_NE(lstat(daemon.socket_path().c_str(), &st), 0) << "the socket file was left behind";
  EXPECT_TRUE(WorkerPids(bundle).empty());
}

// Recycling after N requests: the replacement starts beside the old worker, so the number of
// workers serving never drops while the load runs, and no request fails.
TEST(DaemonLifecycleTest, RecyclingKeepsCapacityAndLosesNothing) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 2, {"--recycle-after", "40"}});
  ASSERT_TRUE(daemon.Start());
  auto first_pids = WorkerPids(bundle);

  std::atomic<bool> stop{false};
  Tally tally;
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      auto client = client::Client::Connect(daemon.socket_path());
      if (!client) {
        tally.Problem(client.error().ToString());
        return;
      }
      for (int i = 0; i < 3000 && !stop; ++i) {
        std::string props = R"({"t":)" + std::to_string(t) + R"(,"i":)" + std::to_string(i) + "}";
        auto r = (*client)->Render("Echo", props);
        if (r && r->html == "<p>Echo:" + props + "</p>") {
          tally.Add("html");
        } else {
          tally.Problem(r ? "wrong html " + r->html : r.error().ToString());
        }
      }
    });
  }
  // Sample the serving capacity while workers are being replaced.
  std::int64_t lowest = 2;
  std::int64_t recycled = 0;
  auto until = Clock::now() + std::chrono::seconds(3);
  while (Clock::now() < until) {
    ipc::Reply stats = Stats(daemon.socket_path());
    lowest = std::min(lowest, stats.stats["workers"]);
    recycled = stats.stats["recycled"];
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_TRUE(tally.problems.empty()) << tally.problems.front();
  EXPECT_GE(recycled, 4) << "workers are replaced every 40 requests";
  EXPECT_EQ(lowest, 2) << "capacity dropped while a worker was being replaced";
  auto last_pids = WorkerPids(bundle);
  EXPECT_TRUE(WaitFor([&] { return WorkerPids(bundle).size() == 2; }, std::chrono::seconds(10)))
      << "retired workers exit";
  for (pid_t pid : first_pids) {
    EXPECT_EQ(std::count(last_pids.begin(), last_pids.end(), pid), 0)
        << "worker " << pid << " was never recycled";
  }
}

// The example of a deployable bundle: every render repeats its version many times, so a response
// mixing two bundles would show two versions.
std::string VersionedBundle(const std::string& version) {
  return "const v = \"" + version + "\";\n"
         "export function render() { return \"<p>\" + (v + \" \").repeat(500) + \"</p>\"; }\n";
}

// The version every marker of `html` names, or "" when they disagree (or none is there).
std::string VersionOf(const std::string& html) {
  std::string version;
  std::size_t pos = 3;
  int markers = 0;
  while (pos < html.size() && html.compare(pos, 4, "</p>") != 0) {
    std::size_t space = html.find(' ', pos);
    if (space == std::string::npos) return "";
    std::string marker = html.substr(pos, space - pos);
    if (!version.empty() && marker != version) return "";
    version = marker;
    ++markers;
    pos = space + 1;
  }
  return markers == 500 ? version : "";
}

struct ReloadLoad {
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<std::pair<Clock::time_point, std::string>> seen;  // request start, version
  std::vector<std::string> problems;
  std::vector<std::thread> threads;

  void Start(const std::string& socket_path, int count) {
    for (int t = 0; t < count; ++t) {
      threads.emplace_back([this, socket_path] {
        auto client = client::Client::Connect(socket_path);
        if (!client) {
          std::lock_guard<std::mutex> lock(mu);
          problems.push_back(client.error().ToString());
          return;
        }
        for (int i = 0; i < 20000 && !stop; ++i) {
          Clock::time_point sent = Clock::now();
          auto r = (*client)->Render("Page", "{}");
          std::lock_guard<std::mutex> lock(mu);
          if (!r) {
            problems.push_back(r.error().ToString());
          } else if (std::string v = VersionOf(r->html); v.empty()) {
            problems.push_back("mixed or broken output: " + r->html.substr(0, 80));
          } else {
            seen.emplace_back(sent, v);
          }
        }
      });
    }
  }
  void Stop() {
    stop = true;
    for (auto& t : threads) t.join();
  }
  // Requests sent more than `after` past `change` that still answered `old_version`.
  int StaleAfter(Clock::time_point change, std::chrono::milliseconds after,
                 const std::string& old_version) {
    int stale = 0;
    for (auto& [sent, v] : seen) {
      if (sent > change + after && v == old_version) ++stale;
    }
    return stale;
  }
  int Count(const std::string& version) {
    int n = 0;
    for (auto& s : seen) n += s.second == version;
    return n;
  }
};

// Deploys by rename (write a new file, rename it over the bundle) and then by writing in place:
// under continuous load, every response is entirely one version, none fails, and every request
// sent once the daemon reports the reload (stats `reloads`, counted when the new workers take
// over) gets the new version. How long a reload takes is not this test's business: under ctest's
// parallel tests it varied from 0.3 s to over 2 s.
TEST(DaemonLifecycleTest, HotReloadByRenameAndInPlaceUnderLoad) {
  TempDir dir;
  std::string bundle = dir.File("app.mjs");
  WriteFile(bundle, VersionedBundle("v1"));
  DaemonProcess daemon(DaemonConfig{bundle, 2, {}});
  ASSERT_TRUE(daemon.Start());
  ReloadLoad load;
  load.Start(daemon.socket_path(), 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto reloads_reach = [&](int n) {
    return WaitFor([&] { return Stats(daemon.socket_path()).stats["reloads"] == n; },
                   std::chrono::seconds(30));
  };

  std::string staged = dir.File(".app.mjs.tmp");
  WriteFile(staged, VersionedBundle("v2"));
  ASSERT_EQ(std::rename(staged.c_str(), bundle.c_str()), 0);
  ASSERT_TRUE(reloads_reach(1)) << daemon.Stderr();
  Clock::time_point v2_serving = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));

  WriteFile(bundle, VersionedBundle("v3"));  // in place: truncate and write
  ASSERT_TRUE(reloads_reach(2)) << daemon.Stderr();
  Clock::time_point v3_serving = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  load.Stop();

  EXPECT_TRUE(load.problems.empty())
      << load.problems.size() << " problems, first: " << load.problems.front();
  EXPECT_GT(load.Count("v1"), 0);
  EXPECT_GT(load.Count("v2"), 0);
  EXPECT_GT(load.Count("v3"), 0);
  EXPECT_EQ(load.StaleAfter(v2_serving, std::chrono::milliseconds(0), "v1"), 0) << daemon.Stderr();
  EXPECT_EQ(load.StaleAfter(v3_serving, std::chrono::milliseconds(0), "v2"), 0) << daemon.Stderr();
  ipc::Reply stats = Stats(daemon.socket_path());
  EXPECT_EQ(stats.stats["reloads"], 2);
  EXPECT_EQ(stats.stats["errors"], 0);
  EXPECT_TRUE(WaitFor([&] { return WorkerPids(bundle).size() == 2; }, std::chrono::seconds(10)))
      << "the old generation's workers exit";
}

// Writes a bundle that does not load over `bundle`, sends SIGHUP and waits for the rejected reload.
void DeployABrokenBundleAndSighup(DaemonProcess& daemon, const std::string& bundle) {
  WriteFile(bundle, "export function render( {\n");
  ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return Stats(daemon.socket_path()).stats["reload_failures"] == 1; },
                      std::chrono::seconds(10)))
      << daemon.Stderr();
}

// A new bundle that does not load leaves the old workers serving, and the log says why; SIGHUP
// after fixing it reloads.
TEST(DaemonLifecycleTest, ABrokenBundleKeepsTheOldOneServingAndSighupReloads) {
  TempDir dir;
  std::string bundle = dir.File("app.mjs");
  WriteFile(bundle, VersionedBundle("v1"));
  DaemonProcess daemon(DaemonConfig{bundle, 2, {"--no-watch"}});
  ASSERT_TRUE(daemon.Start());
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);
  auto page = [&](std::uint64_t id) {
    auto r = Call(*conn, RenderRequest(id, "Page", "{}"));
    return r && r->ok() ? VersionOf(r->html) : "failed";
  };
  EXPECT_EQ(page(1), "v1");

  ASSERT_NO_FATAL_FAILURE(DeployABrokenBundleAndSighup(daemon, bundle));
  EXPECT_EQ(page(2), "v1");
  EXPECT_NE(daemon.Stderr().find("reload to generation 2 failed: SyntaxError"), std::string::npos)
      << daemon.Stderr();
  EXPECT_NE(daemon.Stderr().find("the previous bundle keeps serving"), std::string::npos);

  WriteFile(bundle, VersionedBundle("v2"));
  ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return Stats(daemon.socket_path()).stats["reloads"] == 1; },
                      std::chrono::seconds(10)))
      << daemon.Stderr();
  EXPECT_EQ(page(3), "v2");
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

// A broken bundle on disk (its reload rejected) must never reach a respawn: a worker that dies
// is replaced from the snapshot of the generation that loaded, however often it dies.
TEST(DaemonLifecycleTest, RespawnsAfterABrokenDeployRunTheCodeThatLoaded) {
  TempDir dir;
  std::string bundle = dir.File("app.mjs");
  WriteFile(bundle, VersionedBundle("v1"));
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--no-watch"}});
  ASSERT_TRUE(daemon.Start());
  auto page = [&](std::uint64_t id) {
    auto conn = RawConnection::Connect(daemon.socket_path());
    if (!conn) return std::string("no connection");
    auto r = Call(*conn, RenderRequest(id, "Page", "{}"));
    return r && r->ok() ? VersionOf(r->html) : r ? r->error->ToString() : "no reply";
  };
  EXPECT_EQ(page(1), "v1");
  ASSERT_NO_FATAL_FAILURE(DeployABrokenBundleAndSighup(daemon, bundle));
  for (int death = 1; death <= 3; ++death) {
    SCOPED_TRACE("death " + std::to_string(death));
    auto pids = WorkerPids(bundle);
    ASSERT_EQ(pids.size(), 1u);
    ASSERT_EQ(kill(pids[0], SIGKILL), 0);
    ASSERT_TRUE(WaitFor([&] { return Stats(daemon.socket_path()).stats["crashes"] == death; },
                        std::chrono::seconds(10)));
    EXPECT_EQ(page(10 + death), "v1") << daemon.Stderr();
  }
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace ssrd::testing
