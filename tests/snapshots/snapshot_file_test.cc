#include "snapshots/snapshot_file.h"
#include "snapshots/snapshot_key.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "ipc/digest.h"

namespace ssrd::snapshots {
namespace {

class SnapshotFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ssrd-snapshot-file-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Truncate(const std::string& path, std::size_t drop) {
    std::filesystem::resize_file(path, std::filesystem::file_size(path) - drop);
  }
  std::string dir_;
};

TEST_F(SnapshotFileTest, WhatIsWrittenIsReadBackWhole) {
  std::string path = SnapshotPath(dir_, "bundle bytes", "production", "guarded", "10.2.154.26-node.37");
  std::string blob("\0\1\2snapshot\xff", 12);
  ASSERT_TRUE(WriteSnapshotFile(path, blob).ok());
  ipc::Result<std::string> read = ReadSnapshotFile(path);
  ASSERT_TRUE(read.ok()) << read.error().ToString();
  EXPECT_EQ(read.value(), blob);
  // Nothing but the file itself is left in the directory (the temporary was renamed).
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(SnapshotFileTest, ATruncatedOrForeignFileIsRefused) {
  std::string path = dir_ + "/a.snap";
  ASSERT_TRUE(WriteSnapshotFile(path, std::string(100, 's')).ok());
  Truncate(path, 1);
  ipc::Result<std::string> truncated = ReadSnapshotFile(path);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().ToString(), "unavailable: snapshot " + path + ": truncated");

  std::ofstream(dir_ + "/b.snap") << "#!/bin/sh\necho not a snapshot\n";
  ipc::Result<std::string> foreign = ReadSnapshotFile(dir_ + "/b.snap");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().ToString(),
            "unavailable: snapshot " + dir_ + "/b.snap: not a snapshot file");

  ipc::Result<std::string> missing = ReadSnapshotFile(dir_ + "/c.snap");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ToString(),
            "unavailable: snapshot " + dir_ + "/c.snap: No such file or directory");
}

TEST_F(SnapshotFileTest, ACorruptedBlobFailsItsChecksum) {
  std::string path = dir_ + "/a.snap";
  ASSERT_TRUE(WriteSnapshotFile(path, std::string(100, 's')).ok());
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-10, std::ios::end);
    file.put('t');
  }
  ipc::Result<std::string> read = ReadSnapshotFile(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().ToString(), "unavailable: snapshot " + path + ": checksum mismatch");
}

TEST_F(SnapshotFileTest, ASnapshotIsStaleOnceAFileItWasMadeFromChanges) {
  std::string chunk = dir_ + "/chunk.js";
  std::ofstream(chunk) << "export const v = 1;\n";
  std::string path = dir_ + "/a.snap";
  SourceDigests sources = {{chunk, ipc::Digest("export const v = 1;\n")}};
  ASSERT_TRUE(WriteSnapshotFile(path, std::string(100, 's'), sources).ok());
  ASSERT_TRUE(ReadSnapshotFile(path).ok());

  std::ofstream(chunk, std::ios::trunc) << "export const v = 2;\n";
  ipc::Result<std::string> changed = ReadSnapshotFile(path);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.error().ToString(),
            "unavailable: snapshot " + path + ": stale: " + chunk + " changed since it was built");

  std::ofstream(chunk, std::ios::trunc) << "export const v = 1;\n";  // the same bytes again
  EXPECT_TRUE(ReadSnapshotFile(path).ok());

  std::filesystem::remove(chunk);
  ipc::Result<std::string> removed = ReadSnapshotFile(path);
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().ToString(),
            "unavailable: snapshot " + path + ": stale: " + chunk + " cannot be read");
}

TEST_F(SnapshotFileTest, ThePathChangesWithTheBundleAndNodeEnv) {
  std::string a = SnapshotPath(dir_, "bundle A", "production", "guarded", "10.2.154.26-node.37");
  EXPECT_EQ(a, SnapshotPath(dir_, "bundle A", "production", "guarded", "10.2.154.26-node.37"));
  EXPECT_NE(a, SnapshotPath(dir_, "bundle B", "production", "guarded", "10.2.154.26-node.37"));
  EXPECT_NE(a, SnapshotPath(dir_, "bundle A", "development", "guarded", "10.2.154.26-node.37"));
  EXPECT_NE(a, SnapshotPath(dir_, "bundle A", "production", "guarded", "10.2.154.27-node.37"));
  // Only guarded workers' snapshots hold the guard's record; fresh and shared share theirs.
  EXPECT_NE(a, SnapshotPath(dir_, "bundle A", "production", "fresh", "10.2.154.26-node.37"));
  EXPECT_EQ(SnapshotPath(dir_, "bundle A", "production", "fresh", "10.2.154.26-node.37"),
            SnapshotPath(dir_, "bundle A", "production", "shared", "10.2.154.26-node.37"));
  EXPECT_EQ(a.rfind(dir_ + "/", 0), 0u);
  EXPECT_EQ(a.substr(a.size() - 5), ".snap");
}

// A snapshot of another build's runtime (other web APIs, other native functions) is keyed out.
TEST_F(SnapshotFileTest, ThePathCoversThisBuildsRuntime) {
  ASSERT_EQ(kRuntimeFingerprint.size(), 16u);
  EXPECT_EQ(kRuntimeFingerprint.find_first_not_of("0123456789abcdef"), std::string_view::npos);
  EXPECT_EQ(SnapshotPathIn(dir_, "bundle A", "production", "guarded", "10.2.154.26-node.37", "TZ=UTC"),
            dir_ + "/" +
                SnapshotKey("bundle A", "10.2.154.26-node.37",
                            "node_env=production;guard;runtime=" + std::string(kRuntimeFingerprint) +
                                "\nTZ=UTC") +
                ".snap");
}

}  // namespace
}  // namespace ssrd::snapshots
