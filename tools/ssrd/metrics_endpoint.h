// The monitoring endpoint (`--metrics-listen HOST:PORT`): a small HTTP/1.1 server on the daemon's
// own loop. GET /metrics answers the Prometheus text exposition, /healthz 200 "ok" (the loop is
// alive: it is the loop that answers), /readyz 200 "ready" when the daemon can serve (at least one
// worker ready, not draining) and 503 otherwise; anything else 404, a method other than GET or
// HEAD 405. One request per connection (Connection: close). A request head over 8 KiB is answered
// 431, one not complete within 5 s is dropped, so a slow or hostile scraper costs a socket, never
// the loop.
//
// Why not prometheus-cpp: it brings its own threads and civetweb server, while everything here is
// a snapshot of counters the loop already holds; forty lines of libuv serve it without a second
// thread touching the pool (pool.h: loop thread only).
//
// Failure: Listen() returns kBadRequest for an address it cannot parse, kUnavailable when the bind
// fails (the message names the address and the reason). Loop thread only.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "ipc/error.h"

namespace ssrd::tools {

class MetricsEndpoint {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // the exposition text
    std::function<bool()> ready;           // for /readyz
  };

  // host_port: "127.0.0.1:9464", "[::1]:9464" or "0.0.0.0:9464".
  static ipc::Result<std::unique_ptr<MetricsEndpoint>> Listen(uv_loop_t* loop,
                                                               const std::string& host_port,
                                                               Handlers handlers);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The port bound (useful with port 0).
  int port() const { return port_; }

  struct Shared;  // outlives this object while connections close

 private:
  MetricsEndpoint() = default;
  std::shared_ptr<Shared> shared_;
  int port_ = 0;
};

// "HOST:PORT" -> a socket address; false when it is not one.
bool ParseHostPort(const std::string& host_port, sockaddr_storage* out);

}  // namespace ssrd::tools
