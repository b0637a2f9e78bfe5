// PreloadFiles (isolates/source_files.h): what it reads, what it leaves out, and that it answers as
// the disk does: the same bytes, facts, errors and resolved paths.
#include "isolates/source_files.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ssrd::isolates {
namespace {

namespace fs = std::filesystem;

class SourceFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ssrd-sourcefiles-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    fs::create_directories(fs::path(root_ + "/" + name).parent_path());
    std::ofstream(root_ + "/" + name, std::ios::binary | std::ios::trunc) << text;
  }
  std::string root_;
};

TEST_F(SourceFilesTest, ReadsScriptsDataAndMapsButNotHiddenFoldersNodeModulesOrOtherFiles) {
  Write("dist/entry.mjs", "entry");
  Write("dist/chunks/a.js", "a");
  Write("dist/chunks/a.js.map", "{}");
  Write("dist/data.json", "[]");
  Write("dist/logo.png", "png");
  Write("dist/.cache/x.mjs", "hidden");
  Write("dist/node_modules/m/index.js", "module");
  Write("elsewhere/shared.mjs", "shared");
  fs::create_directory_symlink(root_ + "/elsewhere", root_ + "/dist/linked");
  const std::string dist = root_ + "/dist";
  auto preloaded = PreloadFiles(dist, dist + "/entry.mjs");
  ASSERT_TRUE(preloaded.ok()) << preloaded.error().ToString();
  const SourceFiles& files = *preloaded->files;
  EXPECT_TRUE(files.preloaded());
  EXPECT_EQ(preloaded->count, 5u);
  EXPECT_EQ(preloaded->skipped, 0u);
  EXPECT_EQ(files.Read(dist + "/chunks/a.js").value(), "a");
  EXPECT_EQ(files.Read(dist + "/chunks/../chunks/a.js.map").value(), "{}");
  EXPECT_EQ(files.Read(dist + "/linked/shared.mjs").value(), "shared");
  EXPECT_EQ(files.RealPath(dist + "/linked/shared.mjs"), root_ + "/elsewhere/shared.mjs");
  EXPECT_EQ(files.RealPath(dist), dist);
  EXPECT_EQ(files.RealPath(dist + "/chunks/none.mjs"), dist + "/chunks/none.mjs");
  for (const std::string name : {"logo.png", ".cache/x.mjs", "node_modules/m/index.js", "gone.mjs"}) {
    auto read = files.Read(dist + "/" + name);
    ASSERT_FALSE(read.ok()) << name;
    EXPECT_EQ(read.error().message, "No such file or directory") << name;
    EXPECT_FALSE(files.Stat(dist + "/" + name).exists) << name;
  }
  EXPECT_EQ(files.Read(dist + "/chunks").error().message, "Is a directory");
  EXPECT_TRUE(files.Stat(dist + "/chunks").exists);
  EXPECT_FALSE(files.Stat(dist + "/chunks").regular);
  EXPECT_EQ(files.ReadTail(dist + "/entry.mjs", 3).value(), "try");
  // The same facts as the disk.
  const FileFacts disk = DiskFiles()->Stat(dist + "/data.json");
  const FileFacts memory = files.Stat(dist + "/data.json");
  EXPECT_TRUE(memory.regular);
  EXPECT_EQ(memory.size, disk.size);
  EXPECT_EQ(memory.written, disk.written);
  // Read once: a change on disk is not seen.
  Write("dist/chunks/a.js", "changed");
  EXPECT_EQ(files.Read(dist + "/chunks/a.js").value(), "a");
}

TEST_F(SourceFilesTest, FilesPastTheLimitsAreLeftOutAndSaySo) {
  Write("dist/a.mjs", "aaaa");
  Write("dist/b.mjs", "bbbb");
  Write("dist/c.mjs", "cccc");
  auto preloaded = PreloadFiles(root_ + "/dist", "", 2, 1 << 20);
  ASSERT_TRUE(preloaded.ok());
  EXPECT_EQ(preloaded->count, 2u);
  EXPECT_EQ(preloaded->skipped, 1u);
  int missing = 0;
  for (const std::string name : {"a.mjs", "b.mjs", "c.mjs"}) {
    auto read = preloaded->files->Read(root_ + "/dist/" + name);
    if (read.ok()) continue;
    ++missing;
    EXPECT_NE(read.error().message.find("over the preload limits"), std::string::npos);
  }
  EXPECT_EQ(missing, 1);
  auto bytes = PreloadFiles(root_ + "/dist", "", 100, 9);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->count, 2u);
  EXPECT_EQ(bytes->bytes, 8u);
}

TEST_F(SourceFilesTest, ADirectoryThatCannotBeListedIsAnError) {
  auto preloaded = PreloadFiles(root_ + "/none", "");
  ASSERT_FALSE(preloaded.ok());
  EXPECT_NE(preloaded.error().message.find("cannot read the bundle's directory " + root_ + "/none"),
            std::string::npos);
}

}  // namespace
}  // namespace ssrd::isolates
