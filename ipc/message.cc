#include "ipc/message.h"

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>
#include <vector>
#include <msgpack.hpp>

#include "ipc/frame.h"

namespace ssrd::ipc {
namespace {

using msgpack::type::object_type;

// Deeper props are refused: every consumer (V8 conversion, re-encoders) walks them recursively.
constexpr std::size_t kMaxNestingDepth = 512;
constexpr const char kInvalidMsgpack[] = "invalid MessagePack";
constexpr const char kEmptyMap[] = "\x80";

// Decodes one MessagePack value of `bytes` starting at *offset and advances *offset past it.
// The one place in ssrd where msgpack-c exceptions are caught: everything else inspects objects by
// their type tag and never calls the throwing as<T>() conversions.
bool UnpackOne(std::string_view bytes, std::size_t* offset, msgpack::object_handle* out) noexcept {
  const std::size_t n = bytes.size();
  // A header may announce up to 4G elements and msgpack-c allocates for them before reading them.
  // Each element takes at least one byte (two per map entry), so bound the counts by the input.
  const msgpack::unpack_limit limit(n, n / 2, n, n, n, kMaxNestingDepth);
  try {
    *out = msgpack::unpack(bytes.data(), n, *offset, nullptr, nullptr, limit);
    return true;
  } catch (const std::exception&) {  // msgpack::unpack_error and its subclasses, std::bad_alloc
    return false;
  }
}

std::string_view TypeName(object_type type) {
  switch (type) {
    case object_type::NIL: return "nil";
    case object_type::BOOLEAN: return "boolean";
    case object_type::POSITIVE_INTEGER:
    case object_type::NEGATIVE_INTEGER: return "integer";
    case object_type::FLOAT32:
    case object_type::FLOAT64: return "float";
    case object_type::STR: return "string";
    case object_type::BIN: return "binary";
    case object_type::ARRAY: return "array";
    case object_type::MAP: return "map";
    case object_type::EXT: return "extension";
  }
  return "unknown";
}

std::string_view StrOf(const msgpack::object& o) {
  return {o.via.str.ptr, o.via.str.size};
}

std::string Quoted(std::string_view name) {
  std::string out = "\"";
  out += name;
  out += '"';
  return out;
}

std::string MissingField(std::string_view name) {
  return "missing field " + Quoted(name);
}

std::string MustBe(std::string_view name, std::string_view what) {
  return "field " + Quoted(name) + " must be " + std::string(what);
}

// --- encoding -----------------------------------------------------------------------------------

// A msgpack-c output stream that appends one frame to a string: the header is reserved first and
// filled in by Finish(), so the payload is written once, in place.
class FrameSink {
 public:
  explicit FrameSink(std::string* out) : out_(out), start_(out->size()) {
    out_->append(kFrameHeaderBytes, '\0');
  }
  void write(const char* data, std::size_t size) { out_->append(data, size); }
  void Finish() {
    const std::size_t n = out_->size() - start_ - kFrameHeaderBytes;
    char* h = out_->data() + start_;
    h[0] = static_cast<char>(n >> 24);
    h[1] = static_cast<char>(n >> 16);
    h[2] = static_cast<char>(n >> 8);
    h[3] = static_cast<char>(n);
  }

