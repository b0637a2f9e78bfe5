#include "tools/ssrd/metrics_endpoint.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "pool/tcp_address.h"

namespace ssrd::tools {

struct MetricsEndpoint::Shared {
  Handlers handlers;
  uv_tcp_t* server = nullptr;  // null once closed
};

namespace {

constexpr std::size_t kMaxHeadBytes = 8 * 1024;
constexpr std::uint64_t kRequestTimeoutMs = 5000;

// One scrape: its socket and its timer close independently; the last close frees it.
struct Exchange {
  std::shared_ptr<MetricsEndpoint::Shared> shared;
  uv_tcp_t socket;
  uv_timer_t timer;
  uv_write_t write;
  std::string head;
  std::string response;
  int open_handles = 0;
  bool answered = false;
};

void OnHandleClosed(uv_handle_t* handle) noexcept {
  auto* exchange = static_cast<Exchange*>(handle->data);
  if (--exchange->open_handles == 0) delete exchange;
}

void Finish(Exchange* exchange) noexcept {
  auto close = [exchange](uv_handle_t* h) {
    if (!uv_is_closing(h)) uv_close(h, OnHandleClosed);
  };
  close(reinterpret_cast<uv_handle_t*>(&exchange->socket));
  close(reinterpret_cast<uv_handle_t*>(&exchange->timer));
}

std::string Response(int status, std::string_view reason, std::string_view content_type,
                     const std::string& body, bool head_only) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: " + std::string(content_type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += body;
  return out;
}

std::string Answer(const MetricsEndpoint::Handlers& handlers, std::string_view head) {
  if (!handlers.metrics || !handlers.ready) {
    return Response(503, "Service Unavailable", "text/plain", "shutting down\n", false);
  }
  std::string_view line = head.substr(0, head.find("\r\n"));
  std::size_t first_space = line.find(' ');
  std::size_t second_space = line.find(' ', first_space + 1);
  if (first_space == std::string_view::npos || second_space == std::string_view::npos) {
    return Response(400, "Bad Request", "text/plain", "bad request line\n", false);
  }
  std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, second_space - first_space - 1);
  target = target.substr(0, target.find('?'));
  bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    return Response(405, "Method Not Allowed", "text/plain", "GET or HEAD only\n", false);
  }
  if (target == "/metrics") {
    return Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", handlers.metrics(),
                    head_only);
  }
  if (target == "/healthz") return Response(200, "OK", "text/plain", "ok\n", head_only);
  if (target == "/readyz") {
    return handlers.ready()
               ? Response(200, "OK", "text/plain", "ready\n", head_only)
               : Response(503, "Service Unavailable", "text/plain", "not ready\n", head_only);
  }
  return Response(404, "Not Found", "text/plain", "try /metrics, /healthz or /readyz\n", head_only);
}

void Respond(Exchange* exchange, std::string response) noexcept {
  if (exchange->answered) return;
  exchange->answered = true;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&exchange->socket));
  exchange->response = std::move(response);
  uv_buf_t buf = uv_buf_init(exchange->response.data(),
                             static_cast<unsigned>(exchange->response.size()));
  exchange->write.data = exchange;
  int rc = uv_write(&exchange->write, reinterpret_cast<uv_stream_t*>(&exchange->socket), &buf, 1,
                    [](uv_write_t* req, int) noexcept { Finish(static_cast<Exchange*>(req->data)); });
  if (rc != 0) Finish(exchange);
}

void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* exchange = static_cast<Exchange*>(stream->data);
  if (nread > 0 && !exchange->answered) {
    exchange->head.append(buf->base, static_cast<std::size_t>(nread));
    if (exchange->head.find("\r\n\r\n") != std::string::npos) {
      // A throwing handler must not cross the loop: answer 500 instead.
      std::string response;
      try {
        response = Answer(exchange->shared->handlers, exchange->head);
      } catch (...) {
        response = Response(500, "Internal Server Error", "text/plain", "internal error\n", false);
      }
      Respond(exchange, std::move(response));
    } else if (exchange->head.size() > kMaxHeadBytes) {
      Respond(exchange, Response(431, "Request Header Fields Too Large", "text/plain",
                                 "request head over 8 KiB\n", false));
    }
  } else if (nread < 0 && !exchange->answered) {
    Finish(exchange);
  }
  delete[] buf->base;
}

void OnConnection(uv_stream_t* server, int status) noexcept {
  if (status < 0) return;
  auto* shared_cell = static_cast<std::shared_ptr<MetricsEndpoint::Shared>*>(server->data);
  auto* exchange = new Exchange;
  exchange->shared = *shared_cell;
  uv_tcp_init(server->loop, &exchange->socket);
  uv_timer_init(server->loop, &exchange->timer);
  exchange->socket.data = exchange;
  exchange->timer.data = exchange;
  exchange->open_handles = 2;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&exchange->socket)) != 0) {
    Finish(exchange);
    return;
  }
  uv_timer_start(
      &exchange->timer,
      [](uv_timer_t* timer) noexcept {
        auto* ex = static_cast<Exchange*>(timer->data);
        if (!ex->answered) Finish(ex);
      },
      kRequestTimeoutMs, 0);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&exchange->socket),
      [](uv_handle_t*, std::size_t suggested, uv_buf_t* buf) noexcept {
        std::size_t size = suggested < 4096 ? suggested : 4096;
        *buf = uv_buf_init(new char[size], static_cast<unsigned>(size));
      },
      OnRead);
}

}  // namespace

bool ParseHostPort(const std::string& host_port, sockaddr_storage* out) {
  return pool::ParseTcpAddress(host_port, out);
}

ipc::Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Listen(uv_loop_t* loop,
                                                                     const std::string& host_port,
                                                                     Handlers handlers) {
  sockaddr_storage address;
  if (!ParseHostPort(host_port, &address)) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                          "--metrics-listen " + host_port +
                              ": expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
  }
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint);
  endpoint->shared_ = std::make_shared<Shared>();
  endpoint->shared_->handlers = std::move(handlers);
  auto* server = new uv_tcp_t;
  uv_tcp_init(loop, server);
  // The handle keeps the shared state alive for the exchanges it accepts until it is closed.
  server->data = new std::shared_ptr<Shared>(endpoint->shared_);
  auto close_server = [](uv_tcp_t* s) {
    uv_close(reinterpret_cast<uv_handle_t*>(s), [](uv_handle_t* h) noexcept {
      delete static_cast<std::shared_ptr<Shared>*>(h->data);
      delete reinterpret_cast<uv_tcp_t*>(h);
    });
  };
  int rc = uv_tcp_bind(server, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(server), 64, OnConnection);
  if (rc != 0) {
    close_server(server);
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "--metrics-listen " + host_port + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound;
  int length = sizeof bound;
  if (uv_tcp_getsockname(server, reinterpret_cast<sockaddr*>(&bound), &length) == 0) {
    endpoint->port_ = ntohs(bound.ss_family == AF_INET6
                                ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  endpoint->shared_->server = server;
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (!shared_) return;
  // A scrape still open may be read after its owner is gone: it then gets 503, not a dangling call.
  shared_->handlers = {};
  if (shared_->server == nullptr) return;
  uv_tcp_t* server = shared_->server;
  shared_->server = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(server), [](uv_handle_t* h) noexcept {
    delete static_cast<std::shared_ptr<Shared>*>(h->data);
    delete reinterpret_cast<uv_tcp_t*>(h);
  });
}

}  // namespace ssrd::tools
