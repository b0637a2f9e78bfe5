// Render errors of bundles built with esbuild --sourcemap (bundles/mapped: the sources, the
// committed output and build.mjs, which made it): the stack names the original files, lines and
// columns, with V8's own position kept beside each, and the maps are read once per engine, only
// when an error needs them, and never break a render when they are bad.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

namespace fs = std::filesystem;
using testing::Props;

const std::string kMapped = std::string(SSRD_TEST_BUNDLES) + "/mapped";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "FILE:LINE:COLUMN" of the first `needle` in the file, 1-based as V8 and esbuild count: the
// expected positions come from the sources and the bundle themselves, not from a table.
std::string PositionOf(const std::string& file, const std::string& needle) {
  std::istringstream lines(ReadText(file));
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (std::size_t at = line.find(needle); at != std::string::npos) {
      return file + ":" + std::to_string(number) + ":" + std::to_string(at + 1);
    }
  }
  ADD_FAILURE() << needle << " is not in " << file;
  return "?";
}

std::unique_ptr<Engine> Create(const std::string& bundle, Isolation isolation = Isolation::kGuarded) {
  EngineOptions options;
  options.bundle_path = bundle;
  options.isolation = isolation;
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().ToString());
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

ipc::Error RenderError(Engine* engine, const std::string& component, const std::string& json) {
  std::string props = Props(json);
  ipc::Result<RenderOutput> out = engine->Render(RenderInput{component, props, "/", false}, nullptr);
  EXPECT_FALSE(out.ok()) << component << " rendered " << (out.ok() ? out->html : "");
  return out.ok() ? ipc::Error{} : out.error();
}