 private:
  std::string* out_;
  std::size_t start_;
};

using Packer = msgpack::packer<FrameSink>;

void PackStr(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void PackWorkers(Packer& pk, const std::vector<WorkerInfo>& workers) {
  PackStr(pk, "workers");
  pk.pack_array(static_cast<std::uint32_t>(workers.size()));
  for (const WorkerInfo& w : workers) {
    pk.pack_map(8);
    PackStr(pk, "pid");
    pk.pack_uint32(w.pid);
    PackStr(pk, "slot");
    pk.pack_uint32(w.slot);
    PackStr(pk, "state");
    PackStr(pk, w.state);
    PackStr(pk, "generation");
    pk.pack_uint64(w.generation);
    PackStr(pk, "served");
    pk.pack_int64(w.served);
    PackStr(pk, "restarts");
    pk.pack_int64(w.restarts);
    PackStr(pk, "heap_used");
    pk.pack_int64(w.heap_used);
    PackStr(pk, "rss");
    pk.pack_int64(w.rss);
  }
}

// --- request decoding ---------------------------------------------------------------------------

enum Field {
  kV, kId, kOp, kComponent, kProps, kUrl, kTimeoutMs, kTarget,
  kHydrate, kHydrateId, kHydrateGlobal, kNonce, kCombine, kRetry, kStream, kToken, kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "v",       "id",      "op",         "component",      "props", "url",    "timeout_ms",
    "target",  "hydrate", "hydrate_id", "hydrate_global", "nonce", "combine", "retry",
    "stream",  "token"};

struct FieldValue {
  msgpack::object_handle handle;
  std::string_view bytes;  // the value's own encoding, a slice of the payload
};
using Fields = std::array<std::optional<FieldValue>, kFieldCount>;

// Reads a map header by hand so that each entry can then be decoded on its own, which tells us the
// exact bytes of "props" (passed through verbatim) and keeps an id read before a later fault.
bool ReadMapHeader(std::string_view p, std::size_t* offset, std::uint32_t* count) {
  if (p.empty()) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(p.data());
  if (b[0] >= 0x80 && b[0] <= 0x8f) {
    *count = b[0] & 0x0f;
    *offset = 1;
    return true;
  }
  if (b[0] == 0xde && p.size() >= 3) {
    *count = (std::uint32_t{b[1]} << 8) | b[2];
    *offset = 3;
    return true;
  }
  if (b[0] == 0xdf && p.size() >= 5) {
    *count = (std::uint32_t{b[1]} << 24) | (std::uint32_t{b[2]} << 16) |
             (std::uint32_t{b[3]} << 8) | b[4];
    *offset = 5;
    return true;
  }
  return false;
}

// Splits the payload into the known fields. Returns "" or the first structural fault; a fault
// found after the "id" entry still leaves (*fields)[kId] filled in.
std::string ScanRequestMap(std::string_view payload, Fields* fields) {
  std::size_t offset = 0;
  std::uint32_t count = 0;
  if (!ReadMapHeader(payload, &offset, &count)) {
    msgpack::object_handle whole;
    std::size_t whole_offset = 0;
    if (!UnpackOne(payload, &whole_offset, &whole)) return kInvalidMsgpack;
    return "request must be a map, got " + std::string(TypeName(whole.get().type));
  }
  std::string fault;
  for (std::uint32_t i = 0; i < count; ++i) {
    msgpack::object_handle key;
    if (!UnpackOne(payload, &offset, &key)) return kInvalidMsgpack;
    const std::size_t value_start = offset;
    msgpack::object_handle value;
    if (!UnpackOne(payload, &offset, &value)) return kInvalidMsgpack;
    if (key.get().type != object_type::STR) {
      if (fault.empty()) fault = "map keys must be strings";
      continue;
    }
    const std::string_view name = StrOf(key.get());
    for (int f = 0; f < kFieldCount; ++f) {
      if (name != kFieldNames[f]) continue;
      if ((*fields)[f]) {
        if (fault.empty()) fault = "duplicate field " + Quoted(name);
      } else {
        (*fields)[f] =
            FieldValue{std::move(value), payload.substr(value_start, offset - value_start)};
      }
      break;
    }
  }
  if (offset != payload.size()) return "trailing bytes after the request map";
  return fault;
}

std::optional<Op> OpFromName(std::string_view name) {
  for (Op op : {Op::kRender, Op::kPing, Op::kStats, Op::kCancel, Op::kAuth}) {
    if (OpName(op) == name) return op;
  }
  return std::nullopt;
}

bool IsUint(const msgpack::object& o) {
  return o.type == object_type::POSITIVE_INTEGER;
}

bool IsAsciiLetter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool IsAsciiAlnum(char c) { return IsAsciiLetter(c) || (c >= '0' && c <= '9'); }

// The hydration names end up verbatim in an HTML attribute or in JS source: these patterns admit
// nothing that could end either. They are documented as regexes in docs/protocol.md.
bool IsHydrateId(std::string_view s) {  // ^[A-Za-z][A-Za-z0-9_:.-]{0,127}$
  if (s.empty() || s.size() > 128 || !IsAsciiLetter(s[0])) return false;
  for (char c : s.substr(1)) {
    if (!IsAsciiAlnum(c) && c != '_' && c != ':' && c != '.' && c != '-') return false;
  }
  return true;
}
bool IsHydrateGlobal(std::string_view s) {  // ^[A-Za-z_$][A-Za-z0-9_$]{0,127}$
  if (s.empty() || s.size() > 128 || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '_' && c != '$') return false;
  }
  return true;
}
bool IsNonce(std::string_view s) {  // ^[A-Za-z0-9+/=_-]{1,256}$
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (!IsAsciiAlnum(c) && c != '+' && c != '/' && c != '=' && c != '_' && c != '-') return false;
  }
  return true;
}

// The worker turns props into JS objects, where a key can only be a string (an integer key
// becomes its decimal text, as in JS) and an extension type means nothing. Refusing the rest here
// makes such props a malformed request like any other, answered before a worker is involved.
// Returns "" or the fault. Recursion is bounded by kMaxNestingDepth, which the unpacker enforces.
std::string CheckPropsValue(const msgpack::object& o) {
  switch (o.type) {
    case object_type::EXT:
      return "props must not contain a MessagePack extension type";
    case object_type::ARRAY:
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
        if (std::string fault = CheckPropsValue(o.via.array.ptr[i]); !fault.empty()) return fault;
      }
      return {};
    case object_type::MAP:
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack::object& key = o.via.map.ptr[i].key;
        if (key.type != object_type::STR && key.type != object_type::POSITIVE_INTEGER &&
            key.type != object_type::NEGATIVE_INTEGER) {
          return "props map keys must be strings or integers, got " +
                 std::string(TypeName(key.type));
        }
        if (std::string fault = CheckPropsValue(o.via.map.ptr[i].val); !fault.empty()) {
          return fault;
        }
      }
      return {};
    default:
      return {};
  }
}

