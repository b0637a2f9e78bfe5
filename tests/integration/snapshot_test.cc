// Startup snapshots and the context per render, end to end: the daemon builds the bundle's
// snapshot before its workers start and they start from it; `ssrd snapshot` builds one ahead of
// time; a bundle V8 cannot snapshot is served without one; and state one request leaves behind
// never reaches the next unless --reuse-context is given.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "snapshots/snapshot_file.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

std::string SnapshotBundle(const std::string& name) {
  return std::string(SSRD_TEST_SNAPSHOT_BUNDLES) + "/" + name;
}

std::vector<std::string> SnapFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".snap") files.push_back(entry.path().string());
  }
  return files;
}

std::string Html(client::Client& client, const std::string& component, const std::string& props) {
  ipc::Result<client::RenderResult> out = client.Render(component, props);
  if (!out.ok()) return "error: " + out.error().ToString();
  return out.value().html;
}

std::unique_ptr<client::Client> MustConnect(const DaemonProcess& daemon) {
  auto client = client::Client::Connect(daemon.socket_path());
  EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().ToString());
  return client.ok() ? std::move(client.value()) : nullptr;
}

TEST(SnapshotTest, TheDaemonBuildsTheSnapshotAndItsWorkersStartFromIt) {
  TempDir cache;
  DaemonProcess daemon(DaemonConfig{
      SnapshotBundle("leaky.mjs"), 1,
      {"--snapshot-dir", cache.path(), "--log-level", "info", "--isolation", "fresh"}});
  ASSERT_TRUE(daemon.Start());
  std::vector<std::string> files = SnapFiles(cache.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_NE(daemon.Stderr().find("startup snapshot ready in"), std::string::npos)
      << daemon.Stderr();
  EXPECT_NE(daemon.Stderr().find("leaky.mjs (from its snapshot), isolation fresh"),
            std::string::npos)
      << daemon.Stderr();

  auto client = MustConnect(daemon);
  ASSERT_NE(client, nullptr);
  // One worker, so both requests go to the same isolate: only the fresh context keeps them apart.
  EXPECT_EQ(Html(*client, "Set", R"({"value":"card-4242"})"), "set card-4242");
  EXPECT_EQ(Html(*client, "Get", "{}"), "global=undefined cache=");
  EXPECT_EQ(Html(*client, "Later", R"({"value":1})"), "later 1");
}

// The default: one warm context, replaced when a render leaves a global behind (the log names it
// once, the stats count each reset). The replacement comes from the snapshot, so the module cache
// the same render filled goes with it (module state alone is not guarded: isolation_test.cc).
TEST(SnapshotTest, ByDefaultAGlobalLeftBehindResetsTheContext) {
  TempDir cache;
  DaemonProcess daemon(DaemonConfig{SnapshotBundle("leaky.mjs"), 1,
                                    {"--snapshot-dir", cache.path(), "--log-level", "info"}});
  ASSERT_TRUE(daemon.Start());
  auto client = MustConnect(daemon);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Html(*client, "Set", R"({"value":"card-4242"})"), "set card-4242");
  EXPECT_EQ(Html(*client, "Get", "{}"), "global=undefined cache=");
  EXPECT_EQ(Html(*client, "Set", R"({"value":"card-77"})"), "set card-77");
  EXPECT_EQ(Html(*client, "Get", "{}"), "global=undefined cache=");
  auto stats = client->Stats();
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ((*stats)["context_resets"], 2);
  const std::string log = daemon.Stderr();
  const std::string warning = "a render left globalThis.leaked (added) behind";
  std::size_t first = log.find(warning);
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find(warning, first + 1), std::string::npos) << "said once per name";
}

TEST(SnapshotTest, WithReuseContextOneRequestSeesWhatTheLastLeft) {
  TempDir cache;
  DaemonProcess daemon(DaemonConfig{SnapshotBundle("leaky.mjs"), 1,
                                    {"--snapshot-dir", cache.path(), "--reuse-context"}});
  ASSERT_TRUE(daemon.Start());
  auto client = MustConnect(daemon);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Html(*client, "Set", R"({"value":"card-4242"})"), "set card-4242");
  EXPECT_EQ(Html(*client, "Get", "{}"), "global=card-4242 cache=card-4242");
}

