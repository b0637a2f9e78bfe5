// crypto.getRandomValues and crypto.randomUUID draw from the kernel (getrandom(2)) at every call:
// two workers restored from one startup snapshot, and two renders of one worker, never see the
// same values. What the bundle drew while it loaded is, by design, in the snapshot and so the same
// in every worker made from it (docs/architecture.md says so).
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "isolates/engine.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

struct Draw {
  std::string uuid;
  std::string bytes;
  std::string load_time_uuid;
  std::string math_random;
};

std::string Html(isolates::Engine* engine, const char* component) {
  ipc::Result<isolates::RenderOutput> out =
      engine->Render(isolates::RenderInput{component, "", "/", false}, nullptr);
  EXPECT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_TRUE(engine->PrepareNextRender().ok());
  return out.ok() ? out.value().html : "";
}

// Renders web_streams.mjs's Random component ("UUID HEX LOAD_TIME_UUID"), then MathRandom.
Draw Render(isolates::Engine* engine) {
  Draw draw;
  std::istringstream(Html(engine, "Random")) >> draw.uuid >> draw.bytes >> draw.load_time_uuid;
  draw.math_random = Html(engine, "MathRandom");
  return draw;
}

TEST(WebRandomness, WorkersFromOneSnapshotAndSuccessiveRendersDrawDifferentValues) {
  isolates::EngineOptions options;
  options.bundle_path = std::string(SSRD_TEST_BUNDLES) + "/web_streams.mjs";
  ipc::Result<std::string> blob = BuildSnapshotBlob(options);
  ASSERT_TRUE(blob.ok()) << blob.error().ToString();
  options.snapshot_blob = blob.value();

  std::vector<Draw> draws;
  for (isolates::Isolation isolation : {isolates::Isolation::kGuarded, isolates::Isolation::kGuarded,
                                        isolates::Isolation::kFresh}) {
    options.isolation = isolation;
    ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    for (int render = 0; render < 2; ++render) draws.push_back(Render(engine.value().get()));
  }

  std::set<std::string> uuids;
  std::set<std::string> bytes;
  std::set<std::string> math_randoms;
  for (const Draw& draw : draws) {
    EXPECT_EQ(draw.uuid.size(), 36u) << draw.uuid;
    EXPECT_EQ(draw.uuid[14], '4') << draw.uuid;
    EXPECT_EQ(draw.bytes.size(), 32u) << draw.bytes;
    uuids.insert(draw.uuid);
    bytes.insert(draw.bytes);
    math_randoms.insert(draw.math_random);
    // Drawn at load, before the snapshot was written: the same in every worker made from it.
    EXPECT_EQ(draw.load_time_uuid, draws.front().load_time_uuid);
  }
  EXPECT_EQ(uuids.size(), draws.size());
  EXPECT_EQ(bytes.size(), draws.size());
  // Not ours, but the same promise: V8 reseeds Math.random for each context it deserialises.
  EXPECT_EQ(math_randoms.size(), draws.size());
  EXPECT_EQ(draws.front().load_time_uuid.size(), 36u);
}

}  // namespace
}  // namespace ssrd::snapshots
