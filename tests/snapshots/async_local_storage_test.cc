// AsyncLocalStorage (node:async_hooks and the global), from a context that evaluated the bundle
// and from a startup snapshot of it. The expected text is what Node 20 prints for the same bundle
// (tests/snapshots/bundles/async_local.mjs); unlike Node, a store entered with enterWith() never
// reaches the next render.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

class AsyncLocalStorage : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    isolates::EngineOptions options;
    options.bundle_path = std::string(SSRD_TEST_BUNDLES) + "/async_local.mjs";
    if (GetParam()) {
      ipc::Result<std::string> blob = BuildSnapshotBlob(options);
      ASSERT_TRUE(blob.ok()) << blob.error().ToString();
      options.snapshot_blob = blob.value();
    }
    ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(engine.value());
  }

  std::string Html(const std::string& component, const std::string& json = "{}") {
    ipc::Result<std::string> props = ipc::JsonToMsgpack(json);
    if (!props.ok()) return "bad props";
    ipc::Result<isolates::RenderOutput> out =
        engine_->Render(isolates::RenderInput{component, props.value(), "/", false}, nullptr);
    if (!out.ok()) return "error: " + out.error().ToString();
    EXPECT_TRUE(engine_->PrepareNextRender().ok());
    return out.value().html;
  }

  std::unique_ptr<isolates::Engine> engine_;
};

TEST_P(AsyncLocalStorage, AStoreFollowsAwaitPromiseCallbacksAndTimers) {
  for (const char* id : {"r1", "r2"}) {
    EXPECT_EQ(Html("Page", std::string(R"({"id":")") + id + "\"}"),
              std::string("sync=") + id + "\nawait=" + id + "\nthen=" + id + "\ntimer=" + id +
                  "\nmicrotask=" + id + "\nnested=inner\nafter nested=" + id +
                  "\nconcurrent=x,y\noutside=undefined\nbind=bound\ndynamic import true\n"
                  "same class true");
    EXPECT_EQ(Html("Leftover"), "store=undefined");
  }
}

// A known limit: a thenable's then() runs in a job of its own (PromiseResolveThenableJob), which
// V8 10.2 runs without the continuation-preserved data (V8 fixed that in 2024), so the store is
// missing inside then() (Node says "t" there) though it is back after the await. This test
// notices when a V8 upgrade closes the gap (docs/architecture.md).
TEST_P(AsyncLocalStorage, AThenableSeesNoStoreButWhatFollowsItsAwaitDoes) {
  EXPECT_EQ(Html("Thenable"), "inside then=undefined after await=t");
}

INSTANTIATE_TEST_SUITE_P(Contexts, AsyncLocalStorage, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

}  // namespace
}  // namespace ssrd::snapshots