TEST(SnapshotTest, ABundleV8CannotSnapshotIsServedWithoutOne) {
  TempDir cache;
  DaemonProcess daemon(DaemonConfig{SnapshotBundle("intl_at_load.mjs"), 1,
                                    {"--snapshot-dir", cache.path()}});
  ASSERT_TRUE(daemon.Start());
  EXPECT_TRUE(SnapFiles(cache.path()).empty());
  const std::string log = daemon.Stdout() + daemon.Stderr();
  // V8 10.2 as Debian builds it traps (SIGTRAP); other builds abort.
  EXPECT_NE(log.find("no startup snapshot (the snapshot builder was killed by signal "),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("V8 cannot serialise something the bundle made while loading"),
            std::string::npos)
      << log;
  auto client = MustConnect(daemon);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Html(*client, "Any", R"({"name":"Ada"})"), "<p>hello, Ada</p>");
  EXPECT_EQ(Html(*client, "Any", R"({"name":"Bob"})"), "<p>hello, Bob</p>");
}

// A cached file with a good header and checksum but a blob V8 would refuse: the workers say so and
// load the bundle instead of failing to start.
TEST(SnapshotTest, ASnapshotTheEngineRefusesFallsBackToLoadingTheBundle) {
  TempDir cache;
  const std::string bundle = SnapshotBundle("leaky.mjs");
  const std::string path = snapshots::SnapshotPath(cache.path(), ReadFileOrEmpty(bundle),
                                                   "production", "guarded",
                                                   snapshots::kBuildV8Version);
  ASSERT_TRUE(snapshots::WriteSnapshotFile(path, std::string(4096, 'x')).ok());
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--snapshot-dir", cache.path()}});
  ASSERT_TRUE(daemon.Start());
  EXPECT_NE(daemon.Stderr().find("cannot start from the snapshot (bundle_error: the startup "
                                 "snapshot is corrupt); loading the bundle instead"),
            std::string::npos)
      << daemon.Stderr();
  auto client = MustConnect(daemon);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(Html(*client, "Set", R"({"value":"v"})"), "set v");
  EXPECT_EQ(Html(*client, "Get", "{}"), "global=undefined cache=");
}

// Issue 12.6: a snapshot is made in one environment and must not serve another. Values computed
// while the bundle loads are frozen into it: under TZ=Asia/Tokyo a worker must not start from the
// snapshot made under TZ=UTC (its load-time values would say UTC while its render-time values
// say JST); the same environment finds the same file again.
TEST(SnapshotTest, ASnapshotMadeInAnotherTimeZoneIsNotReused) {
  TempDir cache;
  struct Run {
    std::string zone;
    std::map<std::string, std::filesystem::file_time_type> files;  // with when each was written
  };
  auto serve = [&](const std::string& tz) {
    Run run;
    DaemonProcess daemon(DaemonConfig{SnapshotBundle("load_time.mjs"), 1,
                                      {"--snapshot-dir", cache.path(), "--log-level", "info"},
                                      {{"TZ", tz}}});
    EXPECT_TRUE(daemon.Start());
    if (auto client = MustConnect(daemon)) run.zone = Html(*client, "Zone", "{}");
    daemon.Stop();
    EXPECT_NE(daemon.Stderr().find("load_time.mjs (from its snapshot)"), std::string::npos)
        << daemon.Stderr();
    for (const std::string& file : SnapFiles(cache.path())) {
      run.files[file] = std::filesystem::last_write_time(file);
    }
    return run;
  };
  Run utc = serve("UTC");
  EXPECT_EQ(utc.zone, "load=0 Coordinated Universal Time render=0 Coordinated Universal Time");
  ASSERT_EQ(utc.files.size(), 1u);

  Run tokyo = serve("Asia/Tokyo");
  EXPECT_EQ(tokyo.zone, "load=-540 Japan Standard Time render=-540 Japan Standard Time")
      << "the snapshot made under UTC was reused";
  ASSERT_EQ(tokyo.files.size(), 2u) << "a second snapshot, for Tokyo";

  Run again = serve("Asia/Tokyo");
  EXPECT_EQ(again.zone, tokyo.zone);
  EXPECT_EQ(again.files, tokyo.files) << "the Tokyo snapshot was found, not built again";
  EXPECT_EQ(again.files.count(utc.files.begin()->first), 1u);
}