// Reads an optional bool field into *out. Returns "" or the fault.
std::string ReadBool(const msgpack::object* o, std::string_view name, bool* out) {
  if (o == nullptr) return {};
  if (o->type != object_type::BOOLEAN) return MustBe(name, "a boolean");
  *out = o->via.boolean;
  return {};
}

// Reads an optional string field that must match `valid` into *out. Returns "" or the fault.
std::string ReadName(const msgpack::object* o, std::string_view name,
                     bool (*valid)(std::string_view), std::string_view pattern, std::string* out) {
  if (o == nullptr) return {};
  if (o->type != object_type::STR || !valid(StrOf(*o))) {
    return MustBe(name, "a string matching " + std::string(pattern));
  }
  *out = std::string(StrOf(*o));
  return {};
}

// Fills the hydration fields of *request. Returns "" or the fault.
std::string FillHydration(const msgpack::object* hydrate, const msgpack::object* id,
                          const msgpack::object* global, const msgpack::object* nonce,
                          const msgpack::object* combine, Request* request) {
  std::string fault = ReadBool(hydrate, "hydrate", &request->hydrate);
  if (fault.empty()) {
    fault = ReadName(id, "hydrate_id", IsHydrateId, "^[A-Za-z][A-Za-z0-9_:.-]{0,127}$",
                     &request->hydrate_id);
  }
  if (fault.empty()) {
    fault = ReadName(global, "hydrate_global", IsHydrateGlobal, "^[A-Za-z_$][A-Za-z0-9_$]{0,127}$",
                     &request->hydrate_global);
  }
  if (fault.empty()) {
    fault = ReadName(nonce, "nonce", IsNonce, "^[A-Za-z0-9+/=_-]{1,256}$", &request->nonce);
  }
  if (fault.empty()) fault = ReadBool(combine, "combine", &request->combine);
  return fault;
}

// A field of another op ("target" on a render, "component" on a ping) was checked but means
// nothing here: it is dropped, so that the request holds what its op uses and re-encodes to
// itself (EncodeRequest writes each op's own fields only; found by fuzz/request_fuzz.cc).
void KeepOnlyFieldsOfItsOp(Request* request) {
  const Request defaults;
  if (request->op != Op::kRender) {
    request->component.clear();
    request->props_msgpack = kEmptyMap;
    request->url.clear();
    request->timeout_ms = 0;
    request->retry = defaults.retry;
    request->hydrate = false;
    request->hydrate_id = defaults.hydrate_id;
    request->hydrate_global.clear();
    request->nonce.clear();
    request->combine = false;
    request->stream = false;
  }
  if (request->op != Op::kCancel) request->target_id = 0;
  if (request->op != Op::kAuth) request->token.clear();
}

