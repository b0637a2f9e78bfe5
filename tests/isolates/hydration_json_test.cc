// The engine's hydration JSON (RenderInput::hydration): what it holds, when it is taken, and how
// a value JSON.stringify refuses fails the render. The escaping and the element are worker/'s
// (tests/worker/hydration_script_test.cc).
#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::MustCreate;
using testing::Props;

ipc::Result<RenderOutput> RenderHydrated(Engine* engine, std::string_view component,
                                         const std::string& props) {
  RenderInput input;
  input.component = component;
  input.props_msgpack = props;
  input.hydration = true;
  return engine->Render(input, nullptr);
}

TEST(HydrationJsonTest, PropsAreTakenBeforeRenderRuns) {
  auto engine = MustCreate("hydration.mjs");
  ASSERT_NE(engine, nullptr);
  const std::string props = Props(R"({"name":"Ada","z":[1]})");
  auto out = RenderHydrated(engine.get(), "Mutate", props);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "<p>m</p>");
  EXPECT_EQ(out->hydration_json,
            R"({"component":"Mutate","props":{"name":"Ada","z":[1]},"data":{"seen":"changed"}})");
}

TEST(HydrationJsonTest, DataOfAnAsyncRender) {
  auto engine = MustCreate("hydration.mjs");
  ASSERT_NE(engine, nullptr);
  auto out = RenderHydrated(engine.get(), "AsyncData", Props("{}"));
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->hydration_json,
            R"({"component":"AsyncData","props":{},"data":[1,"two",{"three":3}]})");
}

TEST(HydrationJsonTest, NullAndToJsonValuesAreKept) {
  auto engine = MustCreate("hydration.mjs");
  ASSERT_NE(engine, nullptr);
  auto out = RenderHydrated(engine.get(), "NullData", Props("{}"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->hydration_json, R"({"component":"NullData","props":{},"data":null})");
  out = RenderHydrated(engine.get(), "DateData", Props("{}"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->hydration_json,
            R"({"component":"DateData","props":{},"data":{"when":"1970-01-01T00:00:00.000Z"}})");
  // A string result has no data.
  out = RenderHydrated(engine.get(), "Text", Props(R"({"k":"v"})"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->hydration_json, R"({"component":"Text","props":{"k":"v"}})");
}

TEST(HydrationJsonTest, ThrowsWhileReadingOrSerialisingDataAreJsErrors) {
  auto engine = MustCreate("hydration.mjs");
  ASSERT_NE(engine, nullptr);
  auto out = RenderHydrated(engine.get(), "ThrowingGetter", Props("{}"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(out.error().message, "Error: no data for you");
  out = RenderHydrated(engine.get(), "ThrowingToJSON", Props("{}"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(out.error().message, "cannot serialise the hydration data: RangeError: nope");
  EXPECT_NE(out.error().stack.find("toJSON"), std::string::npos) << out.error().stack;
  // Without hydration the getter is never read.
  RenderInput input;
  input.component = "ThrowingGetter";
  const std::string props = Props("{}");
  input.props_msgpack = props;
  auto plain = engine->Render(input, nullptr);
  ASSERT_TRUE(plain.ok()) << plain.error().ToString();
  EXPECT_EQ(plain->hydration_json, "");
}

}  // namespace
}  // namespace ssrd::isolates
