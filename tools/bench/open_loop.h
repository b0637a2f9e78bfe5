// An open-loop load against ssrd's socket: requests are sent at a fixed rate whatever the replies
// do, as clients that do not back off would, so that the server can be driven past what it can
// render (its overload behaviour: good replies/s, `overloaded` replies/s).
//
// Each connection is a raw Unix socket with two threads: a sender that writes render frames
// (ipc/message.h) at rate / connections per second, batching the requests that are due into one
// write about every half millisecond, and a reader that decodes every reply frame and counts it:
// ok (a render that passes the check), or its error code ("overloaded", "timeout", …; "bad_html"
// when the check fails, "bad_reply" when the frame cannot be decoded). Replies are counted when
// they arrive inside the measured window; latency (send -> reply) is kept for the good ones.
//
// Bounds: a connection keeps at most max_outstanding requests unanswered; a request that falls
// due above it is not sent and counted as unsent (the server is not even reading). All sends
// together stop at max_requests (0: no bound) and at the end of the window; then the readers
// wait up to `drain` for the replies still owed, and what stays unanswered is counted.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ipc/error.h"
#include "tools/bench/load_target.h"

namespace ssrd::bench {

struct OpenLoopOptions {
  std::string socket_path;
  std::string component;
  std::string props_json;
  ResponseCheck check;
  double rate = 0;  // requests/s, all connections together
  int connections = 1;
  std::chrono::steady_clock::time_point measure_start, measure_end;
  long long max_requests = 0;  // every send, warm-up included; 0 = no bound
  int max_outstanding = 65536;  // per connection
  std::chrono::milliseconds drain{3000};
};

struct OpenLoopResult {
  std::uint64_t sent = 0;           // every request written, warm-up included
  std::uint64_t sent_measured = 0;  // those written inside the window
  std::uint64_t unsent = 0;         // due but not sent (max_outstanding)
  std::uint64_t ok = 0;             // good replies inside the window
  std::map<std::string, std::uint64_t> errors;  // other replies inside the window, by code
  std::uint64_t unanswered = 0;     // still owed after the drain
  std::vector<std::uint32_t> micros;  // latency of the good replies inside the window
  double seconds = 0;               // the window's length as it ran
};

class OpenLoop {
 public:
  // Connects every connection (an error here ends the run) and starts sending at once.
  static ipc::Result<std::unique_ptr<OpenLoop>> Start(OpenLoopOptions options);
  ~OpenLoop();
  OpenLoop(const OpenLoop&) = delete;
  OpenLoop& operator=(const OpenLoop&) = delete;

  // Blocks until the senders have stopped (the window's end or max_requests) and the replies
  // owed have come or the drain has timed out; then closes the connections. Call once.
  OpenLoopResult Finish();

 private:
  struct Impl;
  explicit OpenLoop(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssrd::bench