// Checks the fields' types and presence and fills *request. Returns "" or the fault.
std::string FillRequest(const Fields& fields, Request* request) {
  // nil counts as absent for every field but "id" and "op", which are always required.
  auto present = [&](Field f) -> const msgpack::object* {
    if (!fields[f] || fields[f]->handle.get().type == object_type::NIL) return nullptr;
    return &fields[f]->handle.get();
  };

  if (!fields[kId]) return MissingField("id");
  const msgpack::object& id = fields[kId]->handle.get();
  if (!IsUint(id)) return MustBe("id", "a non-negative integer");
  request->id = id.via.u64;

  if (const msgpack::object* v = present(kV)) {
    if (!IsUint(*v)) return MustBe("v", "an unsigned integer");
    if (v->via.u64 != kProtocolVersion) {
      return "unsupported protocol version " + std::to_string(v->via.u64) +
             " (this server speaks " + std::to_string(kProtocolVersion) + ")";
    }
  }

  if (!fields[kOp]) return MissingField("op");
  const msgpack::object& op = fields[kOp]->handle.get();
  if (op.type != object_type::STR) return MustBe("op", "a string");
  const std::optional<Op> parsed_op = OpFromName(StrOf(op));
  if (!parsed_op) {
    constexpr std::size_t kShownBytes = 64;  // a hostile op string is not echoed whole
    return "unknown op " + Quoted(StrOf(op).substr(0, kShownBytes));
  }
  request->op = *parsed_op;

  const msgpack::object* component = present(kComponent);
  if (component) {
    if (component->type != object_type::STR) return MustBe("component", "a string");
    request->component = std::string(StrOf(*component));
  }
  if (const msgpack::object* props = present(kProps)) {
    if (props->type != object_type::MAP) return MustBe("props", "a map");
    if (std::string fault = CheckPropsValue(*props); !fault.empty()) return fault;
    request->props_msgpack = std::string(fields[kProps]->bytes);
  } else {
    request->props_msgpack = kEmptyMap;
  }
  if (const msgpack::object* url = present(kUrl)) {
    if (url->type != object_type::STR) return MustBe("url", "a string");
    request->url = std::string(StrOf(*url));
  }
  if (const msgpack::object* timeout = present(kTimeoutMs)) {
    if (!IsUint(*timeout)) return MustBe("timeout_ms", "an unsigned integer");
    if (timeout->via.u64 > std::numeric_limits<std::uint32_t>::max()) {
      return MustBe("timeout_ms", "at most 4294967295");
    }
    request->timeout_ms = static_cast<std::uint32_t>(timeout->via.u64);
  }
  const msgpack::object* target = present(kTarget);
  if (target) {
    if (!IsUint(*target)) return MustBe("target", "an unsigned integer");
    request->target_id = target->via.u64;
  }
  const msgpack::object* token = present(kToken);
  if (token) {
    if (token->type != object_type::STR) return MustBe("token", "a string");
    request->token = std::string(StrOf(*token));
  }
  std::string hydration = FillHydration(present(kHydrate), present(kHydrateId),
                                        present(kHydrateGlobal), present(kNonce),
                                        present(kCombine), request);
  if (!hydration.empty()) return hydration;
  std::string retry = ReadBool(present(kRetry), "retry", &request->retry);
  if (!retry.empty()) return retry;
  std::string stream = ReadBool(present(kStream), "stream", &request->stream);
  if (!stream.empty()) return stream;

  if (request->op == Op::kRender && !component) return MissingField("component");
  if (request->op == Op::kCancel && !target) return MissingField("target");
  if (request->op == Op::kAuth && !token) return MissingField("token");
  KeepOnlyFieldsOfItsOp(request);
  return {};
}

// --- reply decoding -----------------------------------------------------------------------------

Error BadReply(std::string message) {
  return MakeError(ErrorCode::kBadRequest, std::move(message));
}

std::string ReplyMustBe(std::string_view name, std::string_view what) {
  return "reply field " + Quoted(name) + " must be " + std::string(what);
}

// Fills *error from the "error" map. Returns "" or the fault.
std::string ReadErrorMap(const msgpack::object& map, Error* error) {
  bool have_code = false;
  std::string code_name;
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object& key = map.via.map.ptr[i].key;
    const msgpack::object& val = map.via.map.ptr[i].val;
    if (key.type != object_type::STR) return "reply map keys must be strings";
    const std::string_view name = StrOf(key);
    if (name != "code" && name != "message" && name != "stack") continue;
    if (val.type != object_type::STR) return ReplyMustBe(std::string("error.") += name, "a string");
    if (name == "code") {
      have_code = true;
      code_name = std::string(StrOf(val));
    } else if (name == "message") {
      error->message = std::string(StrOf(val));
    } else {
      error->stack = std::string(StrOf(val));
    }
  }
  if (!have_code) return "reply is missing field \"error.code\"";
  if (std::optional<ErrorCode> code = ErrorCodeFromName(code_name)) {
    error->code = *code;
  } else {
    // A newer server may add codes; keep what it said rather than failing the whole reply.
    error->code = ErrorCode::kInternal;
    error->message = "unknown error code " + Quoted(code_name) + ": " + error->message;
  }
  return {};
}

