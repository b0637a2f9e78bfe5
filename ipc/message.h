// The message schema of protocol v1 (docs/protocol.md): each frame holds one MessagePack map with
// string keys. Decoding never throws: msgpack-c's exceptions are caught inside message.cc and
// become kBadRequest. Encoders append a complete frame (header included) to *out.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"

namespace ssrd::ipc {

inline constexpr std::uint32_t kProtocolVersion = 1;
inline constexpr std::string_view kDefaultHydrateId = "ssrd-data";

enum class Op { kRender, kPing, kStats, kCancel };
std::string_view OpName(Op op);

struct Request {
  std::uint64_t id = 0;
  Op op = Op::kPing;
  // render
  std::string component;
  std::string props_msgpack;    // the "props" value as raw MessagePack bytes; a nil or absent
                                // value is encoded as an empty map (0x80)
  std::string url;              // optional, "" when absent
  std::uint32_t timeout_ms = 0;  // 0 = the daemon's default. Supervisor -> worker: the time left
                                // until the request's deadline (never 0).
  bool retry = true;  // a render whose worker dies may run once more on another worker
  // hydration (render): ask for the <script> element holding the props as JSON. The three names
  // are written into HTML and JS source as they are, so the decoder checks them against the
  // patterns below, whatever the op.
  bool hydrate = false;
  std::string hydrate_id = std::string(kDefaultHydrateId);  // ^[A-Za-z][A-Za-z0-9_:.-]{0,127}$
  std::string hydrate_global;  // "" = a JSON element; else ^[A-Za-z_$][A-Za-z0-9_$]{0,127}$
  std::string nonce;           // "" = none; else ^[A-Za-z0-9+/=_-]{1,256}$
  bool combine = false;        // reply html = html + script, and no separate script
  // Ask for the html as a stream (docs/protocol.md, "Streaming"): chunk frames with this id, then
  // the final reply. Only a client that reads chunk frames may set it.
  bool stream = false;
  // cancel: the id of the request to stop. Supervisor -> worker: the job id of the render in
  // flight; the worker answers that render `cancelled` and never replies to the cancel itself.
  std::uint64_t target_id = 0;
};

struct ConsoleLine {
  std::string level;  // "log", "info", "warn", "error", "debug"
  std::string text;
};

// One worker as the `stats` reply shows it (docs/operations.md).
struct WorkerInfo {
  std::uint32_t pid = 0;
  std::uint32_t slot = 0;
  std::string state;            // "starting", "ready", "busy", "retiring"
  std::uint64_t generation = 0;  // bundle generation: 1 at start, +1 per reload
  std::int64_t served = 0;       // replies this worker sent
  std::int64_t restarts = 0;     // times its slot was refilled after an unasked exit
  std::int64_t heap_used = 0;    // bytes, as of its last reply
  std::int64_t rss = 0;          // bytes, read from /proc when the stats were taken
};

struct Reply {
  std::uint64_t id = 0;
  // A chunk frame of a streamed render ({id, chunk}): `html` holds the next piece of the page and
  // nothing else is set. The final reply of the stream is an ordinary reply (chunk false).
  bool chunk = false;
  std::optional<Error> error;  // set: an error reply; unset: success
  // render success
  std::string html;
  std::string head;
  std::uint32_t status = 200;
  std::vector<ConsoleLine> console;
  // the hydration <script> element; "" when not asked for or when combined into html
  std::string script;
  // stats success: counters by name, and one entry per worker
  std::map<std::string, std::int64_t> stats;
  std::vector<WorkerInfo> workers;
  // Worker -> supervisor: the isolate's used heap in bytes after this request (0 = not told).
  // Relayed to clients as "heap_used", who may ignore it.
  std::uint64_t heap_used = 0;
  // Worker -> supervisor: contexts the worker's guard replaced since it started (0 = none; the
  // check runs after a reply is written, so a reset shows in the next reply). Relayed to clients,
  // who may ignore it.
  std::uint64_t context_resets = 0;
  // worker hello (id 0, first frame a worker sends): its pid
  std::uint32_t worker_pid = 0;

  bool ok() const { return !error.has_value(); }
};

// What a failed decode could still learn: the request id, when the map held a readable one.
struct DecodeFailure {
  Error error;
  std::optional<std::uint64_t> id;
};

// Decodes one request payload. Fails with kBadRequest on invalid MessagePack, a non-map, a
// missing or non-integer id, an unknown op, a wrong field type, a missing required field, or a
// hydrate_id, hydrate_global or nonce that does not match its pattern.
// On failure, *failure says why and, where it could be read, the id.
std::optional<Request> DecodeRequest(std::string_view payload, DecodeFailure* failure);
// Hydration keys are written only when they differ from their defaults, so a request that asks
// for no hydration encodes exactly as before they existed.
void EncodeRequest(const Request& request, std::string* out);

// Replies always begin with the "id" key holding a uint64 in its fixed 9-byte form, so that a
// relay (the supervisor) can rewrite the id of an encoded reply in place: see PatchReplyId.
void EncodeReply(const Reply& reply, std::string* out);
Result<Reply> DecodeReply(std::string_view payload);

// Appends one chunk frame {id, chunk: html} (header included); html must be whole UTF-8.
void EncodeChunk(std::uint64_t id, std::string_view html, std::string* out);
// True when an encoded payload is a chunk frame, judged by its first keys alone (cheap).
bool IsChunkPayload(std::string_view payload);

// Rewrites the id of an encoded reply payload (not frame) produced by EncodeReply. Returns false
// when the payload does not start the way EncodeReply writes it.
bool PatchReplyId(std::string* payload, std::uint64_t id);
std::optional<std::uint64_t> PeekReplyId(std::string_view payload);
// Reads heap_used without decoding the reply: EncodeReply writes it last, in fixed 9-byte form,
// so it is the payload's last 19 bytes. nullopt when the reply does not end with it.
std::optional<std::uint64_t> PeekReplyHeapUsed(std::string_view payload);
// Reads context_resets the same way: written in fixed form right before heap_used (or last, when
// there is no heap_used). nullopt when the reply does not carry it.
std::optional<std::uint64_t> PeekReplyContextResets(std::string_view payload);

// Converts JSON text to the MessagePack bytes of the same value (for ssrctl --props and tests).
Result<std::string> JsonToMsgpack(std::string_view json);

}  // namespace ssrd::ipc
