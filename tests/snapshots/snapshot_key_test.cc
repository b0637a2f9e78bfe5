#include "snapshots/snapshot_key.h"
#include "snapshots/snapshot_file.h"

#include <gtest/gtest.h>

#include "ipc/digest.h"
#include "isolates/v8_process.h"

namespace ssrd::snapshots {
namespace {

TEST(SnapshotKeyTest, KnownVectorAndFormat) {
  // XXH3-64 of the empty input with seed 0 is xxHash's published 0x2d06800538d394c2; the key
  // chains three of them, each seeded with the one before.
  EXPECT_EQ(ipc::Digest(""), 0x2d06800538d394c2ull);
  std::string key = SnapshotKey("", "", "");
  EXPECT_EQ(key, "4e92fbee4afd555f");
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(SnapshotKey("bundle", "10.2", "--flag"), SnapshotKey("bundle", "10.2", "--flag"));
}

TEST(SnapshotKeyTest, EveryInputChangesTheKey) {
  const std::string base = SnapshotKey("export const render = 1;", "10.2.154", "");
  EXPECT_NE(SnapshotKey("export const render = 2;", "10.2.154", ""), base);
  EXPECT_NE(SnapshotKey("export const render = 1;", "10.2.155", ""), base);
  EXPECT_NE(SnapshotKey("export const render = 1;", "10.2.154", "--jitless"), base);
  // Bytes moved between fields are not the same input.
  EXPECT_NE(SnapshotKey("ab", "c", ""), SnapshotKey("a", "bc", ""));
}

// The supervisor names snapshot files with the version CMake read from the headers; the workers
// with the one V8 reports. They must agree, or the supervisor would never find a worker's file.
TEST(SnapshotKeyTest, TheBuildTimeV8VersionIsTheRuntimeOne) {
  EXPECT_EQ(isolates::V8Version().rfind("10.2.", 0), 0u) << isolates::V8Version();
  EXPECT_EQ(kBuildV8Version, isolates::V8Version());
}

}  // namespace
}  // namespace ssrd::snapshots
