// The hydration <script> element: the escaping and element units, then every shared test vector
// (tests/vectors/hydration.json) through the engine and the request handler, the combine option,
// failures of JSON.stringify, and options the decoder refuses.
#include "worker/hydration_script.h"

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "worker/request_loop.h"

namespace ssrd::worker {
namespace {

// --- EscapeJsonForScript ------------------------------------------------------------------------

TEST(EscapeJsonForScriptTest, EscapesTheFiveCharacters) {
  EXPECT_EQ(EscapeJsonForScript(R"({"a":"</script>"})"), R"({"a":"\u003c/script\u003e"})");
  EXPECT_EQ(EscapeJsonForScript(R"("<!--<script>")"), R"("\u003c!--\u003cscript\u003e")");
  EXPECT_EQ(EscapeJsonForScript(R"("-->")"), R"("--\u003e")");
  EXPECT_EQ(EscapeJsonForScript(R"("&amp;")"), R"("\u0026amp;")");
  EXPECT_EQ(EscapeJsonForScript("\"a\u2028b\u2029c\""), R"("a\u2028b\u2029c")");
}

TEST(EscapeJsonForScriptTest, LeavesEverythingElseAlone) {
  const std::string untouched = R"({"k":[1,-2.5e3,true,null,"x\"\\\n\u0000"]})";
  EXPECT_EQ(EscapeJsonForScript(untouched), untouched);
  EXPECT_EQ(EscapeJsonForScript(""), "");
  // Non-ASCII stays UTF-8, including the neighbours of U+2028 (E2 80 A8): U+2027, U+202A, and
  // U+20AC (E2 82 AC) which shares the lead byte.
  const std::string utf8 = "\"Gr\u00fc\u00dfe \u65e5\u672c \U0001F600 \u2027\u202a\u20ac\"";
  EXPECT_EQ(EscapeJsonForScript(utf8), utf8);
}

TEST(EscapeJsonForScriptTest, TruncatedSequencesAtTheEndAreCopied) {
  EXPECT_EQ(EscapeJsonForScript("\xe2\x80"), "\xe2\x80");
  EXPECT_EQ(EscapeJsonForScript("\xe2"), "\xe2");
  EXPECT_EQ(EscapeJsonForScript("<\xe2\x80\xa9"), "\\u003c\\u2029");
}

// --- ScriptElement ------------------------------------------------------------------------------

TEST(ScriptElementTest, JsonElementWithDefaultsIdAndNonce) {
  EXPECT_EQ(ScriptElement({}, "{}"),
            R"(<script type="application/json" id="ssrd-data">{}</script>)");
  HydrationOptions options;
  options.id = "app:data";
  options.nonce = "abc+/=";
  EXPECT_EQ(ScriptElement(options, "[1]"),
            R"(<script type="application/json" id="app:data" nonce="abc+/=">[1]</script>)");
}

TEST(ScriptElementTest, GlobalModeIsAClassicScript) {
  HydrationOptions options;
  options.id = "ignored";
  options.global = "__DATA__";
  EXPECT_EQ(ScriptElement(options, "{}"), R"(<script>window["__DATA__"]={};</script>)");
  options.nonce = "n0";
  EXPECT_EQ(ScriptElement(options, "{}"), R"(<script nonce="n0">window["__DATA__"]={};</script>)");
}

// --- the shared vectors, through the engine and the request handler -----------------------------

std::string VectorPath(const std::string& name) {
  return std::string(SSRD_TEST_VECTORS) + "/" + name;
}

nlohmann::ordered_json LoadVectors() {
  std::ifstream file(VectorPath("hydration.json"));
  EXPECT_TRUE(file) << VectorPath("hydration.json");
  std::stringstream text;
  text << file.rdbuf();
  return nlohmann::ordered_json::parse(text.str());
}

std::unique_ptr<isolates::Engine> NewEngine() {
  isolates::EngineOptions options;
  options.bundle_path = VectorPath("hydration_bundle.mjs");
  auto engine = isolates::Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().ToString());
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

// A render request for one vector, through the real decoder (so the options' checks apply).
ipc::Request RequestFor(const nlohmann::ordered_json& vector, std::uint64_t id) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = vector.at("component").get<std::string>();
  request.props_msgpack = ipc::JsonToMsgpack(vector.at("props").dump()).value();
  request.hydrate = true;
  const auto& options = vector.at("options");
  if (options.contains("hydrate_id")) request.hydrate_id = options["hydrate_id"];
  if (options.contains("hydrate_global")) request.hydrate_global = options["hydrate_global"];
  if (options.contains("nonce")) request.nonce = options["nonce"];
  std::string frame;
  ipc::EncodeRequest(request, &frame);
  ipc::DecodeFailure failure;
  std::optional<ipc::Request> decoded = ipc::DecodeRequest(frame.substr(4), &failure);
  EXPECT_TRUE(decoded) << failure.error.ToString();
  return decoded.value_or(request);
}

TEST(HydrationVectorsTest, FileCoversTheHostileCases) {
  const nlohmann::ordered_json vectors = LoadVectors();
  ASSERT_TRUE(vectors.is_array());
  EXPECT_GE(vectors.size(), 20u);
  std::string all = vectors.dump();
  for (const char* needle : {"</script>", "</SCRIPT ", "<!--<script>", "-->", "&amp;",
                             "\\u2028", "\\u2029", "__proto__", "\\ud800", "nonce",
                             "hydrate_global"}) {
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
  }
}