std::string ReadConsole(const msgpack::object& arr, std::vector<ConsoleLine>* console) {
  for (std::uint32_t i = 0; i < arr.via.array.size; ++i) {
    const msgpack::object& line = arr.via.array.ptr[i];
    if (line.type != object_type::ARRAY || line.via.array.size != 2 ||
        line.via.array.ptr[0].type != object_type::STR ||
        line.via.array.ptr[1].type != object_type::STR) {
      return ReplyMustBe("console", "an array of [level, text] string pairs");
    }
    console->push_back(ConsoleLine{std::string(StrOf(line.via.array.ptr[0])),
                                   std::string(StrOf(line.via.array.ptr[1]))});
  }
  return {};
}

std::string ReadStats(const msgpack::object& map, std::map<std::string, std::int64_t>* stats) {
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object& key = map.via.map.ptr[i].key;
    const msgpack::object& val = map.via.map.ptr[i].val;
    const bool fits =
        val.type == object_type::NEGATIVE_INTEGER ||
        (val.type == object_type::POSITIVE_INTEGER &&
         val.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
    if (key.type != object_type::STR || !fits) {
      return ReplyMustBe("stats", "a map from strings to 64-bit integers");
    }
    (*stats)[std::string(StrOf(key))] = val.via.i64;
  }
  return {};
}

bool ReadUint32(const msgpack::object& o, std::uint32_t* out) {
  if (!IsUint(o) || o.via.u64 > std::numeric_limits<std::uint32_t>::max()) return false;
  *out = static_cast<std::uint32_t>(o.via.u64);
  return true;
}

bool ReadInt64(const msgpack::object& o, std::int64_t* out) {
  if (o.type == object_type::NEGATIVE_INTEGER ||
      (o.type == object_type::POSITIVE_INTEGER &&
       o.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))) {
    *out = o.via.i64;
    return true;
  }
  return false;
}

// "workers": an array of maps, one per worker (WorkerInfo). Unknown keys are ignored.
std::string ReadWorkers(const msgpack::object& array, std::vector<WorkerInfo>* workers) {
  constexpr std::string_view kShape = "an array of worker maps";
  for (std::uint32_t i = 0; i < array.via.array.size; ++i) {
    const msgpack::object& entry = array.via.array.ptr[i];
    if (entry.type != object_type::MAP) return ReplyMustBe("workers", kShape);
    WorkerInfo info;
    for (std::uint32_t k = 0; k < entry.via.map.size; ++k) {
      const msgpack::object& key = entry.via.map.ptr[k].key;
      const msgpack::object& val = entry.via.map.ptr[k].val;
      if (key.type != object_type::STR) return ReplyMustBe("workers", kShape);
      std::string_view name = StrOf(key);
      bool fits = true;
      if (name == "pid") fits = ReadUint32(val, &info.pid);
      else if (name == "slot") fits = ReadUint32(val, &info.slot);
      else if (name == "generation") fits = IsUint(val) && (info.generation = val.via.u64, true);
      else if (name == "served") fits = ReadInt64(val, &info.served);
      else if (name == "restarts") fits = ReadInt64(val, &info.restarts);
      else if (name == "heap_used") fits = ReadInt64(val, &info.heap_used);
      else if (name == "rss") fits = ReadInt64(val, &info.rss);
      else if (name == "state") {
        fits = val.type == object_type::STR;
        if (fits) info.state = std::string(StrOf(val));
      }
      if (!fits) return ReplyMustBe("workers", kShape);
    }
    workers->push_back(std::move(info));
  }
  return {};
}

// Fills *reply from one entry of the reply map. Returns "" or the fault.
std::string ReadReplyEntry(std::string_view name, const msgpack::object& val, Reply* reply,
                           bool* have_id, std::optional<bool>* ok, std::optional<Error>* error) {
  if (name == "id") {
    if (!IsUint(val)) return ReplyMustBe("id", "a non-negative integer");
    reply->id = val.via.u64;
    *have_id = true;
  } else if (name == "ok") {
    if (val.type != object_type::BOOLEAN) return ReplyMustBe("ok", "a boolean");
    *ok = val.via.boolean;
  } else if (name == "error") {
    if (val.type != object_type::MAP) return ReplyMustBe("error", "a map");
    error->emplace();
    return ReadErrorMap(val, &**error);
  } else if (name == "chunk") {
    if (val.type != object_type::STR) return ReplyMustBe("chunk", "a string");
    reply->chunk = true;
    reply->html = std::string(StrOf(val));
  } else if (name == "html" || name == "head" || name == "script") {
    if (val.type != object_type::STR) return ReplyMustBe(name, "a string");
    std::string* field = name == "html" ? &reply->html
                         : name == "head" ? &reply->head
                                          : &reply->script;
    *field = std::string(StrOf(val));
  } else if (name == "status") {
    if (!ReadUint32(val, &reply->status))
      return ReplyMustBe("status", "an unsigned 32-bit integer");
  } else if (name == "pid") {
    if (!ReadUint32(val, &reply->worker_pid))
      return ReplyMustBe("pid", "an unsigned 32-bit integer");
  } else if (name == "console") {
    if (val.type != object_type::ARRAY) return ReplyMustBe("console", "an array");
    return ReadConsole(val, &reply->console);
  } else if (name == "stats") {
    if (val.type != object_type::MAP) return ReplyMustBe("stats", "a map");
    return ReadStats(val, &reply->stats);
  } else if (name == "workers") {
    if (val.type != object_type::ARRAY) return ReplyMustBe("workers", "an array");
    return ReadWorkers(val, &reply->workers);
  } else if (name == "heap_used") {
    if (!IsUint(val)) return ReplyMustBe("heap_used", "a non-negative integer");
    reply->heap_used = val.via.u64;
  } else if (name == "context_resets") {
    if (!IsUint(val)) return ReplyMustBe("context_resets", "a non-negative integer");
    reply->context_resets = val.via.u64;
  }
  // Anything else ("protocol", keys of later versions) is ignored.
  return {};
}

