// The protocol v1 message schema: round trips, a table of malformed requests, the reply id patch,
// and the test vectors published in docs/protocol.md.
#include "ipc/message.h"

#include <gtest/gtest.h>

#include <fstream>
#include <msgpack.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "ipc/frame.h"

namespace ssrd::ipc {
namespace {

// --- building raw MessagePack by hand, so malformed shapes are easy to write ---------------------

std::string Pack(const auto& value) {
  msgpack::sbuffer buffer;
  msgpack::pack(buffer, value);
  return {buffer.data(), buffer.size()};
}
std::string S(std::string_view s) {
  return Pack(std::string(s));
}
std::string U(std::uint64_t n) {
  return Pack(n);
}
std::string I(std::int64_t n) {
  return Pack(n);
}
const std::string kNil = "\xc0";

// A map from already-encoded keys to already-encoded values.
std::string MapOf(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out;
  if (entries.size() < 16) {
    out += static_cast<char>(0x80 | entries.size());
  } else {
    out += '\xde';
    out += static_cast<char>(entries.size() >> 8);
    out += static_cast<char>(entries.size());
  }
  for (const auto& [k, v] : entries) out += k + v;
  return out;
}

std::string Payload(const std::string& frame) {
  return frame.substr(kFrameHeaderBytes);
}

std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (i > 0) out += (i % 16 == 0) ? '\n' : ' ';
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

Request MustDecode(const std::string& payload) {
  DecodeFailure failure;
  std::optional<Request> request = DecodeRequest(payload, &failure);
  EXPECT_TRUE(request.has_value()) << failure.error.ToString();
  return request.value_or(Request{});
}

Request RoundTrip(const Request& request) {
  std::string frame;
  EncodeRequest(request, &frame);
  return MustDecode(Payload(frame));
}

Reply ReplyRoundTrip(const Reply& reply) {
  std::string frame;
  EncodeReply(reply, &frame);
  Result<Reply> decoded = DecodeReply(Payload(frame));
  EXPECT_TRUE(decoded.ok()) << decoded.error().ToString();
  return decoded.ok() ? decoded.value() : Reply{};
}

// --- errors
// ---------------------------------------------------------------------------------------

TEST(ErrorTest, EveryCodeNameRoundTrips) {
  const std::vector<std::pair<ErrorCode, std::string>> codes = {
      {ErrorCode::kBadRequest, "bad_request"},     {ErrorCode::kNotFound, "not_found"},
      {ErrorCode::kJsError, "js_error"},           {ErrorCode::kTimeout, "timeout"},
      {ErrorCode::kOverloaded, "overloaded"},      {ErrorCode::kWorkerCrashed, "worker_crashed"},
      {ErrorCode::kOutOfMemory, "out_of_memory"},  {ErrorCode::kTooLarge, "too_large"},
      {ErrorCode::kShuttingDown, "shutting_down"}, {ErrorCode::kBundleError, "bundle_error"},
      {ErrorCode::kUnavailable, "unavailable"},    {ErrorCode::kCancelled, "cancelled"},
      {ErrorCode::kForbidden, "forbidden"},        {ErrorCode::kUnauthorized, "unauthorized"},
      {ErrorCode::kInternal, "internal"}};
  for (const auto& [code, name] : codes) {
    EXPECT_EQ(ErrorCodeName(code), name);
    EXPECT_EQ(ErrorCodeFromName(name), code);
  }
  EXPECT_FALSE(ErrorCodeFromName("Bad_Request").has_value());
  EXPECT_FALSE(ErrorCodeFromName("").has_value());
  EXPECT_EQ(MakeError(ErrorCode::kTimeout, "took 5s").ToString(), "timeout: took 5s");
}

// --- requests
// -------------------------------------------------------------------------------------

TEST(RequestTest, RenderRoundTripsEveryField) {
  Request in;
  in.id = 0xFFFFFFFFFFFFFFFFull;
  in.op = Op::kRender;
  in.component = "pages/Home";
  in.props_msgpack = JsonToMsgpack(R"({"user":{"name":"Ada","tags":[1,2.5,null,true]}})").value();
  in.url = "/home?x=1";
  in.timeout_ms = 4294967295u;
  const Request out = RoundTrip(in);
  EXPECT_EQ(out.id, in.id);
  EXPECT_EQ(out.op, Op::kRender);
  EXPECT_EQ(out.component, in.component);
  EXPECT_EQ(out.props_msgpack, in.props_msgpack);
  EXPECT_EQ(out.url, in.url);
  EXPECT_EQ(out.timeout_ms, in.timeout_ms);
}

TEST(RequestTest, RenderDefaults) {
  Request in;
  in.id = 3;
  in.op = Op::kRender;
  in.component = "A";  // props left empty: encoded as an empty map
  const Request out = RoundTrip(in);
  EXPECT_EQ(out.props_msgpack, "\x80");
  EXPECT_EQ(out.url, "");
  EXPECT_EQ(out.timeout_ms, 0u);
}

TEST(RequestTest, PingStatsCancelRoundTrip) {
  for (Op op : {Op::kPing, Op::kStats, Op::kCancel}) {
    Request in;
    in.id = 77;
    in.op = op;
    in.target_id = op == Op::kCancel ? 76 : 0;
    const Request out = RoundTrip(in);
    EXPECT_EQ(out.id, 77u) << OpName(op);
    EXPECT_EQ(out.op, op) << OpName(op);
    EXPECT_EQ(out.target_id, in.target_id) << OpName(op);
  }
  Request cancel_zero;
  cancel_zero.op = Op::kCancel;  // target 0 is a real id, not "absent"
  EXPECT_EQ(RoundTrip(cancel_zero).target_id, 0u);
}

// A field of another op is checked but dropped, so that a request re-encodes to itself (found by
// fuzz/request_fuzz.cc: a render with "target" lost it on the way to the worker).
TEST(RequestTest, FieldsOfAnotherOpAreDropped) {
  DecodeFailure failure;
  std::optional<Request> render = DecodeRequest(
      MapOf({{S("id"), U(1)}, {S("op"), S("render")}, {S("component"), S("C")},
             {S("target"), U(115)}, {S("token"), S("t")}}),
      &failure);
  ASSERT_TRUE(render) << failure.error.message;
  EXPECT_EQ(render->target_id, 0u);
  EXPECT_EQ(render->token, "");
  EXPECT_EQ(RoundTrip(*render).target_id, 0u);
  std::optional<Request> ping = DecodeRequest(
      MapOf({{S("id"), U(2)}, {S("op"), S("ping")}, {S("component"), S("C")}, {S("hydrate"), Pack(true)},
             {S("retry"), Pack(false)}, {S("url"), S("/u")}, {S("target"), U(3)}}),
      &failure);
  ASSERT_TRUE(ping) << failure.error.message;
  EXPECT_EQ(ping->component, "");
  EXPECT_FALSE(ping->hydrate);
  EXPECT_TRUE(ping->retry);
  EXPECT_EQ(ping->url, "");
  EXPECT_EQ(ping->target_id, 0u);
  // Still checked: a wrong type is refused whatever the op.
  EXPECT_FALSE(DecodeRequest(MapOf({{S("id"), U(3)}, {S("op"), S("ping")}, {S("target"), S("x")}}),
                             &failure));
  EXPECT_EQ(failure.error.message, "field \"target\" must be an unsigned integer");
}

TEST(RequestTest, OpNames) {
  EXPECT_EQ(OpName(Op::kRender), "render");
  EXPECT_EQ(OpName(Op::kPing), "ping");
  EXPECT_EQ(OpName(Op::kStats), "stats");
  EXPECT_EQ(OpName(Op::kCancel), "cancel");
}

TEST(RequestTest, AcceptsAnyIntegerEncodingOfId) {
  const std::vector<std::pair<std::string, std::uint64_t>> ids = {
      {"\x05", 5},
      {std::string("\xcc\xff", 2), 255},
      {std::string("\xcd\x01\x00", 3), 256},
      {std::string("\xd0\x05", 2), 5},  // int8 holding a non-negative value
      {std::string("\xd3\x00\x00\x00\x00\x00\x00\x00\x07", 9), 7},
      {std::string("\xcf\x00\x00\x00\x00\x00\x00\x00\x00", 9), 0},
  };
  for (const auto& [encoded, id] : ids) {
    EXPECT_EQ(MustDecode(MapOf({{S("id"), encoded}, {S("op"), S("ping")}})).id, id) << Hex(encoded);
  }
}

TEST(RequestTest, OptionalFieldsAcceptNilAndUnknownKeysAreIgnored) {
  const Request r = MustDecode(MapOf({{S("id"), U(1)},
                                      {S("op"), S("render")},
                                      {S("component"), S("C")},
                                      {S("props"), kNil},
                                      {S("url"), kNil},
                                      {S("timeout_ms"), kNil},
                                      {S("v"), kNil},
                                      {S("future_key"), Pack(std::vector<int>{1, 2})}}));
  EXPECT_EQ(r.id, 1u);
  EXPECT_EQ(r.component, "C");
  EXPECT_EQ(r.props_msgpack, "\x80");
  EXPECT_EQ(r.url, "");
  EXPECT_EQ(r.timeout_ms, 0u);
}

TEST(RequestTest, VersionOneIsAccepted) {
  EXPECT_EQ(MustDecode(MapOf({{S("v"), U(1)}, {S("id"), U(4)}, {S("op"), S("stats")}})).op,
            Op::kStats);
}

TEST(RequestTest, Map16HeaderIsAccepted) {
  std::vector<std::pair<std::string, std::string>> entries = {{S("id"), U(12)},
                                                              {S("op"), S("ping")}};
  for (int i = 0; i < 20; ++i) entries.emplace_back(S("extra" + std::to_string(i)), U(i));
  const std::string payload = MapOf(entries);
  ASSERT_EQ(static_cast<unsigned char>(payload[0]), 0xde);
  EXPECT_EQ(MustDecode(payload).id, 12u);
}

TEST(RequestTest, PropsBytesPassThroughVerbatim) {
  // str8 for a 3-byte string is not the shortest encoding: a decoder that re-packed props would
  // rewrite it as a fixstr.
  const std::string props = std::string("\x81\xa4name\xd9\x03", 8) + "Ada";
  const Request r = MustDecode(MapOf(
      {{S("id"), U(1)}, {S("op"), S("render")}, {S("component"), S("C")}, {S("props"), props}}));
  EXPECT_EQ(r.props_msgpack, props);
  // And EncodeRequest writes them back untouched.
  std::string frame;
  EncodeRequest(r, &frame);
  EXPECT_NE(frame.find(props), std::string::npos);
}

TEST(RequestTest, ProtoKeySurvivesInPropsBytes) {
  const std::string props =
      JsonToMsgpack(R"({"__proto__":{"isAdmin":true},"constructor":"x","a":1})").value();
  Request in;
  in.id = 9;
  in.op = Op::kRender;
  in.component = "C";
  in.props_msgpack = props;
  const Request out = RoundTrip(in);
  ASSERT_EQ(out.props_msgpack, props);
  msgpack::object_handle handle =
      msgpack::unpack(out.props_msgpack.data(), out.props_msgpack.size());
  const msgpack::object& map = handle.get();
  ASSERT_EQ(map.type, msgpack::type::MAP);
  ASSERT_EQ(map.via.map.size, 3u);
  EXPECT_EQ(map.via.map.ptr[0].key.as<std::string>(), "__proto__");
  EXPECT_EQ(map.via.map.ptr[0].val.type, msgpack::type::MAP);
  EXPECT_EQ(map.via.map.ptr[1].key.as<std::string>(), "constructor");
}

struct BadCase {
  const char* name;
  std::string payload;
  std::string message;
  std::optional<std::uint64_t> id;
};

void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

class MalformedRequestTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedRequestTest, FailsWithBadRequest) {
  const BadCase& c = GetParam();
  DecodeFailure failure;
  failure.id = 123456;  // must be overwritten, also when no id can be read
  EXPECT_FALSE(DecodeRequest(c.payload, &failure).has_value());
  EXPECT_EQ(failure.error.code, ErrorCode::kBadRequest);
  EXPECT_EQ(failure.error.message, c.message);
  EXPECT_EQ(failure.id, c.id);
  // A null failure pointer is allowed.
  EXPECT_FALSE(DecodeRequest(c.payload, nullptr).has_value());
}

const std::string kPing7 = MapOf({{S("id"), U(7)}, {S("op"), S("ping")}});

std::string Deep(int levels) {
  return std::string(static_cast<std::size_t>(levels), '\x91') + "\x01";
}

std::string Render(std::vector<std::pair<std::string, std::string>> extra) {
  std::vector<std::pair<std::string, std::string>> entries = {
      {S("id"), U(7)}, {S("op"), S("render")}, {S("component"), S("C")}};
  for (auto& e : extra) entries.push_back(std::move(e));
  return MapOf(entries);
}

std::string Field(std::string_view name, std::string_view what) {
  return "field \"" + std::string(name) + "\" must be " + std::string(what);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MalformedRequestTest,
    ::testing::Values(
        BadCase{"Empty", "", "invalid MessagePack", std::nullopt},
        BadCase{"NeverUsedByte", "\xc1", "invalid MessagePack", std::nullopt},
        BadCase{"TruncatedArray", std::string("\x93\x01\x02", 3), "invalid MessagePack",
                std::nullopt},
        BadCase{"TruncatedMap", std::string("\x82\xa2id\x07", 5), "invalid MessagePack", 7},
        BadCase{"TruncatedMap16Header", std::string("\xde\x00", 2), "invalid MessagePack",
                std::nullopt},
        BadCase{"GarbageAfterId", std::string("\x82\xa2id\x07\xc1", 6), "invalid MessagePack", 7},
        BadCase{"HugeArrayClaim", "\xdd\xff\xff\xff\xff", "invalid MessagePack", std::nullopt},
        BadCase{"HugeArrayClaimInProps",
                MapOf({{S("id"), U(7)}, {S("props"), "\xdd\xff\xff\xff\xff"}}),
                "invalid MessagePack", 7},
        BadCase{"TooDeep", Render({{S("props"), MapOf({{S("x"), Deep(600)}})}}),
                "invalid MessagePack", 7},
        BadCase{"TrailingBytes", kPing7 + '\0', "trailing bytes after the request map", 7},
        BadCase{"TwoMaps", kPing7 + kPing7, "trailing bytes after the request map", 7},
        BadCase{"String", S("ping"), "request must be a map, got string", std::nullopt},
        BadCase{"Array", Pack(std::vector<int>{1, 2}), "request must be a map, got array",
                std::nullopt},
        BadCase{"Integer", U(5), "request must be a map, got integer", std::nullopt},
        BadCase{"Nil", kNil, "request must be a map, got nil", std::nullopt},
        BadCase{"NonStringKey", MapOf({{U(1), S("x")}, {S("id"), U(9)}, {S("op"), S("ping")}}),
                "map keys must be strings", 9},
        BadCase{"DuplicateField",
                MapOf({{S("id"), U(7)}, {S("op"), S("ping")}, {S("op"), S("stats")}}),
                "duplicate field \"op\"", 7},
        BadCase{"EmptyMap", "\x80", "missing field \"id\"", std::nullopt},
        BadCase{"MissingId", MapOf({{S("op"), S("ping")}}), "missing field \"id\"", std::nullopt},
        BadCase{"NegativeId", MapOf({{S("id"), I(-1)}, {S("op"), S("ping")}}),
                Field("id", "a non-negative integer"), std::nullopt},
        BadCase{"StringId", MapOf({{S("id"), S("7")}, {S("op"), S("ping")}}),
                Field("id", "a non-negative integer"), std::nullopt},
        BadCase{
            "FloatId",
            MapOf({{S("id"), std::string("\xcb\x40\x1c\0\0\0\0\0\0", 9)}, {S("op"), S("ping")}}),
            Field("id", "a non-negative integer"), std::nullopt},
        BadCase{"NilId", MapOf({{S("id"), kNil}, {S("op"), S("ping")}}),
                Field("id", "a non-negative integer"), std::nullopt},
        BadCase{"MissingOp", MapOf({{S("id"), U(7)}}), "missing field \"op\"", 7},
        BadCase{"OpNotString", MapOf({{S("id"), U(7)}, {S("op"), U(1)}}), Field("op", "a string"),
                7},
        BadCase{"UnknownOp", MapOf({{S("id"), U(7)}, {S("op"), S("fly")}}), "unknown op \"fly\"",
                7},
        BadCase{"OpIsCaseSensitive", MapOf({{S("id"), U(7)}, {S("op"), S("Ping")}}),
                "unknown op \"Ping\"", 7},
        BadCase{"VersionTwo", MapOf({{S("v"), U(2)}, {S("id"), U(7)}, {S("op"), S("ping")}}),
                "unsupported protocol version 2 (this server speaks 1)", 7},
        BadCase{"VersionString", MapOf({{S("v"), S("1")}, {S("id"), U(7)}, {S("op"), S("ping")}}),
                Field("v", "an unsigned integer"), 7},
        BadCase{"ComponentNotString",
                MapOf({{S("id"), U(7)}, {S("op"), S("render")}, {S("component"), U(5)}}),
                Field("component", "a string"), 7},
        BadCase{"PropsArray", Render({{S("props"), Pack(std::vector<int>{1})}}),
                Field("props", "a map"), 7},
        BadCase{"PropsString", Render({{S("props"), S("{}")}}), Field("props", "a map"), 7},
        // Issue 11.9: keys JS objects cannot have are refused here, at any depth, not by the
        // worker; the request is malformed like any other (the daemon closes the connection).
        BadCase{"PropsNilKey", Render({{S("props"), MapOf({{kNil, U(1)}})}}),
                "props map keys must be strings or integers, got nil", 7},
        BadCase{"PropsBinaryKey",
                Render({{S("props"), MapOf({{std::string("\xc4\x01k", 3), U(1)}})}}),
                "props map keys must be strings or integers, got binary", 7},
        BadCase{"PropsMapKey", Render({{S("props"), MapOf({{MapOf({{S("a"), U(1)}}), U(1)}})}}),
                "props map keys must be strings or integers, got map", 7},
        BadCase{"PropsFloatKeyDeep",
                Render({{S("props"),
                         MapOf({{S("list"), std::string("\x91", 1) +
                                                MapOf({{std::string("\xcb\x3f\xf0\0\0\0\0\0\0", 9),
                                                        U(1)}})}})}}),
                "props map keys must be strings or integers, got float", 7},
        BadCase{"PropsExtensionValue",
                Render({{S("props"), MapOf({{S("t"), std::string("\xd4\x01\x00", 3)}})}}),
                "props must not contain a MessagePack extension type", 7},
        BadCase{"UrlNotString", Render({{S("url"), U(1)}}), Field("url", "a string"), 7},
        BadCase{"TimeoutNegative", Render({{S("timeout_ms"), I(-5)}}),
                Field("timeout_ms", "an unsigned integer"), 7},
        BadCase{"TimeoutString", Render({{S("timeout_ms"), S("100")}}),
                Field("timeout_ms", "an unsigned integer"), 7},
        BadCase{"TimeoutTooBig", Render({{S("timeout_ms"), U(4294967296ull)}}),
                Field("timeout_ms", "at most 4294967295"), 7},
        BadCase{"TargetNotUint",
                MapOf({{S("id"), U(7)}, {S("op"), S("cancel")}, {S("target"), S("6")}}),
                Field("target", "an unsigned integer"), 7},
        BadCase{"WrongTypeCheckedForOtherOps",
                MapOf({{S("id"), U(7)}, {S("op"), S("ping")}, {S("url"), Pack(false)}}),
                Field("url", "a string"), 7},
        BadCase{"RenderWithoutComponent", MapOf({{S("id"), U(7)}, {S("op"), S("render")}}),
                "missing field \"component\"", 7},
        BadCase{"RenderWithNilComponent",
                MapOf({{S("id"), U(7)}, {S("op"), S("render")}, {S("component"), kNil}}),
                "missing field \"component\"", 7},
        BadCase{"CancelWithoutTarget", MapOf({{S("id"), U(7)}, {S("op"), S("cancel")}}),
                "missing field \"target\"", 7}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return std::string(info.param.name); });

TEST(RequestTest, IntegerAndStringPropsKeysAreAccepted) {
  // Integer keys become their decimal text in the worker, as JS property keys do.
  const std::string props = MapOf({{U(1), S("one")}, {I(-2), S("minus two")}, {S("s"), kNil}});
  const Request r = MustDecode(Render({{S("props"), props}}));
  EXPECT_EQ(r.props_msgpack, props);
}

TEST(RequestTest, DeepButAllowedPropsDecode) {
  const Request r = MustDecode(Render({{S("props"), MapOf({{S("x"), Deep(400)}})}}));
  EXPECT_EQ(r.props_msgpack.size(), 1 + 2 + 400 + 1u);
}

TEST(RequestTest, UnknownOpIsNotEchoedWhole) {
  DecodeFailure failure;
  EXPECT_FALSE(
      DecodeRequest(MapOf({{S("id"), U(7)}, {S("op"), S(std::string(1000, 'x'))}}), &failure));
  EXPECT_EQ(failure.error.message, "unknown op \"" + std::string(64, 'x') + "\"");
}

// --- replies
// --------------------------------------------------------------------------------------

TEST(ReplyTest, RenderSuccessRoundTrips) {
  Reply in;
  in.id = 42;
  in.html = "<div>Hi</div>";
  in.head = "<title>x</title>";
  in.status = 404;
  in.console = {{"log", "a"}, {"warn", "b"}};
  const Reply out = ReplyRoundTrip(in);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.id, 42u);
  EXPECT_EQ(out.html, in.html);
  EXPECT_EQ(out.head, in.head);
  EXPECT_EQ(out.status, 404u);
  ASSERT_EQ(out.console.size(), 2u);
  EXPECT_EQ(out.console[1].level, "warn");
  EXPECT_EQ(out.console[1].text, "b");
}