TEST(HydrationVectorsTest, EveryVectorRendersItsExactScript) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  const nlohmann::ordered_json vectors = LoadVectors();
  std::uint64_t id = 100;
  for (const auto& vector : vectors) {
    const std::string name = vector.at("name");
    ipc::Reply reply = HandleRequest(RequestFor(vector, ++id), engine.get());
    ASSERT_TRUE(reply.ok()) << name << ": " << reply.error->ToString();
    EXPECT_EQ(reply.id, id) << name;
    EXPECT_EQ(reply.html, "<p>" + vector.at("component").get<std::string>() + "</p>") << name;
    EXPECT_EQ(reply.script, vector.at("script").get<std::string>()) << name;
    // Whatever the input, the element holds no "<" but its own tags' and no "&".
    const std::string& script = reply.script;
    const std::size_t body = script.find('>') + 1;
    const std::size_t end = script.rfind("</script>");
    ASSERT_LT(body, end) << name;
    const std::string inner = script.substr(body, end - body);
    EXPECT_EQ(inner.find_first_of("<>&"), std::string::npos) << name;
  }
}

TEST(HydrationVectorsTest, EngineProducesTheUnescapedJson) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  isolates::RenderInput input;
  input.component = "Data";
  const std::string props = ipc::JsonToMsgpack(R"({"a":"<b>"})").value();
  input.props_msgpack = props;
  input.hydration = true;
  auto out = engine->Render(input, nullptr);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->hydration_json,
            R"({"component":"Data","props":{"a":"<b>"},"data":)"
            R"({"note":"</script><!--<script>","n":1,"list":[true,null]}})");
  // V8's JSON.stringify is well-formed (ES2019): lone surrogates come out as escapes.
  input.component = "Surrogate";
  out = engine->Render(input, nullptr);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  EXPECT_EQ(out->hydration_json, R"({"component":"Surrogate","props":{"a":"<b>"},"data":)"
                                 R"({"s":"\ud800","t":"x\udfffy","pair":"😀"}})");
  // Not asked for: nothing.
  input.hydration = false;
  out = engine->Render(input, nullptr);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->hydration_json, "");
}

TEST(HydrationTest, CombinePutsTheScriptAfterTheHtml) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  ipc::Request request;
  request.id = 3;
  request.op = ipc::Op::kRender;
  request.component = "Greeting";
  request.props_msgpack = ipc::JsonToMsgpack(R"({"name":"</script>"})").value();
  request.hydrate = true;
  request.combine = true;
  request.nonce = "xyz";
  ipc::Reply reply = HandleRequest(request, engine.get());
  ASSERT_TRUE(reply.ok()) << reply.error->ToString();
  EXPECT_EQ(reply.html,
            "<p>Greeting</p><script type=\"application/json\" id=\"ssrd-data\" nonce=\"xyz\">"
            R"({"component":"Greeting","props":{"name":"\u003c/script\u003e"}}</script>)");
  EXPECT_EQ(reply.script, "");
  // The encoded reply then has no "script" key at all.
  std::string frame;
  ipc::EncodeReply(reply, &frame);
  EXPECT_EQ(frame.find("\xa6script"), std::string::npos);
  auto decoded = ipc::DecodeReply(frame.substr(4));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->html, reply.html);
  EXPECT_EQ(decoded->script, "");

  // Without hydrate, combine changes nothing and no script is made.
  request.hydrate = false;
  reply = HandleRequest(request, engine.get());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply.html, "<p>Greeting</p>");
  EXPECT_EQ(reply.script, "");
}

TEST(HydrationTest, NoHydrateMeansNoScript) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  ipc::Request request;
  request.id = 4;
  request.op = ipc::Op::kRender;
  request.component = "Data";
  request.props_msgpack = ipc::JsonToMsgpack("{}").value();
  ipc::Reply reply = HandleRequest(request, engine.get());
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply.html, "<p>Data</p>");
  EXPECT_EQ(reply.script, "");
}

TEST(HydrationTest, UnserialisableDataIsAJsError) {
  auto engine = NewEngine();
  ASSERT_NE(engine, nullptr);
  ipc::Request request;
  request.id = 5;
  request.op = ipc::Op::kRender;
  request.props_msgpack = ipc::JsonToMsgpack("{}").value();
  request.hydrate = true;
  request.component = "BigIntData";
  ipc::Reply reply = HandleRequest(request, engine.get());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(reply.error->message,
            "cannot serialise the hydration data: TypeError: Do not know how to serialize a "
            "BigInt");
  request.component = "CycleData";
  reply = HandleRequest(request, engine.get());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(reply.error->message.rfind(
                "cannot serialise the hydration data: TypeError: Converting circular structure "
                "to JSON",
                0),
            0u)
      << reply.error->message;
  // The same renders without hydration succeed: only the serialisation failed.
  request.hydrate = false;
  reply = HandleRequest(request, engine.get());
  EXPECT_TRUE(reply.ok());
  // Props beyond 2^53 become BigInt (msgpack_to_v8.h), which JSON cannot hold either.
  request.hydrate = true;
  request.component = "Greeting";
  request.props_msgpack = ipc::JsonToMsgpack(R"({"n":18446744073709551615})").value();
  reply = HandleRequest(request, engine.get());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error->code, ipc::ErrorCode::kJsError);
  // And the engine is still usable afterwards.
  request.props_msgpack = ipc::JsonToMsgpack("{}").value();
  reply = HandleRequest(request, engine.get());
  ASSERT_TRUE(reply.ok()) << reply.error->ToString();
  EXPECT_EQ(reply.script, R"(<script type="application/json" id="ssrd-data">)"
                          R"({"component":"Greeting","props":{}}</script>)");
}

}  // namespace
}  // namespace ssrd::worker
