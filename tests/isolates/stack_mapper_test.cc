// StackMapper on files of its own: which frames change and how, where a file's map is found, that
// a map is read once, and that every kind of unusable map leaves the stack alone with one warning.
// Every test runs twice: reading the disk, and reading the bundle's directory preloaded into memory
// as a sandboxed worker does (isolates/source_files.h), where the answers must be the same.
#include "isolates/stack_mapper.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/isolates/source_map_test_util.h"

namespace ssrd::isolates {
namespace {

namespace fs = std::filesystem;
using testing::EncodeMappings;

// Generated line 1: columns 0.. come from src/app.js line 10 column 5, columns 20.. from line 3
// column 1. Line 2 maps to nothing.
std::string AppMap() {
  return R"({"version":3,"sources":["../src/app.js"],"sourcesContent":["..."],"mappings":")" +
         EncodeMappings({{{0, 0, 9, 4}, {20, 0, 2, 0}}, {}}) + R"(","names":[]})";
}

class StackMapperTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ssrd-stackmap-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dist_ = root_ + "/dist";
    fs::create_directories(dist_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  // A generated file whose last line is `comment` ("" for none).
  void WriteBundle(const std::string& name, const std::string& comment) {
    Write(dist_ + "/" + name, "export function render(){throw new Error('x')}\n" +
                                  (comment.empty() ? "" : comment + "\n"));
  }
  // Preloaded (the test's parameter): the files as they are now, the mapper reads no disk after.
  StackMapper Mapper(std::size_t max_map_bytes = StackMapper::kDefaultMaxMapBytes) {
    std::shared_ptr<const SourceFiles> files;
    if (GetParam()) {
      auto preloaded = PreloadFiles(dist_, "");
      EXPECT_TRUE(preloaded.ok());
      if (preloaded.ok()) files = preloaded->files;
    }
    return StackMapper(dist_, fs::file_time_type::clock::now(), max_map_bytes, files);
  }
  // "Error: x" and one frame at FILE:1:5, which the app map knows.
  std::string Stack(const std::string& file) {
    return "Error: x\n    at render (" + dist_ + "/" + file + ":1:5)";
  }
  std::string Mapped(const std::string& file) {
    return "Error: x\n    at render (" + root_ + "/src/app.js:10:5) [" + dist_ + "/" + file +
           ":1:5]";
  }

  std::string root_, dist_;
};

TEST_P(StackMapperTest, FramesInTheBundleShowTheOriginalWithV8sPositionBeside) {
  WriteBundle("app.mjs", "//# sourceMappingURL=app.mjs.map");
  Write(dist_ + "/app.mjs.map", AppMap());
  StackMapper mapper = Mapper();
  const std::string app = dist_ + "/app.mjs";
  const std::string stack = "TypeError: bad\n"
                            "    at f (" + app + ":1:5)\n"
                            "    at " + app + ":1:25\n"
                            "    at async g (" + app + ":1:21)\n"
                            "    at new Card (" + app + ":1:20)\n"
                            "    at h (/elsewhere/y.mjs:1:1)\n"
                            "    at Array.map (<anonymous>)\n"
                            "    at k (" + app + ":2:1)\n";
  const std::string src = root_ + "/src/app.js";
  const std::string want = "TypeError: bad\n"
                           "    at f (" + src + ":10:5) [" + app + ":1:5]\n"
                           "    at " + src + ":3:1 [" + app + ":1:25]\n"
                           "    at async g (" + src + ":3:1) [" + app + ":1:21]\n"
                           "    at new Card (" + src + ":10:5) [" + app + ":1:20]\n"
                           "    at h (/elsewhere/y.mjs:1:1)\n"
                           "    at Array.map (<anonymous>)\n"
                           "    at k (" + app + ":2:1)\n";
  EXPECT_EQ(mapper.Map(stack), want);
  EXPECT_EQ(mapper.maps_read(), 1u);
  EXPECT_EQ(mapper.Map(stack), want);
  EXPECT_EQ(mapper.Map(Stack("app.mjs")), Mapped("app.mjs"));
  EXPECT_EQ(mapper.maps_read(), 1u) << "a map is read once, not per error";
  EXPECT_TRUE(mapper.TakeWarnings().empty());
}

TEST_P(StackMapperTest, WithoutACommentTheMapBesideTheFileIsUsed) {
  WriteBundle("app.mjs", "");
  Write(dist_ + "/app.mjs.map", AppMap());
  StackMapper mapper = Mapper();
  EXPECT_EQ(mapper.Map(Stack("app.mjs")), Mapped("app.mjs"));
}

TEST_P(StackMapperTest, TheCommentMayNameAMapElsewhereInTheBundlesDirectory) {
  WriteBundle("chunks/c.mjs", "//# sourceMappingURL=../maps/c.map");
  Write(dist_ + "/maps/c.map", R"({"version":3,"sources":["../../src/app.js"],"mappings":")" +
                                   EncodeMappings({{{0, 0, 9, 4}}}) + "\"}");
  Write(dist_ + "/chunks/c.mjs.map", "not the one the comment names");
  StackMapper mapper = Mapper();
  EXPECT_EQ(mapper.Map(Stack("chunks/c.mjs")), Mapped("chunks/c.mjs"));
  EXPECT_TRUE(mapper.TakeWarnings().empty());
}