TEST(ReplyTest, PingReplyCarriesProtocolVersion) {
  Reply in;
  in.id = 1;
  std::string frame;
  EncodeReply(in, &frame);
  EXPECT_NE(frame.find("\xa8protocol\x01"), std::string::npos);
  EXPECT_EQ(frame.find("html"), std::string::npos);
  const Reply out = ReplyRoundTrip(in);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.html, "");
  EXPECT_EQ(out.status, 200u);
}

TEST(ReplyTest, StatsRoundTrip) {
  Reply in;
  in.id = 5;
  in.stats = {{"workers", 4}, {"negative", -3}, {"big", INT64_MAX}, {"small", INT64_MIN}};
  EXPECT_EQ(ReplyRoundTrip(in).stats, in.stats);
}

TEST(ReplyTest, HelloRoundTrip) {
  Reply in;
  in.id = 0;
  in.worker_pid = 31337;
  const Reply out = ReplyRoundTrip(in);
  EXPECT_TRUE(out.ok());
  EXPECT_EQ(out.id, 0u);
  EXPECT_EQ(out.worker_pid, 31337u);
}

TEST(ReplyTest, ErrorsRoundTripWithAndWithoutStack) {
  Reply in;
  in.id = 8;
  in.error = MakeError(ErrorCode::kJsError, "Error: boom", "Error: boom\n    at render (b.js:1:1)");
  in.console = {{"error", "about to throw"}};
  Reply out = ReplyRoundTrip(in);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error->code, ErrorCode::kJsError);
  EXPECT_EQ(out.error->message, "Error: boom");
  EXPECT_EQ(out.error->stack, in.error->stack);
  ASSERT_EQ(out.console.size(), 1u);
  EXPECT_EQ(out.console[0].text, "about to throw");

  in.error = MakeError(ErrorCode::kOverloaded, "queue full");
  in.console.clear();
  std::string frame;
  EncodeReply(in, &frame);
  EXPECT_EQ(frame.find("stack"), std::string::npos);
  out = ReplyRoundTrip(in);
  EXPECT_EQ(out.error->code, ErrorCode::kOverloaded);
  EXPECT_EQ(out.error->stack, "");
}

