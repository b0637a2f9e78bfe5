// import() of files inside the bundle's directory, from a context that evaluated the bundle and
// from a startup snapshot of it: the same module instance as a static import, loaded from disk
// when the snapshot does not hold it, and a clear refusal for everything outside the bundle.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

const std::string kBundles = SSRD_TEST_BUNDLES;

std::string WithoutBundlesDir(std::string text) {
  for (std::size_t at = text.find(kBundles); at != std::string::npos; at = text.find(kBundles)) {
    text.replace(at, kBundles.size(), "BUNDLES");
  }
  return text;
}

class DynamicImport : public ::testing::TestWithParam<bool> {
 protected:
  std::unique_ptr<isolates::Engine> Create(const std::string& bundle,
                                           isolates::Isolation isolation) {
    isolates::EngineOptions options;
    options.bundle_path = kBundles + "/" + bundle;
    options.isolation = isolation;
    if (GetParam()) {
      ipc::Result<std::string> blob = BuildSnapshotBlob(options);
      EXPECT_TRUE(blob.ok()) << blob.error().ToString();
      if (!blob.ok()) return nullptr;
      options.snapshot_blob = blob.value();
    }
    ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
    EXPECT_TRUE(engine.ok()) << engine.error().ToString();
    return engine.ok() ? std::move(engine.value()) : nullptr;
  }

  static std::string Html(isolates::Engine* engine, const std::string& component,
                          const std::string& json = "{}") {
    ipc::Result<std::string> props = ipc::JsonToMsgpack(json);
    if (!props.ok()) return "bad props";
    ipc::Result<isolates::RenderOutput> out =
        engine->Render(isolates::RenderInput{component, props.value(), "/", false}, nullptr);
    if (!out.ok()) return "error: " + out.error().ToString();
    EXPECT_TRUE(engine->PrepareNextRender().ok());
    return WithoutBundlesDir(out.value().html);
  }
};

TEST_P(DynamicImport, AFileImportedBothWaysIsOneModuleInstance) {
  for (isolates::Isolation isolation : {isolates::Isolation::kGuarded, isolates::Isolation::kFresh}) {
    auto engine = Create("split/entry.mjs", isolation);
    ASSERT_NE(engine, nullptr);
    EXPECT_EQ(Html(engine.get(), "Same"), "true 1 1") << isolates::IsolationName(isolation);
  }
}

TEST_P(DynamicImport, AChunkLoadedOnlyAtRenderTimeComesFromDisk) {
  for (isolates::Isolation isolation : {isolates::Isolation::kGuarded, isolates::Isolation::kFresh}) {
    auto engine = Create("split/entry.mjs", isolation);
    ASSERT_NE(engine, nullptr);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(Html(engine.get(), "Lazy", R"({"name":"ada"})"), "hello ada true true true");
      EXPECT_EQ(Html(engine.get(), "Computed", R"({"chunk":"lazy","name":"bo"})"), "hello bo");
    }
    EXPECT_EQ(engine->context_resets(), 0u);
  }
}

TEST_P(DynamicImport, AChunkThatThrowsRejectsTheImport) {
  auto engine = Create("split/entry.mjs", isolates::Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Html(engine.get(), "Throws"), "caught chunk failed to load");
}

TEST_P(DynamicImport, WhatIsOutsideTheBundleIsRefusedWithTheSpecifierAndWhy) {
  auto engine = Create("split/entry.mjs", isolates::Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  const std::string from = "' from BUNDLES/split/entry.mjs: ";
  EXPECT_EQ(Html(engine.get(), "Refused"),
            "Error: cannot import '../outside.mjs" + from +
                "BUNDLES/outside.mjs is outside the bundle's directory BUNDLES/split\n"
                "Error: cannot import 'node:fs" + from +
                "node: modules are not available in ssrd workers (only node:async_hooks is)\n"
                "Error: cannot import 'https://cdn.example/x.js" + from +
                "URLs cannot be imported (renders have no network)\n"
                "Error: cannot import 'react" + from +
                "bare specifiers are not resolved (the bundle must include its dependencies)\n"
                "Error: cannot import './chunks/missing.mjs" + from +
                "cannot read BUNDLES/split/chunks/missing.mjs: No such file or directory\n"
                "Error: cannot import 'file:///etc/passwd" + from +
                "URLs cannot be imported (renders have no network)");
}

TEST_P(DynamicImport, AnImportAtLoadTimeIsPartOfTheBundle) {
  auto engine = Create("split_tla/entry.mjs", isolates::Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Html(engine.get(), "Page"), "early chunk load");
}

TEST_P(DynamicImport, ANamespaceObjectMadeWhileLoadingIsSnapshotted) {
  auto engine = Create("namespace_import.mjs", isolates::Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Html(engine.get(), "Any", R"({"name":"Ada"})"), "<p>hello, Ada</p>");
}

INSTANTIATE_TEST_SUITE_P(Contexts, DynamicImport, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

TEST(DynamicImportSnapshotTest, FilesImportedAtLoadTimeAreRecordedSources) {
  isolates::EngineOptions options;
  options.bundle_path = kBundles + "/split_tla/entry.mjs";
  std::map<std::string, std::uint64_t> sources;
  ipc::Result<std::string> blob = BuildSnapshotBlob(options, nullptr, &sources);
  ASSERT_TRUE(blob.ok()) << blob.error().ToString();
  EXPECT_EQ(sources.count(kBundles + "/split_tla/entry.mjs"), 1u);
  EXPECT_EQ(sources.count(kBundles + "/split_tla/chunks/early.mjs"), 1u);
  EXPECT_EQ(sources.size(), 2u);
}

}  // namespace
}  // namespace ssrd::snapshots
