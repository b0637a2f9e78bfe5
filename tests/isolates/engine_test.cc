// Renders through the test bundle app.mjs (tests/isolates/bundles), one behaviour per component.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::Bundle;
using testing::MustCreate;
using testing::Props;

class EngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = MustCreate("app.mjs").release(); }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(engine_, nullptr); }

  ipc::Result<RenderOutput> Render(std::string_view component, const std::string& props = "{}",
                                   std::string_view url = "/") {
    std::string bytes = Props(props);
    console_.clear();
    return engine_->Render({component, bytes, url}, &console_);
  }

  static Engine* engine_;
  std::vector<ipc::ConsoleLine> console_;
};

Engine* EngineTest::engine_ = nullptr;

TEST_F(EngineTest, StringReturnIsTheHtml) {
  auto out = Render("Hello", R"({"name":"Ada"})");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "<p>Hello Ada</p>");
  EXPECT_EQ(out->head, "");
  EXPECT_EQ(out->status, 200u);
}

// Short strings take V8's own UTF-8 path, long ones (a page) are copied out and encoded by ssrd
// (isolates/utf16_to_utf8.h): both must give the same bytes, lone surrogates as U+FFFD.
TEST_F(EngineTest, APageOfAnyCharactersIsTheSameUtf8ShortOrLong) {
  const std::string piece = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBD" "b\xEF\xBF\xBD";
  const std::string replacement = "\xEF\xBF\xBD";
  for (int pieces : {1, 3, 2000, 9001}) {
    auto out = Render("Utf16Page", R"({"pieces":)" + std::to_string(pieces) + "}");
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    std::string expected;
    for (int i = 0; i < pieces; ++i) expected += piece;
    expected += replacement;
    EXPECT_EQ(out->html.size(), expected.size()) << pieces << " pieces";
    EXPECT_TRUE(out->html == expected) << pieces << " pieces";
  }
  for (int pieces : {2, 9001}) {
    auto out = Render("Utf16Page", R"({"latin1":true,"pieces":)" + std::to_string(pieces) + "}");
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    std::string expected;
    for (int i = 0; i < pieces; ++i) expected += "x\xC3\xA9<p>";
    EXPECT_TRUE(out->html == expected) << pieces << " Latin-1 pieces";
  }
}

TEST_F(EngineTest, ObjectReturnCarriesHeadAndStatus) {
  auto out = Render("Full");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "<main>full</main>");
  EXPECT_EQ(out->head, "<title>T</title>");
  EXPECT_EQ(out->status, 201u);
}

TEST_F(EngineTest, RequestCarriesComponentAndUrl) {
  auto out = Render("Request", "{}", "/products/7?x=1");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "Request|/products/7?x=1");
}

TEST_F(EngineTest, RequestCarriesTheNonceOnlyWhenThereIsOne) {
  auto without = Render("RequestKeys");
  ASSERT_TRUE(without.ok()) << without.error().ToString();
  EXPECT_EQ(without->html, "component,props,url|undefined");
  std::string bytes = Props("{}");
  RenderInput input{"RequestKeys", bytes, "/"};
  input.nonce = "r4nd0m";
  auto with = engine_->Render(input, &console_);
  ASSERT_TRUE(with.ok()) << with.error().ToString();
  EXPECT_EQ(with->html, "component,props,url,nonce|r4nd0m");
}

// The request object is made by a function compiled once per context (context_helpers.h): an
// object literal defines its keys, so setters a render left on Object.prototype never run.
TEST(EngineRequestTest, TheRequestAndTheResultIgnoreWhatARenderLeftOnObjectPrototype) {
  EngineOptions options;
  options.bundle_path = testing::Bundle("app.mjs");
  options.isolation = Isolation::kShared;
  auto engine = Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  std::string props = Props("{}");
  auto trapped = engine.value()->Render({"TrapObjectPrototype", props, "/"}, nullptr);
  ASSERT_TRUE(trapped.ok()) << trapped.error().ToString();
  for (const char* nonce : {"", "n0nce"}) {
    RenderInput input{"RequestKeys", props, "/"};
    input.nonce = nonce;
    auto out = engine.value()->Render(input, nullptr);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    EXPECT_EQ(out->html, *nonce ? "component,props,url,nonce|n0nce" : "component,props,url|undefined");
    auto full = engine.value()->Render({"Full", props, "/"}, nullptr);
    ASSERT_TRUE(full.ok()) << full.error().ToString();
    EXPECT_EQ(full->html, "<main>full</main>");
  }
}

TEST_F(EngineTest, ConsoleIsCapturedWithLevels) {
  auto out = Render("Console");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(console_.size(), 5u);
  EXPECT_EQ(console_[0].level, "log");
  EXPECT_EQ(console_[0].text, "log 1 { a: [ 1, 'x' ], b: null }");
  EXPECT_EQ(console_[1].level, "info");
  EXPECT_EQ(console_[1].text, "info n=42");
  EXPECT_EQ(console_[2].level, "warn");
  EXPECT_EQ(console_[2].text, "warn");
  EXPECT_EQ(console_[3].level, "error");
  EXPECT_EQ(console_[3].text, "error shown");
  EXPECT_EQ(console_[4].level, "debug");
  EXPECT_EQ(console_[4].text, "debug undefined true");
  // The next render starts with an empty console.
  auto again = Render("Hello", R"({"name":"x"})");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(console_.empty());
}

TEST_F(EngineTest, AsyncRenderRunsTimersAndPromiseChains) {
  auto out = Render("Async");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "t0,after10,t30,v20");
  EXPECT_EQ(out->status, 202u);
}

