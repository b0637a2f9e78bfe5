// Engine::Create: the bundle kinds it accepts and the exact one-line error of each load failure.
#include <string>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::Bundle;
using testing::MustCreate;
using testing::Props;

ipc::Error CreateError(const std::string& bundle) {
  EngineOptions options;
  options.bundle_path = Bundle(bundle);
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  EXPECT_FALSE(engine.ok()) << bundle << " loaded";
  return engine.ok() ? ipc::Error{} : engine.error();
}

std::string RenderHtml(Engine* engine, std::string_view component) {
  std::string props = Props("{}");
  auto out = engine->Render({component, props, "/"}, nullptr);
  EXPECT_TRUE(out.ok()) << out.error().ToString();
  return out.ok() ? out->html : "";
}

TEST(EngineStartupTest, ClassicScriptProvidesAGlobalRender) {
  auto engine = MustCreate("classic.js");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(RenderHtml(engine.get(), "Card"), "classic:Card");
}

TEST(EngineStartupTest, JsFileWithExportsLoadsAsAModule) {
  auto engine = MustCreate("esm_named.js");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(RenderHtml(engine.get(), "Card"), "<b>Card</b>");
}

TEST(EngineStartupTest, TopLevelAwaitRunsTimersAndKeepsStartupConsole) {
  auto engine = MustCreate("tla.mjs");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(RenderHtml(engine.get(), "X"), "awaited");
  ASSERT_EQ(engine->startup_console().size(), 1u);
  EXPECT_EQ(engine->startup_console()[0].text, "loaded awaited");
}

TEST(EngineStartupTest, MissingBundle) {
  ipc::Error error = CreateError("nope.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message,
            "cannot read bundle " + Bundle("nope.mjs") + ": No such file or directory");
}

TEST(EngineStartupTest, SyntaxErrorNamesFileAndLine) {
  ipc::Error error = CreateError("syntax_error.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message, "SyntaxError: Unexpected token ';' at " + Bundle("syntax_error.mjs") + ":3");
}

TEST(EngineStartupTest, ModuleWithoutRender) {
  ipc::Error error = CreateError("no_render.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message, "bundle " + Bundle("no_render.mjs") + " does not export a render function");
}

TEST(EngineStartupTest, MissingRelativeImportIsNamed) {
  ipc::Error error = CreateError("missing_import.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message, "cannot import './lib/does-not-exist.mjs' from " +
                               Bundle("missing_import.mjs") + ": cannot read " +
                               Bundle("lib/does-not-exist.mjs") + ": No such file or directory");
}

TEST(EngineStartupTest, BareImportIsRefused) {
  ipc::Error error = CreateError("bare_import.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message,
            "bundle " + Bundle("bare_import.mjs") + " imports 'react': only relative imports are supported");
}

TEST(EngineStartupTest, TopLevelThrowNamesTheLine) {
  ipc::Error error = CreateError("load_throws.mjs");
  EXPECT_EQ(error.code, ipc::ErrorCode::kBundleError);
  EXPECT_EQ(error.message, "RangeError: bad config at " + Bundle("load_throws.mjs") + ":3");
}

TEST(EngineStartupTest, SeveralEnginesLiveSideBySide) {
  auto first = MustCreate("app.mjs");
  auto second = MustCreate("classic.js");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(RenderHtml(second.get(), "A"), "classic:A");
  EXPECT_EQ(RenderHtml(first.get(), "Full"), "<main>full</main>");
  first.reset();
  EXPECT_EQ(RenderHtml(second.get(), "B"), "classic:B");
}

}  // namespace
}  // namespace ssrd::isolates
