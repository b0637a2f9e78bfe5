// Source-mapped errors end to end: a daemon serving a code-split bundle that esbuild built with
// --sourcemap (tests/isolates/bundles/mapped) answers js_error with a stack in the original
// sources and logs the failure with the original position; a broken map costs one warning.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

namespace fs = std::filesystem;

const std::string kMapped = SSRD_TEST_MAPPED_BUNDLES;

std::string Chunk(const std::string& dist) {
  for (const auto& entry : fs::directory_iterator(dist + "/chunks")) {
    if (entry.path().extension() == ".mjs") return entry.path().string();
  }
  return {};
}

std::vector<std::string> LinesWith(const std::string& text, const std::string& part) {
  std::vector<std::string> found;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(part) != std::string::npos) found.push_back(line);
  }
  return found;
}

TEST(SourceMappedErrorsTest, TheReplyAndTheLogShowTheOriginalSource) {
  TempDir cache;
  const std::string dist = kMapped + "/dist/split";
  const std::string chunk = Chunk(dist);
  ASSERT_FALSE(chunk.empty());
  // From its snapshot: the maps are found the same way for a worker that never read the bundle.
  DaemonProcess daemon(DaemonConfig{dist + "/entry.mjs", 1,
                                    {"--snapshot-dir", cache.path(), "--log-level", "info"}});
  ASSERT_TRUE(daemon.Start());
  auto client = client::Client::Connect(daemon.socket_path());
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  auto failed = (*client)->Render("Lazy", "{}");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ipc::ErrorCode::kJsError);
  const std::string frame = "at renderLazy (" + kMapped + "/src/lazy/panel.js:3:11) [" + chunk +
                            ":4:11]";
  EXPECT_NE(failed.error().stack.find("\n    " + frame + "\n"), std::string::npos)
      << failed.error().stack;
  auto page = (*client)->Render("Lazy", R"({"items":["a","b"]})");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  EXPECT_EQ(page->html, "<ul><li>a</li><li>b</li></ul>");
  daemon.Stop();
  const std::string log = daemon.Stderr();
  EXPECT_NE(log.find("ready: bundle " + dist + "/entry.mjs (from its snapshot)"), std::string::npos)
      << log;
  auto logged = LinesWith(log, "render Lazy failed: js_error: RangeError: items must be an array");
  ASSERT_EQ(logged.size(), 1u) << log;
  EXPECT_NE(logged[0].find("(" + frame + ")"), std::string::npos) << logged[0];
}

TEST(SourceMappedErrorsTest, ABrokenMapIsNamedOnceAndErrorsKeepV8sPositions) {
  TempDir dir;
  fs::copy(kMapped, dir.path(), fs::copy_options::recursive);
  const std::string bundle = dir.path() + "/dist/single/bundle.mjs";
  std::ofstream(bundle + ".map", std::ios::trunc) << "{\"version\":3,\"mappings\":";
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--log-level", "info"}});
  ASSERT_TRUE(daemon.Start());
  auto client = client::Client::Connect(daemon.socket_path());
  ASSERT_TRUE(client.ok()) << client.error().ToString();
  for (int i = 0; i < 3; ++i) {
    auto failed = (*client)->Render("Card", R"({"title":false})");
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().stack.find("(" + bundle + ":1:"), std::string::npos)
        << failed.error().stack;
    EXPECT_EQ(failed.error().stack.find("check.js"), std::string::npos) << failed.error().stack;
  }
  auto page = (*client)->Render("Card", R"({"title":"fine"})");
  ASSERT_TRUE(page.ok()) << page.error().ToString();
  daemon.Stop();
  auto warnings = LinesWith(daemon.Stderr(), "source map " + bundle + ".map is not a usable source map");
  ASSERT_EQ(warnings.size(), 1u) << daemon.Stderr();
  EXPECT_NE(warnings[0].find("stay as V8 reports them"), std::string::npos) << warnings[0];
}

}  // namespace
}  // namespace ssrd::testing