TEST_F(EngineTest, ThrownErrorIsJsErrorWithStackAndTheEngineStaysUsable) {
  auto out = Render("Throw");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(out.error().message, "Error: boom");
  EXPECT_NE(out.error().stack.find("throwingComponent"), std::string::npos) << out.error().stack;
  EXPECT_NE(out.error().stack.find("app.mjs"), std::string::npos) << out.error().stack;

  auto next = Render("Hello", R"({"name":"again"})");
  ASSERT_TRUE(next.ok()) << next.error().ToString();
  EXPECT_EQ(next->html, "<p>Hello again</p>");
}

TEST_F(EngineTest, RejectedPromiseIsJsError) {
  auto out = Render("Reject");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(out.error().message, "TypeError: nope");
  EXPECT_NE(out.error().stack.find("TypeError: nope"), std::string::npos);
}

TEST_F(EngineTest, NotFoundCodeBecomesNotFound) {
  auto out = Render("NotFound");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kNotFound);
  EXPECT_EQ(out.error().message, "Error: unknown component NotFound");

  auto unknown = Render("NoSuchComponent");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ipc::ErrorCode::kNotFound);
}

TEST_F(EngineTest, ProtoKeyInPropsIsAnOwnPropertyAndPrototypeIsUntouched) {
  auto out = Render("Proto", R"({"__proto__":{"polluted":true},"a":1})");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html,
            "own=true;protoIsObject=true;value={\"polluted\":true};polluted=no;keys=__proto__+a");
}

TEST_F(EngineTest, UnicodePropsRoundTrip) {
  const std::string json = R"({"s":"héllo wörld — 日本語 😀 \u2028","k😀":["ü",1.5,-3,true,null]})";
  auto out = Render("Echo", json);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "{\"s\":\"héllo wörld — 日本語 😀 \u2028\",\"k😀\":[\"ü\",1.5,-3,true,null]}");
}

TEST_F(EngineTest, IntegersBinAndNilConvertDirectly) {
  std::stringstream buffer;
  msgpack::packer<std::stringstream> pk(buffer);
  pk.pack_map(6);
  pk.pack("big");
  pk.pack_uint64(18446744073709551615ull);
  pk.pack("safe");
  pk.pack_uint64(9007199254740991ull);
  pk.pack("neg");
  pk.pack_int64(-9007199254740993ll);
  pk.pack("bin");
  pk.pack_bin(3);
  pk.pack_bin_body("\x01\x02\xff", 3);
  pk.pack("nil");
  pk.pack_nil();
  pk.pack("f");
  pk.pack_double(0.25);
  std::string bytes = buffer.str();
  auto out = engine_->Render({"Types", bytes, "/"}, nullptr);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html,
            "bigint:18446744073709551615;number:9007199254740991;bigint:-9007199254740993;"
            "true:1,2,255;true;0.25");
}

TEST_F(EngineTest, DeeplyNestedPropsAreRefused) {
  std::string json;
  for (int i = 0; i < 600; ++i) json += "[";
  for (int i = 0; i < 600; ++i) json += "]";
  std::string bytes = Props(json);
  ASSERT_FALSE(bytes.empty());
  auto out = engine_->Render({"Echo", bytes, "/"}, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kBadRequest);
  EXPECT_EQ(out.error().message, "props nested too deeply");
}

TEST_F(EngineTest, InvalidPropsBytesAreBadRequest) {
  auto out = engine_->Render({"Echo", std::string("\xc1", 1), "/"}, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kBadRequest);
}

TEST_F(EngineTest, IntlFormatsWithFullIcuData) {
  auto out = Render("Intl");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html, "1.234,50\u00a0€|1 January 1970");
}

TEST_F(EngineTest, WebApisWork) {
  auto out = Render("Web");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->html,
            "11;h€llo😀;2/4;h|€llo😀;TypeError;sync>micro>message:m;true;test-env;true;"
            "function/undefined");
}

TEST_F(EngineTest, PromiseThatCanNeverSettleIsATimeoutAtOnce) {
  auto out = Render("Never");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kTimeout);
  EXPECT_EQ(out.error().message,
            "render of Never can never finish: its promise is pending with no timer or microtask "
            "left");
}

TEST_F(EngineTest, ThrowInATimerFailsTheRender) {
  auto out = Render("TimerThrow");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(out.error().message, "Error: late");
}

TEST_F(EngineTest, TimersLeftBehindAreDropped) {
  auto out = Render("Leak");
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  // The interval is gone: a promise that waits on nothing is reported stuck at once instead of
  // the loop spinning on the leaked interval forever.
  auto never = Render("Never");
  ASSERT_FALSE(never.ok());
  EXPECT_EQ(never.error().code, ipc::ErrorCode::kTimeout);
  EXPECT_NE(never.error().message.find("can never finish"), std::string::npos)
      << never.error().message;
}

TEST(EngineOomTest, HeapLimitFailsTheRenderAndPoisonsTheEngine) {
  std::unique_ptr<Engine> engine = MustCreate("app.mjs", 24);
  ASSERT_NE(engine, nullptr);
  EXPECT_FALSE(engine->poisoned());
  std::string props = Props("{}");
  auto out = engine->Render({"Grow", props, "/"}, nullptr);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code, ipc::ErrorCode::kOutOfMemory);
  EXPECT_TRUE(engine->poisoned());
  auto next = engine->Render({"Hello", Props(R"({"name":"x"})"), "/"}, nullptr);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code, ipc::ErrorCode::kOutOfMemory);
}

}  // namespace
}  // namespace ssrd::isolates