std::vector<std::string> Frames(const std::string& stack) {
  std::vector<std::string> frames;
  std::istringstream lines(stack);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("    at ") == 0) frames.push_back(line);
  }
  return frames;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SourceMappedErrorsTest, AMinifiedBundlesStackShowsTheOriginalFileLineAndColumn) {
  const std::string bundle = kMapped + "/dist/single/bundle.mjs";
  auto engine = Create(bundle);
  ASSERT_NE(engine, nullptr);
  ipc::Error error = RenderError(engine.get(), "Card", R"({"title":5})");
  EXPECT_EQ(error.code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(error.message, "TypeError: title must be a string, got number");
  std::vector<std::string> frames = Frames(error.stack);
  ASSERT_GE(frames.size(), 2u) << error.stack;
  // V8 places a `throw new E()` at `new`: in the original as in the one-line bundle.
  const std::string original = PositionOf(kMapped + "/src/util/check.js", "new TypeError");
  const std::string raw = PositionOf(bundle, "new TypeError");
  EXPECT_TRUE(Contains(frames[0], " (" + original + ") [" + raw + "]")) << error.stack;
  const std::string caller = PositionOf(kMapped + "/src/components/card.js", "checkTitle(props");
  EXPECT_TRUE(Contains(frames[1], "(" + caller.substr(0, caller.rfind(':') + 1)))
      << "the caller's line in card.js:\n" << error.stack;
  EXPECT_TRUE(Contains(frames[1], "[" + bundle + ":1:")) << error.stack;
  EXPECT_EQ(engine->source_maps_read(), 1u);
  EXPECT_TRUE(engine->TakeSourceMapWarnings().empty());
}

TEST(SourceMappedErrorsTest, EachChunkOfACodeSplitBundleIsMappedByItsOwnMap) {
  const std::string dist = kMapped + "/dist/split";
  std::string chunk;
  for (const auto& entry : fs::directory_iterator(dist + "/chunks")) {
    if (entry.path().extension() == ".mjs") chunk = entry.path().string();
  }
  ASSERT_FALSE(chunk.empty());
  auto engine = Create(dist + "/entry.mjs");
  ASSERT_NE(engine, nullptr);
  ipc::Error lazy = RenderError(engine.get(), "Lazy", "{}");
  EXPECT_EQ(lazy.message, "RangeError: items must be an array");
  std::vector<std::string> frames = Frames(lazy.stack);
  ASSERT_GE(frames.size(), 2u) << lazy.stack;
  EXPECT_TRUE(Contains(frames[0], " (" + PositionOf(kMapped + "/src/lazy/panel.js", "new RangeError") +
                                      ") [" + PositionOf(chunk, "new RangeError") + "]"))
      << lazy.stack;
  // The entry's await of the chunk, in entry.js, through the entry's own map.
  EXPECT_TRUE(Contains(lazy.stack, "(" + PositionOf(kMapped + "/src/entry.js", "renderLazy(props)") +
                                       ") [" + PositionOf(dist + "/entry.mjs", "renderLazy(props)") +
                                       "]"))
      << lazy.stack;
  EXPECT_EQ(engine->source_maps_read(), 2u);

  ipc::Error card = RenderError(engine.get(), "Card", R"({"title":null})");
  EXPECT_TRUE(Contains(Frames(card.stack).at(0),
                       " (" + PositionOf(kMapped + "/src/util/check.js", "new TypeError") + ") ["))
      << card.stack;
  EXPECT_EQ(engine->source_maps_read(), 2u) << "the entry's map was read by the first error";
}

TEST(SourceMappedErrorsTest, AMapBesideTheBundleIsUsedWithoutAComment) {
  const std::string bundle = kMapped + "/dist/external/bundle.mjs";
  ASSERT_FALSE(Contains(ReadText(bundle), "sourceMappingURL"));
  auto engine = Create(bundle);
  ASSERT_NE(engine, nullptr);
  ipc::Error error = RenderError(engine.get(), "Card", R"({})");
  EXPECT_TRUE(Contains(Frames(error.stack).at(0),
                       " (" + PositionOf(kMapped + "/src/util/check.js", "new TypeError") + ") [" +
                           PositionOf(bundle, "new TypeError") + "]"))
      << error.stack;
}

// Renders that succeed never touch a map; errors read each map once, whatever the number of
// errors and of contexts made (a fresh one per render here).
TEST(SourceMappedErrorsTest, AMapIsReadOnlyForAnErrorAndOncePerEngine) {
  auto engine = Create(kMapped + "/dist/single/bundle.mjs", Isolation::kFresh);
  ASSERT_NE(engine, nullptr);
  for (int i = 0; i < 3; ++i) {
    std::string props = Props(R"({"title":"ok"})");
    auto out = engine->Render(RenderInput{"Card", props, "/", false}, nullptr);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    EXPECT_EQ(out->html, "<div class=\"card\">ok</div>");
  }
  EXPECT_EQ(engine->source_maps_read(), 0u);
  for (int i = 0; i < 3; ++i) {
    ipc::Error error = RenderError(engine.get(), "Card", R"({"title":[1]})");
    EXPECT_TRUE(Contains(error.stack, "check.js:")) << error.stack;
  }
  EXPECT_EQ(engine->source_maps_read(), 1u);
}

class BrokenMapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "ssrd-mapped-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::copy(kMapped, dir_, fs::copy_options::recursive);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(BrokenMapTest, ABrokenMapLeavesV8sPositionsAndWarnsOnce) {
  const std::string bundle = dir_ + "/dist/single/bundle.mjs";
  std::ofstream(bundle + ".map", std::ios::trunc) << R"({"version":3,"sources":["x.js"],"mappings":"AAAA;;ggg)";
  auto engine = Create(bundle);
  ASSERT_NE(engine, nullptr);
  for (int i = 0; i < 3; ++i) {
    ipc::Error error = RenderError(engine.get(), "Card", R"({"title":1})");
    EXPECT_EQ(error.message, "TypeError: title must be a string, got number");
    EXPECT_TRUE(Contains(Frames(error.stack).at(0), "(" + PositionOf(bundle, "new TypeError") + ")"))
        << error.stack;
    EXPECT_FALSE(Contains(error.stack, "check.js")) << error.stack;
    std::vector<std::string> warnings = engine->TakeSourceMapWarnings();
    if (i == 0) {
      ASSERT_EQ(warnings.size(), 1u);
      EXPECT_TRUE(Contains(warnings[0], "source map " + bundle + ".map is not a usable source "
                                        "map: not valid JSON"))
          << warnings[0];
    } else {
      EXPECT_TRUE(warnings.empty()) << "warned once";
    }
  }
  EXPECT_EQ(engine->source_maps_read(), 1u);
  std::string props = Props(R"({"title":"still fine"})");
  auto out = engine->Render(RenderInput{"Card", props, "/", false}, nullptr);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "<div class=\"card\">still fine</div>");
}

TEST_F(BrokenMapTest, AMapWrittenAfterTheBundleLoadedIsNotTrusted) {
  const std::string bundle = dir_ + "/dist/single/bundle.mjs";
  auto engine = Create(bundle);
  ASSERT_NE(engine, nullptr);
  // A deploy writes the next generation's map while this engine still runs the old code.
  fs::last_write_time(bundle + ".map", fs::file_time_type::clock::now() + std::chrono::seconds(5));
  ipc::Error error = RenderError(engine.get(), "Card", R"({})");
  EXPECT_FALSE(Contains(error.stack, "check.js")) << error.stack;
  std::vector<std::string> warnings = engine->TakeSourceMapWarnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_TRUE(Contains(warnings[0], "changed on disk after this worker loaded the bundle"))
      << warnings[0];
  EXPECT_EQ(engine->source_maps_read(), 0u);
}

}  // namespace
}  // namespace ssrd::isolates