TEST(ReplyTest, EveryErrorCodeRoundTrips) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kInternal); ++c) {
    Reply in;
    in.id = static_cast<std::uint64_t>(c);
    in.error = MakeError(static_cast<ErrorCode>(c), "m");
    EXPECT_EQ(ReplyRoundTrip(in).error->code, static_cast<ErrorCode>(c));
  }
}

TEST(ReplyTest, IdIsFirstInFixedUint64Form) {
  Reply in;
  in.id = 0x0102030405060708ull;
  in.html = "x";
  std::string frame;
  EncodeReply(in, &frame);
  const std::string p = Payload(frame);
  const auto b0 = static_cast<unsigned char>(p[0]);
  EXPECT_GE(b0, 0x81);  // fixmap
  EXPECT_LE(b0, 0x8f);
  EXPECT_EQ(p.substr(1, 4), "\xa2id\xcf");
  EXPECT_EQ(p.substr(5, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  // Even id 0 keeps the 9-byte form.
  in.id = 0;
  frame.clear();
  EncodeReply(in, &frame);
  EXPECT_EQ(Payload(frame).substr(4, 9), std::string("\xcf\0\0\0\0\0\0\0\0", 9));
}

TEST(ReplyTest, PatchAndPeekReplyId) {
  Reply in;
  in.id = 3;
  in.error = MakeError(ErrorCode::kTimeout, "late");
  std::string frame;
  EncodeReply(in, &frame);
  std::string payload = Payload(frame);
  const std::string before = payload;
  EXPECT_EQ(PeekReplyId(payload), 3u);
  ASSERT_TRUE(PatchReplyId(&payload, 0xFEDCBA9876543210ull));
  EXPECT_EQ(payload.size(), before.size());
  EXPECT_EQ(payload.substr(13), before.substr(13));
  EXPECT_EQ(PeekReplyId(payload), 0xFEDCBA9876543210ull);
  Result<Reply> decoded = DecodeReply(payload);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->id, 0xFEDCBA9876543210ull);
  EXPECT_EQ(decoded->error->message, "late");
}

TEST(ReplyTest, PatchRefusesWhatEncodeReplyDidNotWrite) {
  for (std::string p : {std::string(), std::string("\x81\xa2id\xcf\0\0\0", 8), kPing7,
                        MapOf({{S("id"), U(7)}, {S("ok"), Pack(true)}}),
                        MapOf({{S("ix"), Pack(std::uint64_t{1} << 40)}})}) {
    const std::string before = p;
    EXPECT_FALSE(PeekReplyId(p).has_value()) << Hex(p);
    EXPECT_FALSE(PatchReplyId(&p, 1)) << Hex(p);
    EXPECT_EQ(p, before);
  }
}

TEST(ReplyTest, DecodeAcceptsCompactIdFromOtherEncoders) {
  Result<Reply> r = DecodeReply(MapOf({{S("id"), U(7)}, {S("ok"), Pack(true)}, {S("x"), U(1)}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->id, 7u);
}

TEST(ReplyTest, UnknownErrorCodeBecomesInternal) {
  Result<Reply> r = DecodeReply(MapOf(
      {{S("id"), U(7)},
       {S("ok"), Pack(false)},
       {S("error"), MapOf({{S("code"), S("teapot")}, {S("message"), S("short and stout")}})}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->error->code, ErrorCode::kInternal);
  EXPECT_EQ(r->error->message, "unknown error code \"teapot\": short and stout");
}

TEST(ReplyTest, MalformedRepliesAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xc1", "invalid MessagePack"},
      {S("x"), "reply must be a map, got string"},
      {MapOf({{S("ok"), Pack(true)}}), "reply is missing field \"id\""},
      {MapOf({{S("id"), U(1)}}), "reply is missing field \"ok\""},
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(false)}}), "reply is missing field \"error\""},
      {MapOf({{S("id"), I(-1)}, {S("ok"), Pack(true)}}),
       "reply field \"id\" must be a non-negative integer"},
      {MapOf({{S("id"), U(1)}, {S("ok"), U(1)}}), "reply field \"ok\" must be a boolean"},
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("html"), U(1)}}),
       "reply field \"html\" must be a string"},
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("console"), Pack(std::vector<int>{1})}}),
       "reply field \"console\" must be an array of [level, text] string pairs"},
      {MapOf({{S("id"), U(1)},
              {S("ok"), Pack(false)},
              {S("error"), MapOf({{S("message"), S("m")}})}}),
       "reply is missing field \"error.code\""},
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}}) + std::string(1, '\0'),
       "trailing bytes after the reply map"},
      // The relay patches the first "id"; a second one must not decide whom the reply is for
      // (found by fuzz/reply_fuzz.cc).
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("id"), U(2)}}),
       "duplicate field \"id\""},
      {MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("html"), S("a")}, {S("html"), S("b")}}),
       "duplicate field \"html\""},
  };
  for (const auto& [payload, message] : cases) {
    Result<Reply> r = DecodeReply(payload);
    ASSERT_FALSE(r.ok()) << Hex(payload);
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().message, message);
  }
}

