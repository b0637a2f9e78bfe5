// React's streaming renderer (renderToReadableStream) in a worker, from a context that evaluated
// the bundle and from a startup snapshot of it: the shell's first chunk arrives before the
// Suspense boundary's data, and the whole stream reads to exactly what Node 20 makes of the same
// bundle (bundles/react_streaming/expected.txt, checked against Node by
// isolates/web/test/react_streaming.test.mjs).
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ReactStreaming : public ::testing::TestWithParam<bool> {};

TEST_P(ReactStreaming, ASuspenseBoundaryStreamsThroughRenderToReadableStream) {
  const std::string expected = ReadText(SSRD_REACT_STREAMING_EXPECTED);
  ASSERT_NE(expected.find("<!DOCTYPE html>"), std::string::npos);
  isolates::EngineOptions options;
  options.bundle_path = SSRD_REACT_STREAMING_BUNDLE;
  if (GetParam()) {
    ipc::Result<std::string> blob = BuildSnapshotBlob(options);
    ASSERT_TRUE(blob.ok()) << blob.error().ToString();
    options.snapshot_blob = blob.value();
  }
  ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  ipc::Result<std::string> props = ipc::JsonToMsgpack(R"({"name":"Lamp","price":"12 €"})");
  ASSERT_TRUE(props.ok());
  // Twice: the second render runs in the context the first one left (guarded isolation).
  for (int render = 0; render < 2; ++render) {
    ipc::Result<isolates::RenderOutput> out = engine.value()->Render(
        isolates::RenderInput{"Page", props.value(), "/", false}, nullptr);
    ASSERT_TRUE(out.ok()) << out.error().ToString() << "\n" << out.error().stack;
    EXPECT_EQ(out.value().html, expected);
    EXPECT_TRUE(engine.value()->PrepareNextRender().ok());
  }
  EXPECT_EQ(engine.value()->context_resets(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Contexts, ReactStreaming, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

}  // namespace
}  // namespace ssrd::snapshots