// The fixed prefix EncodeReply writes: fixmap header, fixstr "id", uint64 marker, 8 id bytes.
constexpr std::size_t kReplyIdOffset = 5;
constexpr std::size_t kReplyPrefixBytes = kReplyIdOffset + 8;

bool HasReplyPrefix(std::string_view p) {
  if (p.size() < kReplyPrefixBytes) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(p.data());
  return b[0] >= 0x81 && b[0] <= 0x8f && b[1] == 0xa2 && b[2] == 'i' && b[3] == 'd' && b[4] == 0xcf;
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kRender: return "render";
    case Op::kPing: return "ping";
    case Op::kStats: return "stats";
    case Op::kCancel: return "cancel";
    case Op::kAuth: return "auth";
  }
  return "ping";
}

std::optional<Request> DecodeRequest(std::string_view payload, DecodeFailure* failure) {
  Fields fields;
  std::string fault = ScanRequestMap(payload, &fields);
  Request request;
  if (fault.empty()) fault = FillRequest(fields, &request);
  if (fault.empty()) return request;
  if (failure != nullptr) {
    failure->error = MakeError(ErrorCode::kBadRequest, std::move(fault));
    failure->id.reset();
    if (fields[kId] && IsUint(fields[kId]->handle.get())) {
      failure->id = fields[kId]->handle.get().via.u64;
    }
  }
  return std::nullopt;
}

void EncodeRequest(const Request& request, std::string* out) {
  FrameSink sink(out);
  Packer pk(sink);
  std::uint32_t entries = 3;  // id, v, op
  if (request.op == Op::kRender) {
    entries += 2;  // component, props
    if (!request.url.empty()) ++entries;
    if (request.timeout_ms != 0) ++entries;
    if (request.hydrate) ++entries;
    if (request.hydrate_id != kDefaultHydrateId) ++entries;
    if (!request.hydrate_global.empty()) ++entries;
    if (!request.nonce.empty()) ++entries;
    if (request.combine) ++entries;
    if (!request.retry) ++entries;
    if (request.stream) ++entries;
  } else if (request.op == Op::kCancel || request.op == Op::kAuth) {
    entries += 1;
  }
  pk.pack_map(entries);
  PackStr(pk, "id");
  pk.pack_uint64(request.id);
  PackStr(pk, "v");
  pk.pack_uint32(kProtocolVersion);
  PackStr(pk, "op");
  PackStr(pk, OpName(request.op));
  if (request.op == Op::kRender) {
    PackStr(pk, "component");
    PackStr(pk, request.component);
    PackStr(pk, "props");
    // Already MessagePack: written verbatim, so keys and encodings reach the worker untouched.
    if (request.props_msgpack.empty()) {
      sink.write(kEmptyMap, 1);
    } else {
      sink.write(request.props_msgpack.data(), request.props_msgpack.size());
    }
    if (!request.url.empty()) {
      PackStr(pk, "url");
      PackStr(pk, request.url);
    }
    if (request.timeout_ms != 0) {
      PackStr(pk, "timeout_ms");
      pk.pack_uint32(request.timeout_ms);
    }
    if (request.hydrate) {
      PackStr(pk, "hydrate");
      pk.pack_true();
    }
    if (request.hydrate_id != kDefaultHydrateId) {
      PackStr(pk, "hydrate_id");
      PackStr(pk, request.hydrate_id);
    }
    if (!request.hydrate_global.empty()) {
      PackStr(pk, "hydrate_global");
      PackStr(pk, request.hydrate_global);
    }
    if (!request.nonce.empty()) {
      PackStr(pk, "nonce");
      PackStr(pk, request.nonce);
    }
    if (request.combine) {
      PackStr(pk, "combine");
      pk.pack_true();
    }
    if (!request.retry) {
      PackStr(pk, "retry");
      pk.pack_false();
    }
    if (request.stream) {
      PackStr(pk, "stream");
      pk.pack_true();
    }
  } else if (request.op == Op::kCancel) {
    PackStr(pk, "target");
    pk.pack_uint64(request.target_id);
  } else if (request.op == Op::kAuth) {
    PackStr(pk, "token");
    PackStr(pk, request.token);
  }
  sink.Finish();
}

