// Startup snapshots of a bundle and the isolation of a context per render: engines started from a
// snapshot render exactly what engines that evaluate the bundle render, and no render sees what
// an earlier one left behind in a fresh context (isolation_test.cc covers every mode).
#include "snapshots/snapshot_builder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "ipc/message.h"
#include "isolates/engine.h"

namespace ssrd::snapshots {
namespace {

std::string Bundle(const std::string& name) { return std::string(SSRD_TEST_BUNDLES) + "/" + name; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Props(const std::string& json) {
  ipc::Result<std::string> bytes = ipc::JsonToMsgpack(json);
  EXPECT_TRUE(bytes.ok()) << json;
  return bytes.ok() ? bytes.value() : std::string();
}

isolates::EngineOptions Options(const std::string& bundle) {
  isolates::EngineOptions options;
  options.bundle_path = bundle;
  options.node_env = "production";
  return options;
}

std::string MustBuild(const std::string& bundle) {
  ipc::Result<std::string> blob = BuildSnapshotBlob(Options(bundle));
  EXPECT_TRUE(blob.ok()) << (blob.ok() ? "" : blob.error().ToString());
  return blob.ok() ? blob.value() : std::string();
}

std::unique_ptr<isolates::Engine> MustCreate(isolates::EngineOptions options) {
  ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().ToString());
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

std::string Html(isolates::Engine* engine, const std::string& component, const std::string& json,
                 std::vector<ipc::ConsoleLine>* console = nullptr) {
  std::string props = Props(json);
  ipc::Result<isolates::RenderOutput> out =
      engine->Render(isolates::RenderInput{component, props, "/", false}, console);
  if (!out.ok()) return "error: " + out.error().ToString();
  return out.value().html;
}

// The two ways an engine gets its contexts: by evaluating the bundle, or from its snapshot.
class ContextSource : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<isolates::Engine> Create(const std::string& bundle,
                                           isolates::Isolation isolation) {
    isolates::EngineOptions options = Options(bundle);
    options.isolation = isolation;
    if (GetParam()) {
      options.snapshot_blob = MustBuild(bundle);
      if (options.snapshot_blob.empty()) return nullptr;
    }
    return MustCreate(options);
  }
};

TEST_P(ContextSource, AFreshContextPerRenderSeesNothingAnEarlierRenderLeft) {
  auto engine = Create(Bundle("leaky.mjs"), isolates::Isolation::kFresh);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Html(engine.get(), "Set", R"({"value":"secret-of-request-1"})"),
            "set secret-of-request-1");
  EXPECT_EQ(Html(engine.get(), "Get", "{}"), "global=undefined cache=");
  // Also when the next context was made ahead of time, as the worker does between requests.
  EXPECT_EQ(Html(engine.get(), "Set", R"({"value":"b"})"), "set b");
  ASSERT_TRUE(engine->PrepareNextRender().ok());
  EXPECT_EQ(Html(engine.get(), "Get", "{}"), "global=undefined cache=");
}

TEST_P(ContextSource, AReusedContextKeepsWhatRendersLeft) {
  auto engine = Create(Bundle("leaky.mjs"), isolates::Isolation::kShared);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Html(engine.get(), "Set", R"({"value":"a"})"), "set a");
  ASSERT_TRUE(engine->PrepareNextRender().ok());
  EXPECT_EQ(Html(engine.get(), "Set", R"({"value":"b"})"), "set b");
  EXPECT_EQ(Html(engine.get(), "Get", "{}"), "global=b cache=a,b");
}