// V8 makes Math.random's state part of a context, and a snapshot holds a context: workers started
// from one snapshot must still draw different numbers at render time. What the bundle drew while
// loading is frozen like any other load-time value (docs/operations.md).
TEST(SnapshotTest, WorkersFromOneSnapshotDrawDifferentRandomNumbers) {
  TempDir cache;
  auto draw = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"--snapshot-dir", cache.path(), "--log-level", "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    DaemonProcess daemon(DaemonConfig{SnapshotBundle("load_time.mjs"), 1, args});
    EXPECT_TRUE(daemon.Start());
    std::vector<std::string> draws;
    if (auto client = MustConnect(daemon)) {
      draws.push_back(Html(*client, "Random", "{}"));
      draws.push_back(Html(*client, "Random", "{}"));
    }
    daemon.Stop();
    EXPECT_NE(daemon.Stderr().find("load_time.mjs (from its snapshot)"), std::string::npos)
        << daemon.Stderr();
    return draws;
  };
  auto render_part = [](const std::string& draw) { return draw.substr(draw.find("\"render\"")); };
  auto loaded_part = [](const std::string& draw) { return draw.substr(0, draw.find("\"render\"")); };
  // Two worker processes, one after the other, from the same file; then fresh contexts in one.
  std::vector<std::string> first = draw({});
  std::vector<std::string> second = draw({});
  std::vector<std::string> fresh = draw({"--isolation", "fresh"});
  // One snapshot for the guarded workers, one for fresh ones (without the guard's record).
  ASSERT_EQ(SnapFiles(cache.path()).size(), 2u);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 2u);
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_EQ(first[0].rfind("{\"loaded\":0.", 0), 0u) << first[0];
  EXPECT_NE(render_part(first[0]), render_part(second[0])) << "two workers drew the same numbers";
  EXPECT_NE(render_part(first[0]), render_part(first[1]));
  EXPECT_NE(render_part(fresh[0]), render_part(fresh[1])) << "two fresh contexts drew the same";
  EXPECT_NE(render_part(fresh[0]), render_part(first[0]));
  EXPECT_EQ(loaded_part(first[0]), loaded_part(second[0])) << "load-time values are frozen";
  EXPECT_EQ(loaded_part(fresh[0]), loaded_part(fresh[1])) << "load-time values are frozen";
}

TEST(SnapshotTest, SsrdSnapshotBuildsAheadOfTimeAndThenFindsItCached) {
  TempDir cache;
  const std::vector<std::string> args = {"snapshot", SnapshotBundle("leaky.mjs"), "--snapshot-dir",
                                         cache.path(), "--worker-executable", WorkerBinary()};
  RunResult first = RunProgram(SsrdBinary(), args, std::chrono::seconds(60));
  ASSERT_FALSE(first.timed_out);
  EXPECT_TRUE(first.status.exited && first.status.exit_code == 0) << first.status.ToString()
                                                                  << first.err;
  std::vector<std::string> files = SnapFiles(cache.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(first.out, "snapshot: " + files[0] + "\n");
  auto built_at = std::filesystem::last_write_time(files[0]);

  RunResult second = RunProgram(SsrdBinary(), args, std::chrono::seconds(60));
  EXPECT_EQ(second.out, first.out);
  EXPECT_EQ(std::filesystem::last_write_time(files[0]), built_at);  // found, not rebuilt
}

TEST(SnapshotTest, SsrdSnapshotSaysWhyABundleCannotBeSnapshotted) {
  TempDir cache;
  RunResult run = RunProgram(SsrdBinary(),
                             {"snapshot", SnapshotBundle("intl_at_load.mjs"), "--snapshot-dir",
                              cache.path(), "--worker-executable", WorkerBinary()},
                             std::chrono::seconds(60));
  ASSERT_FALSE(run.timed_out);
  EXPECT_TRUE(run.status.exited && run.status.exit_code == 1) << run.status.ToString();
  // V8 prints its own complaint about the object (to stdout) before the builder dies.
  EXPECT_NE(run.out.find("snapshot: unavailable: the snapshot builder was killed by signal "),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("V8 cannot serialise something the bundle made while loading"),
            std::string::npos)
      << run.out;
  EXPECT_TRUE(SnapFiles(cache.path()).empty());

  RunResult missing = RunProgram(SsrdBinary(),
                                 {"snapshot", SnapshotBundle("missing.mjs"), "--snapshot-dir",
                                  cache.path(), "--worker-executable", WorkerBinary()},
                                 std::chrono::seconds(60));
  EXPECT_TRUE(missing.status.exited && missing.status.exit_code == 2) << missing.status.ToString();
  EXPECT_EQ(missing.out, "snapshot: cannot read bundle " + SnapshotBundle("missing.mjs") + "\n");
}

}  // namespace
}  // namespace ssrd::testing