void EncodeChunk(std::uint64_t id, std::string_view html, std::string* out) {
  FrameSink sink(out);
  Packer pk(sink);
  pk.pack_map(2);
  PackStr(pk, "id");
  pk.pack_fix_uint64(id);  // fixed 9-byte form, see PatchReplyId
  PackStr(pk, "chunk");
  PackStr(pk, html);
  sink.Finish();
}

void EncodeReply(const Reply& reply, std::string* out) {
  if (reply.chunk) {
    EncodeChunk(reply.id, reply.html, out);
    return;
  }
  FrameSink sink(out);
  Packer pk(sink);
  // Reply has no op: a success reply carries each group of keys whose fields hold something, and
  // "protocol" when it holds nothing else (the ping reply). Decoders default the absent keys.
  // An error reply carries none of the render keys, whatever the other fields hold.
  const bool render = !reply.error && (!reply.html.empty() || !reply.head.empty() ||
                                       reply.status != 200 || !reply.console.empty() ||
                                       !reply.script.empty());
  const bool script = !reply.script.empty();
  const bool stats = !reply.stats.empty();
  const bool pid = reply.worker_pid != 0;
  const bool heap = reply.heap_used != 0;
  const bool resets = reply.context_resets != 0;
  std::uint32_t entries = 2 + (heap ? 1 : 0) + (resets ? 1 : 0);  // id, ok, heap_used, resets
  if (reply.error) {
    entries += 1 + (reply.console.empty() ? 0 : 1);
  } else {
    entries += (render ? 4 : 0) + (script ? 1 : 0) + (stats ? 2 : 0) + (pid ? 1 : 0);
    if (!render && !stats && !pid) entries += 1;
  }
  pk.pack_map(entries);
  PackStr(pk, "id");
  pk.pack_fix_uint64(reply.id);  // fixed 9-byte form, see PatchReplyId
  PackStr(pk, "ok");
  if (reply.error) {
    pk.pack_false();
    PackStr(pk, "error");
    const Error& e = *reply.error;
    pk.pack_map(e.stack.empty() ? 2 : 3);
    PackStr(pk, "code");
    PackStr(pk, ErrorCodeName(e.code));
    PackStr(pk, "message");
    PackStr(pk, e.message);
    if (!e.stack.empty()) {
      PackStr(pk, "stack");
      PackStr(pk, e.stack);
    }
  } else {
    pk.pack_true();
    if (render) {
      PackStr(pk, "html");
      PackStr(pk, reply.html);
      PackStr(pk, "head");
      PackStr(pk, reply.head);
      PackStr(pk, "status");
      pk.pack_uint32(reply.status);
    }
    if (script) {
      PackStr(pk, "script");
      PackStr(pk, reply.script);
    }
    if (stats) {
      PackStr(pk, "stats");
      pk.pack_map(static_cast<std::uint32_t>(reply.stats.size()));
      for (const auto& [name, value] : reply.stats) {
        PackStr(pk, name);
        pk.pack_int64(value);
      }
      PackWorkers(pk, reply.workers);
    }
    if (pid) {
      PackStr(pk, "pid");
      pk.pack_uint32(reply.worker_pid);
    }
    if (!render && !stats && !pid) {
      PackStr(pk, "protocol");
      pk.pack_uint32(kProtocolVersion);
    }
  }
  // Console lines also travel with an error: what a render logged before it threw helps debug it.
  if (render || (reply.error && !reply.console.empty())) {
    PackStr(pk, "console");
    pk.pack_array(static_cast<std::uint32_t>(reply.console.size()));
    for (const ConsoleLine& line : reply.console) {
      pk.pack_array(2);
      PackStr(pk, line.level);
      PackStr(pk, line.text);
    }
  }
  if (resets) {  // in fixed form, before heap_used: see PeekReplyContextResets
    PackStr(pk, "context_resets");
    pk.pack_fix_uint64(reply.context_resets);
  }
  if (heap) {  // last, in fixed form: see PeekReplyHeapUsed
    PackStr(pk, "heap_used");
    pk.pack_fix_uint64(reply.heap_used);
  }
  sink.Finish();
}