TEST(ReplyTest, EncodersAppendWholeFrames) {
  std::string out = "prefix";
  Reply reply;
  reply.id = 1;
  EncodeReply(reply, &out);
  Request request;
  request.id = 2;
  EncodeRequest(request, &out);
  FrameDecoder decoder;
  decoder.Feed(std::string_view(out).substr(6));
  std::string payload;
  ASSERT_EQ(decoder.Next(&payload), FrameDecoder::Status::kFrame);
  EXPECT_EQ(DecodeReply(payload)->id, 1u);
  ASSERT_EQ(decoder.Next(&payload), FrameDecoder::Status::kFrame);
  EXPECT_EQ(MustDecode(payload).id, 2u);
  EXPECT_EQ(decoder.Next(&payload), FrameDecoder::Status::kNeedMore);
}

// --- JSON
// -----------------------------------------------------------------------------------------

TEST(JsonToMsgpackTest, ConvertsAndKeepsKeyOrder) {
  Result<std::string> bytes = JsonToMsgpack(R"({"name":"Ada"})");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes,
            "\x81\xa4name\xa3"
            "Ada");
  bytes = JsonToMsgpack(R"({"z":1,"a":[true,null,-2,"x",1.5]})");
  ASSERT_TRUE(bytes.ok());
  msgpack::object_handle h = msgpack::unpack(bytes->data(), bytes->size());
  const msgpack::object& map = h.get();
  ASSERT_EQ(map.type, msgpack::type::MAP);
  EXPECT_EQ(map.via.map.ptr[0].key.as<std::string>(), "z");
  const msgpack::object& arr = map.via.map.ptr[1].val;
  ASSERT_EQ(arr.type, msgpack::type::ARRAY);
  ASSERT_EQ(arr.via.array.size, 5u);
  EXPECT_EQ(arr.via.array.ptr[0].type, msgpack::type::BOOLEAN);
  EXPECT_EQ(arr.via.array.ptr[1].type, msgpack::type::NIL);
  EXPECT_EQ(arr.via.array.ptr[2].as<int>(), -2);
  EXPECT_EQ(arr.via.array.ptr[3].as<std::string>(), "x");
  EXPECT_DOUBLE_EQ(arr.via.array.ptr[4].as<double>(), 1.5);
}

