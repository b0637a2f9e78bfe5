// The young generation is collected between renders when the next render would not fit in it
// (young_generation_tidy.h): after most renders of a page that allocates megabytes, seldom after
// small ones, and the flag V8 asks for on the way never shows up in a context. Counted in
// collections, never timed.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::MustCreate;
using testing::Props;

std::unique_ptr<Engine> ReactEngine(Isolation isolation) {
  EngineOptions options;
  options.bundle_path = std::string(SSRD_REACT_APP_DIR) + "/dist/server.mjs";
  options.isolation = isolation;
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << engine.error().ToString();
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

void RenderTimes(Engine* engine, const std::string& component, const std::string& props,
                 int times) {
  for (int i = 0; i < times; ++i) {
    ipc::Result<RenderOutput> out = engine->Render({component, props, "/"}, nullptr);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    ASSERT_TRUE(engine->PrepareNextRender().ok());
  }
}

TEST(YoungGenerationTidyTest, APageThatFillsTheYoungGenerationIsFollowedByACollection) {
  std::unique_ptr<Engine> engine = ReactEngine(Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  const std::string page = Props(R"({"title":"Tidy","count":300,"seed":1})");
  RenderTimes(engine.get(), "ProductPage", page, 10);  // the young generation finds its size
  const std::uint64_t before = engine->young_generation_tidies();
  RenderTimes(engine.get(), "ProductPage", page, 40);
  // Each page allocates megabytes: nearly every one leaves too little room for the next.
  EXPECT_GE(engine->young_generation_tidies() - before, 30u);
}

TEST(YoungGenerationTidyTest, SmallRendersCollectOnlyWhenTheSpaceIsNearlyFull) {
  std::unique_ptr<Engine> engine = ReactEngine(Isolation::kGuarded);
  ASSERT_NE(engine, nullptr);
  const std::string tiny = Props(R"({"name":"Ada"})");
  RenderTimes(engine.get(), "Tiny", tiny, 200);
  const std::uint64_t before = engine->young_generation_tidies();
  constexpr int kRenders = 2000;
  RenderTimes(engine.get(), "Tiny", tiny, kRenders);
  // A few KB a render: a collection every few hundred renders, not one per render.
  EXPECT_LT(engine->young_generation_tidies() - before, kRenders / 20u);
}

// Once its reply is made, nothing may keep a render's result alive: the collection after the
// render would promote it, and the old generation would fill with the html of past pages.
TEST(YoungGenerationTidyTest, TheResultOfARenderDoesNotOutliveIt) {
  for (bool wrapped : {false, true}) {
    SCOPED_TRACE(wrapped ? "{html}" : "string");
    std::unique_ptr<Engine> engine = MustCreate("app.mjs");
    ASSERT_NE(engine, nullptr);
    RenderTimes(engine.get(), "Hello", Props(R"({"name":"x"})"), 3);
    const std::size_t before = engine->heap_used();
    constexpr std::size_t kBytes = 8u << 20;
    const std::string big = Props(std::string(R"({"bytes":)") + std::to_string(kBytes) +
                                  R"(,"wrapped":)" + (wrapped ? "true" : "false") + "}");
    const std::uint64_t tidies = engine->young_generation_tidies();
    RenderTimes(engine.get(), "BigString", big, 1);
    ASSERT_GT(engine->young_generation_tidies(), tidies);  // the collection ran
    // heap_used() is read at most once a millisecond: this one must be read after the render.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    EXPECT_LT(engine->heap_used(), before + kBytes / 2)
        << "the " << kBytes << "-character result is still on the heap after the collection";
  }
}

TEST(YoungGenerationTidyTest, NoContextEverSeesTheGcFunctionTheCollectionAsksFor) {
  for (Isolation isolation : {Isolation::kFresh, Isolation::kGuarded}) {
    SCOPED_TRACE(static_cast<int>(isolation));
    EngineOptions options;
    options.bundle_path = testing::Bundle("app.mjs");
    options.isolation = isolation;
    ipc::Result<std::unique_ptr<Engine>> made = Engine::Create(options);
    ASSERT_TRUE(made.ok()) << made.error().ToString();
    Engine* engine = made.value().get();
    const std::string page = Props(R"({"title":"Tidy","count":300,"seed":1})");
    // A render that fills the young generation, so that a collection runs; then contexts made
    // after it (fresh: every render) must not have a global gc().
    std::unique_ptr<Engine> react = ReactEngine(isolation);
    ASSERT_NE(react, nullptr);
    RenderTimes(react.get(), "ProductPage", page, 5);
    ASSERT_GT(react->young_generation_tidies(), 0u);
    for (int i = 0; i < 3; ++i) {
      ipc::Result<RenderOutput> out = engine->Render({"GcGlobal", Props("{}"), "/"}, nullptr);
      ASSERT_TRUE(out.ok()) << out.error().ToString();
      EXPECT_EQ(out->html, "undefined");
      ASSERT_TRUE(engine->PrepareNextRender().ok());
    }
  }
}

}  // namespace
}  // namespace ssrd::isolates
