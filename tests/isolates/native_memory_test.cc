// Memory V8 does not count (native_memory_watch.h): the React example's ProductPage makes three
// Intl formatters a render, whose ICU objects V8 frees only at a full GC it has no reason to run.
// A worker's memory must level off however many pages it renders. Measured in renders and bytes,
// never in time.
#include <malloc.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "isolates/native_memory_watch.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::Props;

TEST(NativeMemoryTest, IntlFormattersMadeEveryRenderDoNotPileUp) {
  EngineOptions options;
  options.bundle_path = std::string(SSRD_REACT_APP_DIR) + "/dist/server.mjs";
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  // Few products: the JS garbage of a render stays small, as on a page of a few items, so the
  // JS heap alone gives V8 little reason for a full GC.
  const std::string props = Props(R"({"title":"Soak","count":3,"seed":1})");
  auto render = [&](int times) {
    for (int i = 0; i < times; ++i) {
      ipc::Result<RenderOutput> out = engine.value()->Render({"ProductPage", props, "/"}, nullptr);
      ASSERT_TRUE(out.ok()) << out.error().ToString();
      ASSERT_TRUE(engine.value()->PrepareNextRender().ok());
    }
  };
  render(200);  // warm-up: code compiled, caches filled
  const std::size_t warm = NativeMemoryWatch::MallocInUseBytes();
  constexpr int kRenders = 3000;
  render(kRenders);
  const std::size_t after = NativeMemoryWatch::MallocInUseBytes();
  const double per_render = (static_cast<double>(after) - static_cast<double>(warm)) / kRenders;
  // ~80 KB a render without the watch (240 MB here); with it, at most its growth mark plus what
  // the last renders since a GC made.
  EXPECT_LT(after, warm + NativeMemoryWatch::kDefaultGrowthBytes + (16u << 20))
      << "malloc'd memory grew by " << (after - warm) / 1024 << " KiB over " << kRenders
      << " renders (" << per_render / 1024 << " KiB a render)";
}

}  // namespace
}  // namespace ssrd::isolates