TEST(JsonToMsgpackTest, RejectsInvalidJson) {
  for (std::string_view bad : {"", "{", "{'a':1}", "[1,]", "{} {}"}) {
    Result<std::string> r = JsonToMsgpack(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().message.rfind("invalid JSON: ", 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find("[json.exception"), std::string::npos);
  }
}

// --- hydration fields
// ----------------------------------------------------------------------------

TEST(HydrationRequestTest, DefaultsWhenAbsent) {
  const Request out = MustDecode(
      MapOf({{S("id"), U(1)}, {S("op"), S("render")}, {S("component"), S("A")}}));
  EXPECT_FALSE(out.hydrate);
  EXPECT_EQ(out.hydrate_id, "ssrd-data");
  EXPECT_EQ(out.hydrate_global, "");
  EXPECT_EQ(out.nonce, "");
  EXPECT_FALSE(out.combine);
}

TEST(HydrationRequestTest, RoundTripsEveryField) {
  Request in;
  in.id = 9;
  in.op = Op::kRender;
  in.component = "A";
  in.hydrate = true;
  in.hydrate_id = "Z";
  in.hydrate_global = "$_x9";
  in.nonce = std::string(256, '=');
  in.combine = true;
  const Request out = RoundTrip(in);
  EXPECT_TRUE(out.hydrate);
  EXPECT_EQ(out.hydrate_id, "Z");
  EXPECT_EQ(out.hydrate_global, "$_x9");
  EXPECT_EQ(out.nonce, in.nonce);
  EXPECT_TRUE(out.combine);
}

TEST(HydrationRequestTest, DefaultsAreNotEncoded) {
  Request in;
  in.id = 9;
  in.op = Op::kRender;
  in.component = "A";
  std::string plain;
  EncodeRequest(in, &plain);
  EXPECT_EQ(plain.find("hydrate"), std::string::npos);
  in.hydrate = true;
  std::string asked;
  EncodeRequest(in, &asked);
  EXPECT_NE(asked.find("\xa7hydrate\xc3"), std::string::npos);
  EXPECT_EQ(asked.find("hydrate_id"), std::string::npos);
  EXPECT_EQ(asked.find("combine"), std::string::npos);
}

TEST(HydrationRequestTest, AcceptsEveryCharacterThePatternsAllow) {
  const Request out = MustDecode(MapOf({{S("id"), U(1)},
                                        {S("op"), S("render")},
                                        {S("component"), S("A")},
                                        {S("hydrate"), Pack(false)},
                                        {S("hydrate_id"), S("a0_:.-Z" + std::string(121, 'q'))},
                                        {S("hydrate_global"), S("_$aZ09")},
                                        {S("nonce"), S("AZaz09+/=_-")},
                                        {S("combine"), kNil}}));
  EXPECT_FALSE(out.hydrate);
  EXPECT_EQ(out.hydrate_id.size(), 128u);
  EXPECT_EQ(out.hydrate_global, "_$aZ09");
  EXPECT_EQ(out.nonce, "AZaz09+/=_-");
  EXPECT_FALSE(out.combine);
}

TEST(HydrationRequestTest, RefusesValuesOutsideThePatterns) {
  const std::string id_must =
      "field \"hydrate_id\" must be a string matching ^[A-Za-z][A-Za-z0-9_:.-]{0,127}$";
  const std::string global_must =
      "field \"hydrate_global\" must be a string matching ^[A-Za-z_$][A-Za-z0-9_$]{0,127}$";
  const std::string nonce_must =
      "field \"nonce\" must be a string matching ^[A-Za-z0-9+/=_-]{1,256}$";
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"hydrate", Pack(1), "field \"hydrate\" must be a boolean"},
      {"hydrate", S("true"), "field \"hydrate\" must be a boolean"},
      {"combine", U(0), "field \"combine\" must be a boolean"},
      {"hydrate_id", S(""), id_must},
      {"hydrate_id", S("1abc"), id_must},
      {"hydrate_id", S("a\"><script>"), id_must},
      {"hydrate_id", S("a b"), id_must},
      {"hydrate_id", S("a" + std::string(128, 'b')), id_must},
      {"hydrate_id", U(5), id_must},
      {"hydrate_global", S(""), global_must},
      {"hydrate_global", S("9a"), global_must},
      {"hydrate_global", S("a\"]=1;alert(1)//"), global_must},
      {"hydrate_global", S("a-b"), global_must},
      {"hydrate_global", S("_" + std::string(128, 'b')), global_must},
      {"nonce", S(""), nonce_must},
      {"nonce", S("a\" onload=\"x"), nonce_must},
      {"nonce", S("a b"), nonce_must},
      {"nonce", S(std::string(257, 'n')), nonce_must},
      {"nonce", Pack(true), nonce_must},
  };
  for (const auto& [key, value, message] : cases) {
    DecodeFailure failure;
    // Checked whatever the op, like every other field.
    for (const char* op : {"render", "ping"}) {
      EXPECT_FALSE(DecodeRequest(MapOf({{S("id"), U(77)},
                                        {S("op"), S(op)},
                                        {S("component"), S("A")},
                                        {S(key), value}}),
                                 &failure))
          << key << " " << op;
      EXPECT_EQ(failure.error.code, ErrorCode::kBadRequest);
      EXPECT_EQ(failure.error.message, message) << key;
      EXPECT_EQ(failure.id, 77u);
    }
  }
}

TEST(HydrationReplyTest, ScriptRoundTripsAndIsAbsentWhenEmpty) {
  Reply in;
  in.id = 5;
  in.html = "<p>x</p>";
  in.script = R"(<script type="application/json" id="ssrd-data">{}</script>)";
  const Reply out = ReplyRoundTrip(in);
  EXPECT_EQ(out.html, in.html);
  EXPECT_EQ(out.script, in.script);
  std::string frame;
  in.script.clear();
  EncodeReply(in, &frame);
  EXPECT_EQ(frame.find("\xa6script"), std::string::npos);
  EXPECT_EQ(ReplyRoundTrip(in).script, "");
  // A script alone still makes a render reply (html "" and the rest at their defaults).
  Reply only;
  only.id = 6;
  only.script = "<script>window[\"A\"]={};</script>";
  const Reply back = ReplyRoundTrip(only);
  EXPECT_EQ(back.script, only.script);
  EXPECT_EQ(back.status, 200u);
}

TEST(HydrationReplyTest, ScriptMustBeAString) {
  const std::string payload = MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("script"), U(3)}});
  Result<Reply> r = DecodeReply(payload);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "reply field \"script\" must be a string");
}

// --- supervision fields: retry, heap_used, the stats worker table
// ----------------------------------------------------------------

TEST(RetryTest, DefaultsToTrueAndIsNotEncoded) {
  Request render;
  render.id = 4;
  render.op = Op::kRender;
  render.component = "C";
  std::string frame;
  EncodeRequest(render, &frame);
  EXPECT_EQ(frame.find("retry"), std::string::npos);
  EXPECT_TRUE(MustDecode(Payload(frame)).retry);
  EXPECT_TRUE(MustDecode(MapOf({{S("id"), U(1)}, {S("op"), S("render")}, {S("component"), S("C")},
                                {S("retry"), kNil}}))
                  .retry);
}

TEST(RetryTest, FalseRoundTripsAndTrueDecodes) {
  Request render;
  render.id = 4;
  render.op = Op::kRender;
  render.component = "C";
  render.retry = false;
  std::string frame;
  EncodeRequest(render, &frame);
  EXPECT_NE(frame.find("\xa5retry\xc2"), std::string::npos);
  EXPECT_FALSE(RoundTrip(render).retry);
  EXPECT_TRUE(MustDecode(MapOf({{S("id"), U(1)}, {S("op"), S("render")}, {S("component"), S("C")},
                                {S("retry"), Pack(true)}}))
                  .retry);
}

TEST(RetryTest, NonBooleanIsABadRequestWhateverTheOp) {
  for (const char* op : {"render", "ping"}) {
    DecodeFailure failure;
    EXPECT_FALSE(DecodeRequest(MapOf({{S("id"), U(9)},
                                      {S("op"), S(op)},
                                      {S("component"), S("C")},
                                      {S("retry"), U(0)}}),
                               &failure));
    EXPECT_EQ(failure.error.code, ErrorCode::kBadRequest);
    EXPECT_EQ(failure.error.message, "field \"retry\" must be a boolean") << op;
    EXPECT_EQ(failure.id, 9u);
  }
}

TEST(HeapUsedTest, RoundTripsAndIsTheLastKeyInFixedForm) {
  Reply in;
  in.id = 2;
  in.html = "<p>x</p>";
  in.console = {{"log", "hi"}};
  in.heap_used = 0x0102030405060708ull;
  std::string frame;
  EncodeReply(in, &frame);
  const std::string payload = Payload(frame);
  const std::string tail = "\xa9heap_used\xcf\x01\x02\x03\x04\x05\x06\x07\x08";
  ASSERT_GE(payload.size(), tail.size());
  EXPECT_EQ(payload.substr(payload.size() - tail.size()), tail);
  const Reply out = ReplyRoundTrip(in);
  EXPECT_EQ(out.heap_used, in.heap_used);
  EXPECT_EQ(out.html, "<p>x</p>");
  ASSERT_EQ(out.console.size(), 1u);
  EXPECT_EQ(PeekReplyHeapUsed(payload), in.heap_used);
}