TEST_P(StackMapperTest, AFileWithoutAMapStaysAsItIsWithoutAWarning) {
  WriteBundle("plain.mjs", "");
  StackMapper mapper = Mapper();
  EXPECT_EQ(mapper.Map(Stack("plain.mjs")), Stack("plain.mjs"));
  EXPECT_EQ(mapper.maps_read(), 0u);
  EXPECT_TRUE(mapper.TakeWarnings().empty());
}

TEST_P(StackMapperTest, NamesNoFileCanBeMadeOfAreLeftAlone) {
  WriteBundle("app.mjs", "//# sourceMappingURL=app.mjs.map");
  Write(dist_ + "/app.mjs.map", AppMap());
  StackMapper mapper = Mapper();
  const std::string stack = "Error: at f (" + dist_ + "/app.mjs:1:5)\n"
                            "    at eval (eval at f (" + dist_ + "/app.mjs:1:5), <anonymous>:1:1)\n"
                            "    at x (" + dist_ + "/app.mjs:1:0)\n"
                            "    at y (" + dist_ + "/app.mjs:one:5)\n"
                            "    at z (" + dist_ + "/missing.mjs:1:5)\n"
                            "    at w " + dist_ + "/app.mjs:1:5)";
  EXPECT_EQ(mapper.Map(stack), stack);
  EXPECT_EQ(mapper.maps_read(), 0u);
  EXPECT_TRUE(mapper.TakeWarnings().empty());
}

// Each way a map can be unusable: the stack stays as V8 wrote it, one warning says why (once,
// however many errors come), and the map is read at most once.
TEST_P(StackMapperTest, AnUnusableMapLeavesTheStackAloneWithOneWarning) {
  struct Case {
    std::string name;
    std::function<void()> set_up;
    std::string warning;  // a part of the one warning
    std::uint64_t maps_read;
    std::size_t max_map_bytes = StackMapper::kDefaultMaxMapBytes;
  };
  const auto later = fs::file_time_type::clock::now() + std::chrono::hours(1);
  const std::vector<Case> cases = {
      {"not JSON", [&] { WriteBundle("a.mjs", "//# sourceMappingURL=a.mjs.map");
                         Write(dist_ + "/a.mjs.map", "{\"version\":3,"); },
       "is not a usable source map: not valid JSON", 1},
      {"bad mappings", [&] { WriteBundle("a.mjs", "");
                             Write(dist_ + "/a.mjs.map",
                                   R"({"version":3,"sources":["x"],"mappings":"A$"})"); },
       "is not a usable source map: mappings: not a base64 VLQ at offset 1", 1},
      {"missing", [&] { WriteBundle("a.mjs", "//# sourceMappingURL=gone.map"); },
       "gone.map cannot be read", 0},
      {"outside", [&] { WriteBundle("a.mjs", "//# sourceMappingURL=../outside.map");
                        Write(root_ + "/outside.map", AppMap()); },
       "is outside the bundle's directory", 0},
      {"symlink out", [&] { WriteBundle("a.mjs", "");
                            Write(root_ + "/outside.map", AppMap());
                            fs::create_symlink(root_ + "/outside.map", dist_ + "/a.mjs.map"); },
       "is outside the bundle's directory", 0},
      {"inline", [&] { WriteBundle("a.mjs", "//# sourceMappingURL=data:application/json;base64,e30="); },
       "is inline (a data: URL), which is not read", 0},
      {"url", [&] { WriteBundle("a.mjs", "//# sourceMappingURL=https://cdn.example/a.map"); },
       "names its source map by URL (https://cdn.example/a.map)", 0},
      {"too big", [&] { WriteBundle("a.mjs", "");
                        Write(dist_ + "/a.mjs.map", AppMap()); },
       "bytes, over the limit of 64", 0, 64},
      {"map newer", [&] { WriteBundle("a.mjs", "");
                          Write(dist_ + "/a.mjs.map", AppMap());
                          fs::last_write_time(dist_ + "/a.mjs.map", later); },
       "a.mjs.map changed on disk after this worker loaded the bundle", 0},
      {"file newer", [&] { WriteBundle("a.mjs", "");
                           Write(dist_ + "/a.mjs.map", AppMap());
                           fs::last_write_time(dist_ + "/a.mjs", later); },
       "a.mjs changed on disk after this worker loaded the bundle", 0},
      {"directory", [&] { WriteBundle("a.mjs", "");
                          fs::create_directories(dist_ + "/a.mjs.map"); },
       "is not a regular file", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(root_);
    fs::create_directories(dist_);
    c.set_up();
    StackMapper mapper = Mapper(c.max_map_bytes);
    EXPECT_EQ(mapper.Map(Stack("a.mjs")), Stack("a.mjs"));
    EXPECT_EQ(mapper.Map(Stack("a.mjs")), Stack("a.mjs"));
    std::vector<std::string> warnings = mapper.TakeWarnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find(c.warning), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("stack positions in " + dist_ + "/a.mjs stay as V8 reports them"),
              std::string::npos)
        << warnings[0];
    EXPECT_EQ(mapper.maps_read(), c.maps_read);
    EXPECT_EQ(mapper.Map(Stack("a.mjs")), Stack("a.mjs"));
    EXPECT_TRUE(mapper.TakeWarnings().empty()) << "said once";
  }
}

INSTANTIATE_TEST_SUITE_P(Files, StackMapperTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Preloaded" : "Disk"; });

}  // namespace
}  // namespace ssrd::isolates