TEST_P(ContextSource, TimersAndConsoleWorkInEveryContext) {
  auto engine = Create(Bundle("leaky.mjs"), isolates::Isolation::kFresh);
  ASSERT_NE(engine, nullptr);
  for (int i = 0; i < 3; ++i) {
    std::vector<ipc::ConsoleLine> console;
    EXPECT_EQ(Html(engine.get(), "Later", R"({"value":)" + std::to_string(i) + "}", &console),
              "later " + std::to_string(i));
    ASSERT_EQ(console.size(), 1u);
    EXPECT_EQ(console[0].level, "warn");
    EXPECT_EQ(console[0].text, "waiting");
  }
  EXPECT_EQ(Html(engine.get(), "Nope", "{}"), "error: not_found: Error: no component Nope");
}

TEST_P(ContextSource, TheReactAppRendersExactlyItsExpectedOutput) {
  const std::string app = SSRD_REACT_APP_DIR;
  for (isolates::Isolation isolation : {isolates::Isolation::kFresh, isolates::Isolation::kGuarded}) {
    auto engine = Create(app + "/dist/server.mjs", isolation);
    ASSERT_NE(engine, nullptr);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(Html(engine.get(), "Tiny", ReadText(app + "/expected/tiny.props.json")),
                ReadText(app + "/expected/tiny.html"));
      EXPECT_EQ(Html(engine.get(), "ProductPage",
                     ReadText(app + "/expected/product-page.props.json")),
                ReadText(app + "/expected/product-page.html"));
    }
    // Rendering the app leaves nothing behind that the guard objects to.
    EXPECT_EQ(engine->context_resets(), 0u) << isolates::IsolationName(isolation);
  }
}

INSTANTIATE_TEST_SUITE_P(Snapshots, ContextSource, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

TEST(SnapshotBuilderTest, ABundleThatDoesNotLoadIsABundleError) {
  ipc::Result<std::string> blob = BuildSnapshotBlob(Options(Bundle("missing.mjs")));
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.error().code, ipc::ErrorCode::kBundleError);
  EXPECT_NE(blob.error().message.find("cannot read bundle"), std::string::npos)
      << blob.error().message;
}

TEST(SnapshotBuilderTest, AnEngineRefusesABlobThatIsNoSnapshot) {
  isolates::EngineOptions options = Options(Bundle("leaky.mjs"));
  options.snapshot_blob = std::string(4096, 'x');
  ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.error().ToString(), "bundle_error: the startup snapshot is corrupt");
}

// V8 keeps Math.random's state in the context, and a snapshot holds a context: engines and fresh
// contexts made from one snapshot must still draw their own numbers. A number drawn while the
// bundle loaded is frozen into the snapshot like any load-time value.
TEST(SnapshotRandomTest, EnginesAndContextsFromOneSnapshotDrawTheirOwnNumbers) {
  const std::string bundle = Bundle("load_time.mjs");
  isolates::EngineOptions options = Options(bundle);
  options.snapshot_blob = MustBuild(bundle);
  ASSERT_FALSE(options.snapshot_blob.empty());
  auto first = MustCreate(options);
  auto second = MustCreate(options);
  options.isolation = isolates::Isolation::kFresh;
  auto fresh = MustCreate(options);
  ASSERT_TRUE(first && second && fresh);
  auto render_part = [](const std::string& draw) { return draw.substr(draw.find("\"render\"")); };
  auto loaded_part = [](const std::string& draw) { return draw.substr(0, draw.find("\"render\"")); };
  const std::string a = Html(first.get(), "Random", "{}");
  const std::string b = Html(second.get(), "Random", "{}");
  const std::string f1 = Html(fresh.get(), "Random", "{}");
  const std::string f2 = Html(fresh.get(), "Random", "{}");
  ASSERT_EQ(a.rfind("{\"loaded\":0.", 0), 0u) << a;
  EXPECT_NE(render_part(a), render_part(b));
  EXPECT_NE(render_part(f1), render_part(f2)) << "two fresh contexts of one engine";
  EXPECT_NE(render_part(f1), render_part(a));
  EXPECT_EQ(loaded_part(a), loaded_part(b));
  EXPECT_EQ(loaded_part(a), loaded_part(f2));
}

}  // namespace
}  // namespace ssrd::snapshots