TEST(HeapUsedTest, PeekReadsItFromRenderErrorAndPingReplies) {
  Reply render;
  render.id = 7;
  render.html = std::string(70000, 'h');  // a str 32 body: the peek must not care
  render.heap_used = 3 * 1024 * 1024;
  Reply error;
  error.id = 8;
  error.error = MakeError(ErrorCode::kTimeout, "late");
  error.console = {{"warn", "w"}};
  error.heap_used = 12345;
  Reply ping;
  ping.id = 9;
  ping.heap_used = 1;
  for (const Reply& r : {render, error, ping}) {
    std::string frame;
    EncodeReply(r, &frame);
    std::string payload = Payload(frame);
    EXPECT_EQ(PeekReplyHeapUsed(payload), r.heap_used) << r.id;
    // The relay patches the id; the heap stays readable.
    ASSERT_TRUE(PatchReplyId(&payload, 99));
    EXPECT_EQ(PeekReplyHeapUsed(payload), r.heap_used) << r.id;
    EXPECT_EQ(DecodeReply(payload)->heap_used, r.heap_used) << r.id;
  }
}

TEST(ContextResetsTest, RoundTripsAndIsPeekedBesideHeapUsed) {
  Reply with_heap;
  with_heap.id = 3;
  with_heap.html = "<p>y</p>";
  with_heap.context_resets = 0x0a0b0c0d0e0f1011ull;
  with_heap.heap_used = 4096;
  Reply without_heap = with_heap;
  without_heap.heap_used = 0;
  Reply error;
  error.id = 4;
  error.error = MakeError(ErrorCode::kJsError, "boom");
  error.context_resets = 2;
  error.heap_used = 77;
  for (const Reply& r : {with_heap, without_heap, error}) {
    std::string frame;
    EncodeReply(r, &frame);
    std::string payload = Payload(frame);
    EXPECT_EQ(PeekReplyContextResets(payload), r.context_resets) << r.id;
    EXPECT_EQ(PeekReplyHeapUsed(payload), r.heap_used ? std::optional<std::uint64_t>(r.heap_used)
                                                      : std::nullopt)
        << r.id;
    ASSERT_TRUE(PatchReplyId(&payload, 42));
    EXPECT_EQ(PeekReplyContextResets(payload), r.context_resets) << r.id;
    EXPECT_EQ(ReplyRoundTrip(r).context_resets, r.context_resets) << r.id;
  }
  Reply none;
  none.id = 5;
  none.heap_used = 9;
  std::string frame;
  EncodeReply(none, &frame);
  EXPECT_EQ(Payload(frame).find("context_resets"), std::string::npos);
  EXPECT_FALSE(PeekReplyContextResets(Payload(frame)).has_value());
}

TEST(HeapUsedTest, AbsentWhenZeroAndPeekSaysSo) {
  Reply in;
  in.id = 2;
  in.html = "<p>x</p>";
  std::string frame;
  EncodeReply(in, &frame);
  const std::string payload = Payload(frame);
  EXPECT_EQ(payload.find("heap_used"), std::string::npos);
  EXPECT_FALSE(PeekReplyHeapUsed(payload).has_value());
  EXPECT_EQ(ReplyRoundTrip(in).heap_used, 0u);
  // Not what EncodeReply writes: no prefix, or too short to hold the key.
  EXPECT_FALSE(PeekReplyHeapUsed("").has_value());
  EXPECT_FALSE(PeekReplyHeapUsed(MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)},
                                        {S("heap_used"), U(5)}}))
                   .has_value());
}

TEST(HeapUsedTest, OtherEncodingsDecodeAndWrongTypesAreRejected) {
  Result<Reply> compact = DecodeReply(
      MapOf({{S("id"), U(1)}, {S("heap_used"), U(300)}, {S("ok"), Pack(true)}}));
  ASSERT_TRUE(compact.ok()) << compact.error().ToString();
  EXPECT_EQ(compact->heap_used, 300u);
  for (const std::string& bad : {I(-1), S("1"), Pack(1.5)}) {
    Result<Reply> r =
        DecodeReply(MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("heap_used"), bad}}));
    ASSERT_FALSE(r.ok()) << Hex(bad);
    EXPECT_EQ(r.error().message, "reply field \"heap_used\" must be a non-negative integer");
  }
}

WorkerInfo SampleWorker(std::uint32_t pid, std::uint32_t slot) {
  WorkerInfo w;
  w.pid = pid;
  w.slot = slot;
  w.state = "busy";
  w.generation = 3;
  w.served = 1000;
  w.restarts = 2;
  w.heap_used = 5 * 1024 * 1024;
  w.rss = std::int64_t{3} << 32;  // past 32 bits
  return w;
}

TEST(WorkersTest, RoundTripEveryField) {
  Reply in;
  in.id = 5;
  in.stats = {{"workers", 2}, {"served", 1000}};
  in.workers = {SampleWorker(4242, 0), SampleWorker(4243, 1)};
  in.workers[1].state = "retiring";
  const Reply out = ReplyRoundTrip(in);
  EXPECT_EQ(out.stats, in.stats);
  ASSERT_EQ(out.workers.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const WorkerInfo& a = in.workers[i];
    const WorkerInfo& b = out.workers[i];
    EXPECT_EQ(b.pid, a.pid);
    EXPECT_EQ(b.slot, a.slot);
    EXPECT_EQ(b.state, a.state);
    EXPECT_EQ(b.generation, a.generation);
    EXPECT_EQ(b.served, a.served);
    EXPECT_EQ(b.restarts, a.restarts);
    EXPECT_EQ(b.heap_used, a.heap_used);
    EXPECT_EQ(b.rss, a.rss);
  }
}

TEST(WorkersTest, StatsReplyAlwaysCarriesTheArrayEvenEmpty) {
  Reply in;
  in.id = 5;
  in.stats = {{"workers", 0}};
  std::string frame;
  EncodeReply(in, &frame);
  EXPECT_NE(frame.find("\xa7workers\x90"), std::string::npos);
  EXPECT_TRUE(ReplyRoundTrip(in).workers.empty());
}

TEST(WorkersTest, MissingAndUnknownKeysInAnEntryAreFine) {
  Result<Reply> r = DecodeReply(
      MapOf({{S("id"), U(1)},
             {S("ok"), Pack(true)},
             {S("workers"), "\x91" + MapOf({{S("pid"), U(77)}, {S("future"), S("x")}})}}));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_EQ(r->workers.size(), 1u);
  EXPECT_EQ(r->workers[0].pid, 77u);
  EXPECT_EQ(r->workers[0].state, "");
  EXPECT_EQ(r->workers[0].served, 0);
}

TEST(WorkersTest, MalformedEntriesAreRejected) {
  const std::string kShape = "reply field \"workers\" must be an array of worker maps";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {MapOf({{S("pid"), U(1)}}), "reply field \"workers\" must be an array"},
      {"\x91" + U(1), kShape},
      {"\x91" + MapOf({{U(1), U(1)}}), kShape},
      {"\x91" + MapOf({{S("pid"), I(-1)}}), kShape},
      {"\x91" + MapOf({{S("pid"), U(std::uint64_t{1} << 32)}}), kShape},
      {"\x91" + MapOf({{S("slot"), S("0")}}), kShape},
      {"\x91" + MapOf({{S("state"), U(1)}}), kShape},
      {"\x91" + MapOf({{S("generation"), I(-2)}}), kShape},
      {"\x91" + MapOf({{S("served"), U(std::uint64_t{1} << 63)}}), kShape},
      {"\x91" + MapOf({{S("restarts"), Pack(1.5)}}), kShape},
      {"\x91" + MapOf({{S("heap_used"), kNil}}), kShape},
      {"\x92" + MapOf({{S("pid"), U(1)}}) + MapOf({{S("rss"), S("big")}}), kShape},
  };
  for (const auto& [workers, message] : cases) {
    const std::string payload =
        MapOf({{S("id"), U(1)}, {S("ok"), Pack(true)}, {S("workers"), workers}});
    Result<Reply> r = DecodeReply(payload);
    ASSERT_FALSE(r.ok()) << Hex(payload);
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().message, message) << Hex(payload);
  }
}

// --- the test vectors of docs/protocol.md
// ----------------------------------------------------------

struct Vector {
  std::string name;
  std::string frame;  // what our encoder writes
  std::string hex;    // what the document publishes
};

