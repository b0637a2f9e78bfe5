// The systems ssrd_loadgen drives, behind one interface: ssrd over its Unix socket (through the
// C++ client), an HTTP/1.1 server on loopback (the Node peers, hypernova), and a child process
// speaking JSON lines on its stdin/stdout (the Bun pipe bridge).
//
// A Target opens connections; each connection yields `in_flight` Slots, and each Slot is driven
// by one thread doing one blocking request at a time. How a connection carries its slots is the
// transport's own: ssrd multiplexes them over one socket by request id; HTTP/1.1 has no
// multiplexing, so each slot is its own keep-alive TCP connection; the pipe bridge is one child
// process whatever the connection count, all slots multiplexed over its pipe by id.
//
// Every reply is checked to be a real render (ResponseCheck); anything else is an error outcome
// with a short code, never an exception. Call() never throws. A Slot is used by one thread; the
// Target and what the slots share are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"

namespace ssrd::bench {

// What a good reply contains: the marker (plain text, so that JSON escaping of the reply cannot
// hide it: no quote, backslash or control character) and at least min_bytes of reply.
struct ResponseCheck {
  std::string marker;
  std::size_t min_bytes = 0;
  // "" when `reply` passes, else the error code "bad_html".
  std::string_view Check(std::string_view reply) const;
};

// ok, or the error code: an ssrd code ("not_found", "timeout", …), or a transport's own:
// "unavailable" (cannot connect), "io" (the connection broke mid-request), "http_<status>",
// "bad_reply" (unparseable), "bad_html" (ResponseCheck failed), "error" (the bridge said so).
struct CallOutcome {
  bool ok = false;
  std::string error_code;
  static CallOutcome Ok() { return {true, {}}; }
  static CallOutcome Fail(std::string code) { return {false, std::move(code)}; }
};

class Slot {
 public:
  virtual ~Slot() = default;
  // One render request, blocking until its reply (or the transport's timeout).
  virtual CallOutcome Call() = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  // One connection's worth of slots. An error here (cannot connect) ends the run.
  virtual ipc::Result<std::vector<std::unique_ptr<Slot>>> OpenConnection(int in_flight) = 0;
  // A single request on a fresh connection, for the cold-start probe: "unavailable" while the
  // server is not up yet.
  virtual CallOutcome Probe() = 0;
  virtual std::string Name() const = 0;
  // The server's own counters after a run, as " stat_NAME=VALUE" fields for the result line
  // (ssrd: its `stats` reply); "" when the server has none or cannot say.
  virtual std::string ServerStats() { return {}; }
};

struct RenderRequest {
  std::string component;
  std::string props_json;  // a JSON value; validated by the factories
  ResponseCheck check;
  std::chrono::milliseconds timeout{30000};
  // ssrd only: send ping (answered by the supervisor, no worker) instead of render, to measure
  // what the transport alone costs. The check does not apply.
  bool ping = false;
  // ssrd only: the client's ClientOptions::busy_poll; negative = the client's default.
  std::chrono::microseconds client_busy_poll{-1};
};

// ssrd (tools/ssrd) on a Unix socket, through clients/cpp.
ipc::Result<std::unique_ptr<Target>> MakeSsrdTarget(std::string socket_path, RenderRequest request);

// An HTTP/1.1 server on a loopback address ("127.0.0.1:8080", "localhost:8080", "[::1]:8080";
// anything else is refused). POSTs `body` (JSON) to `path`; a good reply is status 200 whose
// body passes the check.
ipc::Result<std::unique_ptr<Target>> MakeHttpTarget(std::string host_port, std::string path,
                                                    std::string body, RenderRequest request);

// A child already started with pipes on its stdin (write_fd) and stdout (read_fd); the Target
// takes ownership of both. Writes {"id":N,"component":C,"props":P} lines; expects
// {"id":N,"html":"…"} or {"id":N,"error":"…"} lines back, in any order.
ipc::Result<std::unique_ptr<Target>> MakePipeTarget(int write_fd, int read_fd,
                                                    RenderRequest request);

}  // namespace ssrd::bench