Result<Reply> DecodeReply(std::string_view payload) {
  msgpack::object_handle handle;
  std::size_t offset = 0;
  if (!UnpackOne(payload, &offset, &handle)) return BadReply(kInvalidMsgpack);
  if (offset != payload.size()) return BadReply("trailing bytes after the reply map");
  const msgpack::object& map = handle.get();
  if (map.type != object_type::MAP) {
    return BadReply("reply must be a map, got " + std::string(TypeName(map.type)));
  }
  Reply reply;
  bool have_id = false;
  std::optional<bool> ok;
  std::optional<Error> error;
  std::vector<std::string_view> keys;
  keys.reserve(map.via.map.size);
  for (std::uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object& key = map.via.map.ptr[i].key;
    if (key.type != object_type::STR) return BadReply("reply map keys must be strings");
    keys.push_back(StrOf(key));
    std::string fault =
        ReadReplyEntry(StrOf(key), map.via.map.ptr[i].val, &reply, &have_id, &ok, &error);
    if (!fault.empty()) return BadReply(std::move(fault));
  }
  // A key twice is refused, as in a request: the relay patches the first "id" in place
  // (PatchReplyId), and a decoder that let a second one win would match the reply to another
  // request.
  std::sort(keys.begin(), keys.end());
  if (auto twice = std::adjacent_find(keys.begin(), keys.end()); twice != keys.end()) {
    return BadReply("duplicate field " + Quoted(*twice));
  }
  if (!have_id) return BadReply("reply is missing field \"id\"");
  if (reply.chunk) {
    if (ok || error) return BadReply("a chunk frame must hold only \"id\" and \"chunk\"");
    return reply;
  }
  if (!ok) return BadReply("reply is missing field \"ok\"");
  if (!*ok) {
    if (!error) return BadReply("reply is missing field \"error\"");
    reply.error = std::move(error);
  }
  return reply;
}

bool PatchReplyId(std::string* payload, std::uint64_t id) {
  if (!HasReplyPrefix(*payload)) return false;
  for (int i = 0; i < 8; ++i) {
    (*payload)[kReplyIdOffset + i] = static_cast<char>(id >> (56 - 8 * i));
  }
  return true;
}

namespace {

constexpr std::string_view kHeapUsedKey = "\xa9heap_used\xcf";
constexpr std::string_view kContextResetsKey = "\xae" "context_resets\xcf";

// The fixed-form uint64 under `key` that ends `payload` `from_end` bytes before its end.
std::optional<std::uint64_t> PeekFixedField(std::string_view payload, std::string_view key,
                                            std::size_t from_end) {
  const std::size_t field_bytes = key.size() + 8;
  if (!HasReplyPrefix(payload) || payload.size() < kReplyPrefixBytes + field_bytes + from_end) {
    return std::nullopt;
  }
  std::string_view field = payload.substr(payload.size() - from_end - field_bytes, field_bytes);
  if (field.substr(0, key.size()) != key) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = key.size(); i < field_bytes; ++i) {
    value = (value << 8) | static_cast<unsigned char>(field[i]);
  }
  return value;
}

}  // namespace

std::optional<std::uint64_t> PeekReplyHeapUsed(std::string_view payload) {
  return PeekFixedField(payload, kHeapUsedKey, 0);
}

std::optional<std::uint64_t> PeekReplyContextResets(std::string_view payload) {
  if (auto resets = PeekFixedField(payload, kContextResetsKey, kHeapUsedKey.size() + 8)) {
    return resets;
  }
  return PeekFixedField(payload, kContextResetsKey, 0);
}

bool IsChunkPayload(std::string_view payload) {
  constexpr std::string_view kChunkKey = "\xa5" "chunk";
  return HasReplyPrefix(payload) && payload.substr(kReplyPrefixBytes, kChunkKey.size()) == kChunkKey;
}

std::optional<std::uint64_t> PeekReplyId(std::string_view payload) {
  if (!HasReplyPrefix(payload)) return std::nullopt;
  std::uint64_t id = 0;
  for (int i = 0; i < 8; ++i) {
    id = (id << 8) | static_cast<unsigned char>(payload[kReplyIdOffset + i]);
  }
  return id;
}

}  // namespace ssrd::ipc
