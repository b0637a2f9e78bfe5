// The example React 19 app (examples/react-app) rendered by the engine must match the markup Node
// produced for the same props (expected/*.html), byte for byte. Skipped when the app's bundle has
// not been built (cd examples/react-app && npm ci && npm run build).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "ipc/message.h"
#include "isolates/engine.h"

namespace ssrd::isolates {
namespace {

const std::string kApp = SSRD_REACT_APP_DIR;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Index of the first differing byte, with some context, for a readable failure.
std::string FirstDifference(const std::string& got, const std::string& want) {
  std::size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  std::size_t from = i > 60 ? i - 60 : 0;
  return "first difference at byte " + std::to_string(i) + "\n got: ..." + got.substr(from, 160) +
         "\nwant: ..." + want.substr(from, 160);
}

class ReactPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kApp + "/dist/server.mjs")) {
      GTEST_SKIP() << "examples/react-app/dist/server.mjs not built";
    }
    EngineOptions options;
    options.bundle_path = kApp + "/dist/server.mjs";
    auto engine = Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(engine.value());
  }

  void ExpectMatches(const std::string& component, const std::string& name,
                     const std::string& head) {
    auto props = ipc::JsonToMsgpack(ReadText(kApp + "/expected/" + name + ".props.json"));
    ASSERT_TRUE(props.ok()) << props.error().ToString();
    std::vector<ipc::ConsoleLine> console;
    auto out = engine_->Render({component, props.value(), "/"}, &console);
    ASSERT_TRUE(out.ok()) << out.error().ToString() << "\n" << out.error().stack;
    const std::string want = ReadText(kApp + "/expected/" + name + ".html");
    EXPECT_EQ(out->html.size(), want.size());
    EXPECT_TRUE(out->html == want) << FirstDifference(out->html, want);
    EXPECT_EQ(out->head, head);
    EXPECT_EQ(out->status, 200u);
    EXPECT_TRUE(console.empty()) << console.front().level << ": " << console.front().text;
  }

  std::unique_ptr<Engine> engine_;
};

TEST_F(ReactPageTest, ProductPageMatchesNode) {
  ExpectMatches("ProductPage", "product-page", "<title>Spring catalogue</title>");
}

TEST_F(ReactPageTest, TinyMatchesNode) { ExpectMatches("Tiny", "tiny", ""); }

TEST_F(ReactPageTest, RendersAgainIdentically) {
  ExpectMatches("Tiny", "tiny", "");
  ExpectMatches("ProductPage", "product-page", "<title>Spring catalogue</title>");
  ExpectMatches("ProductPage", "product-page", "<title>Spring catalogue</title>");
}

TEST_F(ReactPageTest, UnknownComponentIsNotFound) {
  auto props = ipc::JsonToMsgpack("{}");
  ASSERT_TRUE(props.ok());
  auto out = engine_->Render({"Nope", props.value(), "/"}, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kNotFound);
  EXPECT_EQ(out.error().message, "Error: unknown component \"Nope\"");
}

}  // namespace
}  // namespace ssrd::isolates
