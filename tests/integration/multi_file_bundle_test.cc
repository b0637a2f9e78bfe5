// A bundle made of several files: the unit of a deploy is every file the bundle loads, so a
// change to a chunk in a subfolder reloads the workers, and no snapshot made from the old chunk is
// ever used again (not after the reload, not after a restart).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

constexpr char kEntry[] =
    "import { version } from './assets/chunks/dep.js';\n"
    "export function render() { return '<p>' + version + '</p>'; }\n";

std::string Chunk(const std::string& version) {
  return "export const version = '" + version + "';\n";
}

// Deploy tools write the new file beside the old one and rename it over it.
void Deploy(const std::string& path, const std::string& contents) {
  std::string staged = path + ".tmp";
  WriteFile(staged, contents);
  ASSERT_EQ(std::rename(staged.c_str(), path.c_str()), 0);
}

std::string Page(const DaemonProcess& daemon, std::uint64_t id) {
  auto conn = RawConnection::Connect(daemon.socket_path());
  if (!conn) return "no connection";
  auto reply = Call(*conn, RenderRequest(id, "Page", "{}"));
  if (!reply) return "no reply";
  return reply->ok() ? reply->html : "error: " + reply->error->ToString();
}

class MultiFileBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bundle_ = dir_.File("app/entry.mjs");
    chunk_ = dir_.File("app/assets/chunks/dep.js");
    std::filesystem::create_directories(std::filesystem::path(chunk_).parent_path());
    WriteFile(bundle_, kEntry);
    WriteFile(chunk_, Chunk("v1"));
  }
  TempDir dir_;
  TempDir cache_;
  std::string bundle_;
  std::string chunk_;
};

TEST_F(MultiFileBundleTest, AChangedChunkInASubfolderReloadsTheWorkers) {
  DaemonProcess daemon(DaemonConfig{bundle_, 2, {"--snapshot-dir", cache_.path()}});
  ASSERT_TRUE(daemon.Start());
  EXPECT_EQ(Page(daemon, 1), "<p>v1</p>");

  Deploy(chunk_, Chunk("v2"));
  ASSERT_TRUE(WaitFor([&] { return Stats(daemon.socket_path()).stats["reloads"] == 1; },
                      std::chrono::seconds(15)))
      << "the watcher missed a change two folders down; stderr:\n" << daemon.Stderr();
  EXPECT_EQ(Page(daemon, 2), "<p>v2</p>");
  EXPECT_EQ(Stats(daemon.socket_path()).stats["errors"], 0);
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

TEST_F(MultiFileBundleTest, SighupAfterAChunkChangedServesTheNewChunk) {
  DaemonProcess daemon(DaemonConfig{bundle_, 1, {"--snapshot-dir", cache_.path(), "--no-watch"}});
  ASSERT_TRUE(daemon.Start());
  EXPECT_EQ(Page(daemon, 1), "<p>v1</p>");
  Deploy(chunk_, Chunk("v2"));
  ASSERT_EQ(kill(daemon.pid(), SIGHUP), 0);
  ASSERT_TRUE(WaitFor([&] { return Stats(daemon.socket_path()).stats["reloads"] == 1; },
                      std::chrono::seconds(15)))
      << daemon.Stderr();
  EXPECT_EQ(Page(daemon, 2), "<p>v2</p>");
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

// The snapshot cache outlives the daemon: a chunk changed while it was down must not be served
// from the snapshot of the old one (the entry file, the cache key, did not change).
TEST_F(MultiFileBundleTest, ARestartNeverServesAChunkThatIsNoLongerOnDisk) {
  {
    DaemonProcess daemon(DaemonConfig{bundle_, 1, {"--snapshot-dir", cache_.path()}});
    ASSERT_TRUE(daemon.Start());
    EXPECT_EQ(Page(daemon, 1), "<p>v1</p>");
    EXPECT_EQ(daemon.Stop().exit_code, 0);
  }
  WriteFile(chunk_, Chunk("v3"));
  DaemonProcess daemon(
      DaemonConfig{bundle_, 1, {"--snapshot-dir", cache_.path(), "--log-level", "debug"}});
  ASSERT_TRUE(daemon.Start());
  EXPECT_EQ(Page(daemon, 2), "<p>v3</p>");
  EXPECT_NE(daemon.Stderr().find("dep.js changed since it was built"), std::string::npos)
      << daemon.Stderr();
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace ssrd::testing
