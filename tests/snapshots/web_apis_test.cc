// The web APIs every worker provides (isolates/web), from a context that evaluated the bundle and
// from a startup snapshot of it. The expected texts are what Node 20 prints for the same bundle
// (tests/snapshots/bundles/web_apis.mjs), except for fetch, which Node has and workers refuse.
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

std::string Bundle(const std::string& name) { return std::string(SSRD_TEST_BUNDLES) + "/" + name; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class WebApis : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    isolates::EngineOptions options;
    options.bundle_path = Bundle("web_apis.mjs");
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
    if (!props.ok()) return "bad props: " + props.error().ToString();
    ipc::Result<isolates::RenderOutput> out =
        engine_->Render(isolates::RenderInput{component, props.value(), "/", false}, nullptr);
    if (!out.ok()) return "error: " + out.error().ToString();
    EXPECT_TRUE(engine_->PrepareNextRender().ok());
    return out.value().html;
  }

  std::unique_ptr<isolates::Engine> engine_;
};

TEST_P(WebApis, EveryApiIsAGlobal) {
  EXPECT_EQ(Html("Globals"),
            "URL:function URLSearchParams:function AbortController:function AbortSignal:function "
            "Event:function EventTarget:function CustomEvent:function DOMException:function "
            "Headers:function Request:function Response:function fetch:function "
            "TextEncoder:function TextDecoder:function");
  EXPECT_EQ(Html("LoadTime"), "https://load.example/path?x=1 false");
  // Installed before the guard's baseline: using them leaves nothing it objects to.
  EXPECT_EQ(engine_->context_resets(), 0u);
}

TEST_P(WebApis, UrlAndSearchParamsMatchTheTable) {
  const std::string table = ReadText(std::string(SSRD_TEST_VECTORS) + "/url_cases.json");
  ASSERT_NE(table.find("\"urls\""), std::string::npos);
  EXPECT_EQ(Html("UrlTable", table), "[]");
}

TEST_P(WebApis, AbortControllerAndEvents) {
  EXPECT_EQ(Html("Abort"),
            "aborted=false\n"
            "listener abort true\n"
            "once\n"
            "onabort\n"
            "reason true AbortError 20 This operation was aborted\n"
            "threw true\n"
            "custom reason why\n"
            "AbortSignal.abort true early\n"
            "timeout TimeoutError 23\n"
            "any true from b\n"
            "constructor TypeError\n"
            "dispatch false true\n"
            "handleEvent ping\n"
            "toStringTag [object AbortSignal]");
  EXPECT_EQ(engine_->context_resets(), 0u);
}

TEST_P(WebApis, HeadersRequestResponseAndARefusingFetch) {
  EXPECT_EQ(Html("Fetch"),
            "headers [[\"content-type\",\"text/html\"],[\"set-cookie\",\"a=1\"],"
            "[\"set-cookie\",\"b=2\"],[\"x-b\",\"1, 2\"]] 1, 2 true\n"
            "set-cookie [\"a=1\",\"b=2\"]\n"
            "bad name TypeError\n"
            "response 201 true text/plain;charset=UTF-8 z\n"
            "json {\"a\":[1,2]} used=true\n"
            "clone text {\"a\":[1,2]}\n"
            "reread TypeError\n"
            "Response.json 404 false application/json {\"ok\":true}\n"
            "bytes body hi\n"
            "request POST https://api.example/items?x=1 application/json "
            "text/plain;charset=UTF-8 payload\n"
            "relative TypeError\n"
            "GET body TypeError\n"
            "status RangeError\n"
            "fetch is function\n"
            "fetch TypeError: fetch is not available in ssrd workers: rendering has no network "
            "access (fetch(\"https://api.example/data\") was refused); load data before the "
            "render and pass it as props");
}

INSTANTIATE_TEST_SUITE_P(Contexts, WebApis, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

}  // namespace
}  // namespace ssrd::snapshots