std::vector<Vector> Vectors() {
  std::vector<Vector> v;
  std::string frame;
  Request ping;
  ping.id = 1;
  ping.op = Op::kPing;
  EncodeRequest(ping, &frame);
  v.push_back({"ping request", frame,
               "00 00 00 10 83 a2 69 64 01 a1 76 01 a2 6f 70 a4\n"
               "70 69 6e 67"});
  Request render;
  render.id = 2;
  render.op = Op::kRender;
  render.component = "Greeting";
  render.props_msgpack = JsonToMsgpack(R"({"name":"Ada"})").value();
  frame.clear();
  EncodeRequest(render, &frame);
  v.push_back({"render request", frame,
               "00 00 00 35 85 a2 69 64 02 a1 76 01 a2 6f 70 a6\n"
               "72 65 6e 64 65 72 a9 63 6f 6d 70 6f 6e 65 6e 74\n"
               "a8 47 72 65 65 74 69 6e 67 a5 70 72 6f 70 73 81\n"
               "a4 6e 61 6d 65 a3 41 64 61"});
  Reply pong;
  pong.id = 1;
  frame.clear();
  EncodeReply(pong, &frame);
  v.push_back({"ping reply", frame,
               "00 00 00 1b 83 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "01 a2 6f 6b c3 a8 70 72 6f 74 6f 63 6f 6c 01"});
  Reply rendered;
  rendered.id = 2;
  rendered.html = "<p>Hello, Ada</p>";
  rendered.console = {{"log", "hi"}};
  frame.clear();
  EncodeReply(rendered, &frame);
  v.push_back({"render reply", frame,
               "00 00 00 48 86 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "02 a2 6f 6b c3 a4 68 74 6d 6c b1 3c 70 3e 48 65\n"
               "6c 6c 6f 2c 20 41 64 61 3c 2f 70 3e a4 68 65 61\n"
               "64 a0 a6 73 74 61 74 75 73 cc c8 a7 63 6f 6e 73\n"
               "6f 6c 65 91 92 a3 6c 6f 67 a2 68 69"});
  Reply failed;
  failed.id = 2;
  failed.error = MakeError(ErrorCode::kNotFound, "unknown component \"Nope\"");
  frame.clear();
  EncodeReply(failed, &frame);
  v.push_back({"error reply", frame,
               "00 00 00 48 83 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "02 a2 6f 6b c2 a5 65 72 72 6f 72 82 a4 63 6f 64\n"
               "65 a9 6e 6f 74 5f 66 6f 75 6e 64 a7 6d 65 73 73\n"
               "61 67 65 b8 75 6e 6b 6e 6f 77 6e 20 63 6f 6d 70\n"
               "6f 6e 65 6e 74 20 22 4e 6f 70 65 22"});
  Request hydrate = render;
  hydrate.id = 3;
  hydrate.hydrate = true;
  hydrate.nonce = "r4nd0m";
  frame.clear();
  EncodeRequest(hydrate, &frame);
  v.push_back({"hydrate request", frame,
               "00 00 00 4b 87 a2 69 64 03 a1 76 01 a2 6f 70 a6\n"
               "72 65 6e 64 65 72 a9 63 6f 6d 70 6f 6e 65 6e 74\n"
               "a8 47 72 65 65 74 69 6e 67 a5 70 72 6f 70 73 81\n"
               "a4 6e 61 6d 65 a3 41 64 61 a7 68 79 64 72 61 74\n"
               "65 c3 a5 6e 6f 6e 63 65 a6 72 34 6e 64 30 6d"});
  Reply hydrated;
  hydrated.id = 3;
  hydrated.html = "<p>Hello, Ada</p>";
  hydrated.script =
      R"(<script type="application/json" id="ssrd-data" nonce="r4nd0m">)"
      R"({"component":"Greeting","props":{"name":"Ada"}}</script>)";
  frame.clear();
  EncodeReply(hydrated, &frame);
  v.push_back({"hydrate reply", frame,
               "00 00 00 bf 87 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "03 a2 6f 6b c3 a4 68 74 6d 6c b1 3c 70 3e 48 65\n"
               "6c 6c 6f 2c 20 41 64 61 3c 2f 70 3e a4 68 65 61\n"
               "64 a0 a6 73 74 61 74 75 73 cc c8 a6 73 63 72 69\n"
               "70 74 d9 76 3c 73 63 72 69 70 74 20 74 79 70 65\n"
               "3d 22 61 70 70 6c 69 63 61 74 69 6f 6e 2f 6a 73\n"
               "6f 6e 22 20 69 64 3d 22 73 73 72 64 2d 64 61 74\n"
               "61 22 20 6e 6f 6e 63 65 3d 22 72 34 6e 64 30 6d\n"
               "22 3e 7b 22 63 6f 6d 70 6f 6e 65 6e 74 22 3a 22\n"
               "47 72 65 65 74 69 6e 67 22 2c 22 70 72 6f 70 73\n"
               "22 3a 7b 22 6e 61 6d 65 22 3a 22 41 64 61 22 7d\n"
               "7d 3c 2f 73 63 72 69 70 74 3e a7 63 6f 6e 73 6f\n"
               "6c 65 90"});
  Request no_retry = render;
  no_retry.id = 4;
  no_retry.retry = false;
  frame.clear();
  EncodeRequest(no_retry, &frame);
  v.push_back({"render request without retry", frame,
               "00 00 00 3c 86 a2 69 64 04 a1 76 01 a2 6f 70 a6\n"
               "72 65 6e 64 65 72 a9 63 6f 6d 70 6f 6e 65 6e 74\n"
               "a8 47 72 65 65 74 69 6e 67 a5 70 72 6f 70 73 81\n"
               "a4 6e 61 6d 65 a3 41 64 61 a5 72 65 74 72 79 c2"});
  Reply with_heap = rendered;
  with_heap.heap_used = 2 * 1024 * 1024;
  frame.clear();
  EncodeReply(with_heap, &frame);
  v.push_back({"render reply with heap_used", frame,
               "00 00 00 5b 87 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "02 a2 6f 6b c3 a4 68 74 6d 6c b1 3c 70 3e 48 65\n"
               "6c 6c 6f 2c 20 41 64 61 3c 2f 70 3e a4 68 65 61\n"
               "64 a0 a6 73 74 61 74 75 73 cc c8 a7 63 6f 6e 73\n"
               "6f 6c 65 91 92 a3 6c 6f 67 a2 68 69 a9 68 65 61\n"
               "70 5f 75 73 65 64 cf 00 00 00 00 00 20 00 00"});
  Reply stats;
  stats.id = 5;
  stats.stats = {{"served", 3}, {"workers", 1}};
  WorkerInfo worker;
  worker.pid = 4242;
  worker.slot = 0;
  worker.state = "ready";
  worker.generation = 1;
  worker.served = 3;
  worker.restarts = 0;
  worker.heap_used = 1024 * 1024;
  worker.rss = 32 * 1024 * 1024;
  stats.workers = {worker};
  frame.clear();
  EncodeReply(stats, &frame);
  v.push_back({"stats reply", frame,
               "00 00 00 82 84 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "05 a2 6f 6b c3 a5 73 74 61 74 73 82 a6 73 65 72\n"
               "76 65 64 03 a7 77 6f 72 6b 65 72 73 01 a7 77 6f\n"
               "72 6b 65 72 73 91 88 a3 70 69 64 cd 10 92 a4 73\n"
               "6c 6f 74 00 a5 73 74 61 74 65 a5 72 65 61 64 79\n"
               "aa 67 65 6e 65 72 61 74 69 6f 6e 01 a6 73 65 72\n"
               "76 65 64 03 a8 72 65 73 74 61 72 74 73 00 a9 68\n"
               "65 61 70 5f 75 73 65 64 ce 00 10 00 00 a3 72 73\n"
               "73 ce 02 00 00 00"});
  Request streamed;
  streamed.id = 6;
  streamed.op = Op::kRender;
  streamed.component = "Page";
  streamed.stream = true;
  frame.clear();
  EncodeRequest(streamed, &frame);
  v.push_back({"streamed render request", frame, "00 00 00 30 86 a2 69 64 06 a1 76 01 a2 6f 70 a6\n"
               "72 65 6e 64 65 72 a9 63 6f 6d 70 6f 6e 65 6e 74\n"
               "a4 50 61 67 65 a5 70 72 6f 70 73 80 a6 73 74 72\n"
               "65 61 6d c3"});
  frame.clear();
  EncodeChunk(6, "<h1>Hi</h1>", &frame);
  v.push_back({"chunk frame", frame, "00 00 00 1f 82 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "06 a5 63 68 75 6e 6b ab 3c 68 31 3e 48 69 3c 2f\n"
               "68 31 3e"});
  Reply last;
  last.id = 6;
  last.html = "<p>end</p>";
  frame.clear();
  EncodeReply(last, &frame);
  v.push_back({"final reply of a stream", frame, "00 00 00 39 86 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "06 a2 6f 6b c3 a4 68 74 6d 6c aa 3c 70 3e 65 6e\n"
               "64 3c 2f 70 3e a4 68 65 61 64 a0 a6 73 74 61 74\n"
               "75 73 cc c8 a7 63 6f 6e 73 6f 6c 65 90"});
  Request auth;
  auth.id = 7;
  auth.op = Op::kAuth;
  auth.token = "correct-horse-battery";
  frame.clear();
  EncodeRequest(auth, &frame);
  v.push_back({"auth request", frame, "00 00 00 2c 84 a2 69 64 07 a1 76 01 a2 6f 70 a4\n"
               "61 75 74 68 a5 74 6f 6b 65 6e b5 63 6f 72 72 65\n"
               "63 74 2d 68 6f 72 73 65 2d 62 61 74 74 65 72 79"});
  Reply authed;
  authed.id = 7;
  frame.clear();
  EncodeReply(authed, &frame);
  v.push_back({"auth reply", frame, "00 00 00 1b 83 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "07 a2 6f 6b c3 a8 70 72 6f 74 6f 63 6f 6c 01"});
  Reply refused;
  refused.id = 7;
  refused.error = MakeError(ErrorCode::kUnauthorized, "the token is not valid");
  frame.clear();
  EncodeReply(refused, &frame);
  v.push_back({"unauthorized reply", frame, "00 00 00 49 83 a2 69 64 cf 00 00 00 00 00 00 00\n"
               "07 a2 6f 6b c2 a5 65 72 72 6f 72 82 a4 63 6f 64\n"
               "65 ac 75 6e 61 75 74 68 6f 72 69 7a 65 64 a7 6d\n"
               "65 73 73 61 67 65 b6 74 68 65 20 74 6f 6b 65 6e\n"
               "20 69 73 20 6e 6f 74 20 76 61 6c 69 64"});
  return v;
}

TEST(ProtocolDocTest, EncoderMatchesPublishedVectors) {
  for (const Vector& v : Vectors()) EXPECT_EQ(Hex(v.frame), v.hex) << v.name;
}

TEST(ProtocolDocTest, DocumentShowsEveryVector) {
  std::ifstream file(std::string(SSRD_SOURCE_DIR) + "/docs/protocol.md");
  ASSERT_TRUE(file) << "docs/protocol.md not found";
  std::stringstream text;
  text << file.rdbuf();
  for (const Vector& v : Vectors()) {
    EXPECT_NE(text.str().find(v.hex), std::string::npos) << v.name << " not in docs/protocol.md";
  }
}

TEST(ProtocolDocTest, StreamVectorsDecode) {
  const std::vector<Vector> v = Vectors();
  const Vector* request = nullptr;
  const Vector* chunk = nullptr;
  for (const Vector& x : v) {
    if (x.name == "streamed render request") request = &x;
    if (x.name == "chunk frame") chunk = &x;
  }
  ASSERT_TRUE(request && chunk);
  EXPECT_TRUE(MustDecode(Payload(request->frame)).stream);
  auto decoded = DecodeReply(Payload(chunk->frame));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->chunk);
  EXPECT_EQ(decoded->id, 6u);
  EXPECT_EQ(decoded->html, "<h1>Hi</h1>");
  EXPECT_TRUE(IsChunkPayload(Payload(chunk->frame)));
  EXPECT_FALSE(IsChunkPayload(Payload(v[3].frame)));  // an ordinary reply
  // A chunk frame has only id and chunk: an "ok" beside it is not a chunk frame.
  EXPECT_FALSE(DecodeReply(std::string("\x83\xa2id\x06\xa5" "chunk\xa1x\xa2ok\xc3", 16)).ok());
  // "stream" is type-checked like every field.
  DecodeFailure failure;
  EXPECT_FALSE(DecodeRequest(std::string("\x84\xa2id\x01\xa2op\xa4ping\xa6stream\x01\xa1v\x01", 24),
                             &failure));
  EXPECT_EQ(failure.error.message, "field \"stream\" must be a boolean");
}

TEST(ProtocolDocTest, AuthVectorsDecode) {
  const std::vector<Vector> v = Vectors();
  ASSERT_EQ(v.size(), 16u);
  const Request auth = MustDecode(Payload(v[13].frame));
  EXPECT_EQ(auth.op, Op::kAuth);
  EXPECT_EQ(auth.id, 7u);
  EXPECT_EQ(auth.token, "correct-horse-battery");
  Result<Reply> ok = DecodeReply(Payload(v[14].frame));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok());
  Result<Reply> refused = DecodeReply(Payload(v[15].frame));
  ASSERT_TRUE(refused.ok());
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ(refused->error->code, ErrorCode::kUnauthorized);
  EXPECT_EQ(refused->error->message, "the token is not valid");
  // The token is required and must be a string.
  DecodeFailure failure;
  EXPECT_FALSE(DecodeRequest(std::string("\x83\xa2id\x01\xa2op\xa4" "auth\xa1v\x01", 16), &failure));
  EXPECT_EQ(failure.error.message, "missing field \"token\"");
  EXPECT_FALSE(DecodeRequest(
      std::string("\x84\xa2id\x01\xa2op\xa4" "auth\xa5token\x05\xa1v\x01", 23), &failure));
  EXPECT_EQ(failure.error.message, "field \"token\" must be a string");
}

TEST(ProtocolDocTest, VectorsDecode) {
  const std::vector<Vector> v = Vectors();
  EXPECT_EQ(MustDecode(Payload(v[0].frame)).op, Op::kPing);
  const Request render = MustDecode(Payload(v[1].frame));
  EXPECT_EQ(render.component, "Greeting");
  EXPECT_EQ(render.props_msgpack,
            "\x81\xa4name\xa3"
            "Ada");
  EXPECT_EQ(DecodeReply(Payload(v[3].frame))->html, "<p>Hello, Ada</p>");
  EXPECT_EQ(DecodeReply(Payload(v[4].frame))->error->code, ErrorCode::kNotFound);
  const Request hydrate = MustDecode(Payload(v[5].frame));
  EXPECT_TRUE(hydrate.hydrate);
  EXPECT_EQ(hydrate.nonce, "r4nd0m");
  EXPECT_EQ(DecodeReply(Payload(v[6].frame))->script.rfind("<script type=", 0), 0u);
}

TEST(ProtocolDocTest, SupervisionVectorsDecode) {
  const std::vector<Vector> v = Vectors();
  ASSERT_EQ(v.size(), 16u);
  const Request no_retry = MustDecode(Payload(v[7].frame));
  EXPECT_FALSE(no_retry.retry);
  EXPECT_EQ(no_retry.component, "Greeting");
  Result<Reply> heap = DecodeReply(Payload(v[8].frame));
  ASSERT_TRUE(heap.ok());
  EXPECT_EQ(heap->heap_used, 2u * 1024 * 1024);
  EXPECT_EQ(PeekReplyHeapUsed(Payload(v[8].frame)), 2u * 1024 * 1024);
  Result<Reply> stats = DecodeReply(Payload(v[9].frame));
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->stats.at("served"), 3);
  ASSERT_EQ(stats->workers.size(), 1u);
  EXPECT_EQ(stats->workers[0].pid, 4242u);
  EXPECT_EQ(stats->workers[0].state, "ready");
  EXPECT_EQ(stats->workers[0].rss, 32 * 1024 * 1024);
}

}  // namespace
}  // namespace ssrd::ipc

namespace ssrd::ipc {
namespace {

// An error reply whose render fields happen to be set must still be a well-formed map: the
// encoder once counted the render keys it did not write.
TEST(ReplyTest, ErrorReplyIgnoresRenderFields) {
  Reply reply;
  reply.id = 12;
  reply.error = MakeError(ErrorCode::kJsError, "Error: boom");
  reply.html = "<p>partial</p>";
  reply.script = "<script></script>";
  Reply decoded = ReplyRoundTrip(reply);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.id, 12u);
  EXPECT_EQ(decoded.error->message, "Error: boom");
  EXPECT_EQ(decoded.html, "");
}

}  // namespace
}  // namespace ssrd::ipc
