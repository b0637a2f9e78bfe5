// The blocking C++ client of the ssrd socket protocol (docs/protocol.md).
//
// One Client holds one connection to the daemon (a Unix socket, or TCP with tcp://HOST:PORT) and
// multiplexes every call over it:
// each request gets a fresh id and is queued as one whole frame; a reader thread hands each reply
// to the caller waiting on that id. Replies may arrive in any order.
//
// Writes are combined: the calling thread writes its frame itself when no other thread is
// writing, together with every frame queued meanwhile, one buffer per write; otherwise its frame
// goes out with the current writer's next write and the call just waits for its reply. Frames
// never interleave. So a thread may, inside its own call, write other threads' requests.
//
// Threads: every method may be called from any number of threads at once; each call waits only
// for its own reply (and, when it is the writer, for the writes of frames queued meanwhile).
// Destroying the Client while another thread is inside a call is a bug.
//
// Failures are values, never exceptions:
//   - an error the daemon reports comes back as that ipc::Error (code, message, JS stack);
//   - no reply within the call's timeout: kTimeout "no reply within N ms"; the client also sends
//     a best-effort cancel for that id, and the late reply, if any, is discarded;
//   - the connection drops: every call in flight fails with kUnavailable; the next call
//     connects again (once; if that fails, it returns kUnavailable). A call whose frame had not
//     been written whole when an already open connection died is sent once more on a new one;
//   - a write that makes no progress for request_timeout (the daemon stopped reading) drops
//     the connection as above;
//   - a request larger than ClientOptions::max_frame_bytes: kTooLarge, nothing is sent.
//
// fork(): a child must not share its parent's connection (replies would go to whichever process
// reads first). The Client notices that getpid() changed and the child's first call opens its
// own connection; the parent's socket is only close()d in the child, never shut down, so the
// parent keeps working. The parent's reader thread does not exist in the child, so the child
// leaks (on purpose) the small state it inherited. Calls made in the child while another parent
// thread was mid-call at fork time are safe: the child starts from fresh locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::client {

struct ClientOptions {
  // Bound on establishing the connection (the daemon's accept backlog may be full).
  std::chrono::milliseconds connect_timeout{5000};
  // Used by calls that give no timeout of their own (Ping, Stats, Render without one). Also the
  // longest a write may make no progress before the connection is dropped.
  std::chrono::milliseconds request_timeout{30000};
  // Largest frame sent or accepted; a reply over it drops the connection.
  std::size_t max_frame_bytes = ipc::kDefaultMaxFrameBytes;
  // Sent in an `auth` frame right after every connect, before any request (docs/protocol.md,
  // "Authentication"); "" = none. Needed on TCP when the daemon has --auth-token-file; a Unix
  // socket answers it ok. A refused token fails Connect (and later reconnects) with kUnauthorized.
  std::string auth_token;
  // After sending a request, and after handing out replies, the client keeps looking for the next
  // reply this long before its threads sleep, while the CPUs are idle (ipc/spin_gate.h): on a
  // virtual machine each sleep costs a wake-up of an idle CPU, two per call (the reader thread,
  // then the caller). Costs up to this much CPU per call when nothing else wants it; 0 = sleep at
  // once. The daemon does the same (--busy-poll-us).
  std::chrono::microseconds busy_poll{100};
};

struct RenderOptions {
  std::string url;  // passed to the bundle's render as `url`; empty = none
  // 0 = ClientOptions::request_timeout, and the daemon applies its own default deadline.
  // Otherwise the daemon is told this deadline too, so it stops the work when the caller gives up.
  std::chrono::milliseconds timeout{0};
  // Hydration data (docs/protocol.md, "Hydration"): the reply's `script` holds the escaped
  // <script> element. Empty strings mean the daemon's defaults.
  bool hydrate = false;
  std::string hydrate_id;      // default "ssrd-data"
  std::string hydrate_global;  // set: a classic script assigning window[NAME]
  std::string nonce;           // set: a nonce attribute for a strict CSP
  bool combine = false;        // html followed by the script in `html`; `script` stays empty
};

struct RenderResult {
  std::string html;
  std::string script;  // the hydration element; "" unless asked for (and not combined)
  std::string head;
  std::uint32_t status = 200;
  std::vector<ipc::ConsoleLine> console;
};

// $XDG_RUNTIME_DIR/ssrd.sock when that variable is set, else /tmp/ssrd-<uid>.sock (as ssrd).
std::string DefaultSocketPath();

class Client {
 public:
  // Connects at once, so that a wrong path fails here (kUnavailable naming the path and errno),
  // and authenticates when options.auth_token is set. `socket_path` is a Unix socket path or
  // "tcp://HOST:PORT" ("tcp://127.0.0.1:9000", "tcp://[::1]:9000", "tcp://ssrd.internal:9000").
  static ipc::Result<std::unique_ptr<Client>> Connect(std::string socket_path,
                                                      ClientOptions options = {});
  ~Client();  // shuts the socket down and joins the reader thread

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // props_json: a JSON value (normally an object); empty means {}. Invalid JSON: kBadRequest.
  ipc::Result<RenderResult> Render(std::string_view component, std::string_view props_json,
                                   RenderOptions options = {});
  // props_msgpack: the MessagePack bytes of the props value; empty means {}.
  ipc::Result<RenderResult> RenderMsgpack(std::string_view component,
                                          std::string_view props_msgpack,
                                          RenderOptions options = {});
  // A streamed render (docs/protocol.md, "Streaming"): on_html gets every piece of the page's
  // html as it arrives, in order, on the calling thread (the chunks, then the final reply's html;
  // with `combine`, the hydration script last). The result holds head, status, console and script;
  // its html is empty. On an error after some pieces were passed on, the error is returned and the
  // pieces already given are not a page. on_html must not throw; it may be slow (the reply waits),
  // but it then counts against the call's timeout.
  using HtmlFn = std::function<void(std::string_view html)>;
  ipc::Result<RenderResult> RenderStream(std::string_view component, std::string_view props_json,
                                         const HtmlFn& on_html, RenderOptions options = {});

  // Answered by the daemon itself, without a worker.
  ipc::Result<void> Ping();
  // The daemon's counters by name.
  ipc::Result<std::map<std::string, std::int64_t>> Stats();

  const std::string& socket_path() const;

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssrd::client
