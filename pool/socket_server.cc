#include "pool/socket_server.h"

#include <spdlog/spdlog.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "ipc/connection.h"
#include "ipc/log_escape.h"
#include "ipc/message.h"
#include "pool/dispatcher.h"
#include "pool/log_throttle.h"
#include "pool/peer_check.h"
#include "pool/tcp_address.h"

namespace ssrd::pool {

struct SocketServer::State : std::enable_shared_from_this<SocketServer::State> {
  struct Conn {
    ipc::Connection* connection = nullptr;
    std::unordered_map<std::uint64_t, Pool::JobId> pending;  // client id -> job, until replied
    std::unordered_set<std::uint64_t> streaming;  // client ids of streamed renders in pending
    std::uint64_t last_activity_ms = 0;  // uv_now() of the last whole frame or reply
    bool authenticated = true;  // false on TCP with tokens until a valid `auth`
    std::string peer;           // TCP: the peer's address, for logs
  };

  uv_loop_t* loop = nullptr;
  Pool* pool = nullptr;  // null after Close()
  SocketServerOptions options;
  uid_t self_uid = 0;
  std::string path;
  bool owns_path = true;  // false for an adopted socket: its path is not ours to unlink
  uv_stream_t* listener = nullptr;  // a uv_pipe_t or a uv_tcp_t; null after Close()
  bool tcp = false;
  std::uint64_t next_serial = 1;
  std::unordered_map<std::uint64_t, Conn> conns;  // by connection serial
  uv_timer_t* idle_timer = nullptr;  // runs while there are connections and a timeout is set
  LogThrottle accept_failures, refused_peers, refused_over_limit, refused_auth;

  State(uv_loop_t* loop, Pool& pool, const SocketServerOptions& options)
      : loop(loop), pool(&pool), options(options), self_uid(geteuid()) {}
  // Starts accepting on `listener` (bound, or an adopted listening socket); a libuv error code.
  int Listen(uv_stream_t* listener) noexcept;
  bool RequiresAuth() const { return tcp && options.auth_tokens != nullptr; }
  void OnConnection(int status) noexcept;
  // Checks the peer and the connection limit; on refusal writes the one error frame, closes the
  // pipe and returns false.
  bool Admit(uv_stream_t* stream) noexcept;
  void Refuse(uv_stream_t* stream, ipc::ErrorCode code, const std::string& message) noexcept;
  // Answers `auth` (any connection), or refuses an unauthenticated connection's first frame.
  void HandleAuth(Conn& conn, const ipc::Request& request) noexcept;
  void RefuseUnauthorized(Conn& conn, std::uint64_t id, const std::string& message) noexcept;
  void ArmIdleTimer() noexcept;
  void SweepIdle() noexcept;
  void OnFrame(std::uint64_t serial, ipc::Connection& c, std::string&& payload) noexcept;
  void OnTooLarge(std::uint64_t serial, ipc::Connection& c, std::uint32_t announced) noexcept;
  void OnClosed(std::uint64_t serial) noexcept;
  void HandleCancel(std::uint64_t serial, Conn& conn, const ipc::Request& request) noexcept;
  void HandleRender(std::uint64_t serial, Conn& conn, ipc::Request&& request) noexcept;
  // Writes a reply (final) or a chunk of a streamed render to the client, if still connected.
  void Deliver(std::uint64_t serial, std::uint64_t id, std::string&& payload, bool final) noexcept;
  void StopAccepting() noexcept;
  void Close() noexcept;
};

namespace {

std::string Tag(std::uint64_t serial, std::uint64_t id) {
  return "[c" + std::to_string(serial) + " r" + std::to_string(id) + "]";
}

void CloseAndDelete(uv_stream_t* stream) {
  stream->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(stream), [](uv_handle_t* h) noexcept {
    if (h->type == UV_TCP) {
      delete reinterpret_cast<uv_tcp_t*>(h);
    } else {
      delete reinterpret_cast<uv_pipe_t*>(h);
    }
  });
}
void CloseAndDelete(uv_pipe_t* pipe) { CloseAndDelete(reinterpret_cast<uv_stream_t*>(pipe)); }
void CloseAndDelete(uv_tcp_t* tcp) { CloseAndDelete(reinterpret_cast<uv_stream_t*>(tcp)); }

uv_stream_t* AsStream(uv_pipe_t* pipe) { return reinterpret_cast<uv_stream_t*>(pipe); }
uv_stream_t* AsStream(uv_tcp_t* tcp) { return reinterpret_cast<uv_stream_t*>(tcp); }

// Anyone who can reach a non-loopback address could render (and read what is rendered) without
// a token: the one configuration ssrd refuses outright.
ipc::Result<void> CheckExposure(const sockaddr* address, const SocketServerOptions& options,
                                const std::string& what) {
  if (options.auth_tokens != nullptr || IsLoopback(address)) return {};
  return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                        "refusing to " + what + " " + FormatTcpAddress(address) +
                            " without --auth-token-file: it is not a loopback address, so "
                            "clients must authenticate");
}

std::string EncodeOkPayload(const ipc::Reply& reply) {
  std::string framed;
  ipc::EncodeReply(reply, &framed);
  return framed.substr(ipc::kFrameHeaderBytes);
}

// Tells a live server from a stale socket file: only a refused connect means nobody listens.
ipc::Result<void> ClearStaleSocket(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return {};  // nothing there (or the bind will say why)
  if (!S_ISSOCK(st.st_mode)) {
    return ipc::MakeError(
        ipc::ErrorCode::kUnavailable,
        "cannot listen on " + path + ": a file that is not a socket is in the way");
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  if (rc == 0 || err == EAGAIN) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "socket " + path + " is already in use by another ssrd");
  }
  if (err == ECONNREFUSED) {
    spdlog::info("replacing stale socket file {}", path);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                            "cannot remove stale socket " + path + ": " + strerror(errno));
    }
  }
  return {};  // other errors (e.g. EACCES) are left for bind to report
}

// chmod rather than a umask around bind(): the umask is process-wide, and the workers and anything
// else the process creates meanwhile would inherit it.
ipc::Result<void> ApplySocketAccess(const std::string& path, const SocketServerOptions& options) {
  if (options.socket_group && chown(path.c_str(), static_cast<uid_t>(-1), *options.socket_group) != 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot set the group of " + path + " to gid " +
                              std::to_string(*options.socket_group) + ": " + strerror(errno));
  }
  if (options.socket_mode && chmod(path.c_str(), *options.socket_mode) != 0) {
    char mode[8];
    snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(*options.socket_mode));
    return ipc::MakeError(ipc::ErrorCode::kUnavailable, "cannot set the mode of " + path +
                                                            " to " + mode + ": " + strerror(errno));
  }
  return {};
}

}  // namespace

ipc::Result<std::unique_ptr<SocketServer>> SocketServer::Listen(uv_loop_t* loop,
                                                                const std::string& path, Pool& pool,
                                                                std::size_t max_frame_bytes) {
  SocketServerOptions options;
  options.max_frame_bytes = max_frame_bytes;
  return Listen(loop, path, pool, options);
}

ipc::Result<std::unique_ptr<SocketServer>> SocketServer::Adopt(uv_loop_t* loop, int fd, Pool& pool,
                                                               std::size_t max_frame_bytes) {
  SocketServerOptions options;
  options.max_frame_bytes = max_frame_bytes;
  return Adopt(loop, fd, pool, options);
}

ipc::Result<std::unique_ptr<SocketServer>> SocketServer::Listen(
    uv_loop_t* loop, const std::string& path, Pool& pool, const SocketServerOptions& options) {
  auto fail = [&](const std::string& why) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable, "cannot listen on " + path + ": " + why);
  };
  if (path.empty()) return fail("empty path");
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return fail("path longer than " + std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                " bytes");
  }
  if (auto r = ClearStaleSocket(path); !r.ok()) return r.error();

  auto state = std::make_shared<State>(loop, pool, options);
  state->path = path;

  auto* listener = new uv_pipe_t;
  uv_pipe_init(loop, listener, 0);
  if (int rc = uv_pipe_bind(listener, path.c_str()); rc != 0) {
    CloseAndDelete(listener);
    // libuv reports ENOENT from bind() as EACCES (for parity with Windows): ask the directory.
    std::string dir = path.substr(0, path.find_last_of('/') + 1);
    struct stat st;
    if (rc == UV_EACCES && !dir.empty() && stat(dir.c_str(), &st) != 0 && errno == ENOENT) {
      rc = UV_ENOENT;
    }
    return fail(uv_strerror(rc));
  }
  // Before listen(): until then a connect() is refused, so nobody gets in under the umask's mode.
  if (auto r = ApplySocketAccess(path, options); !r.ok()) {
    CloseAndDelete(listener);
    unlink(path.c_str());
    return r.error();
  }
  if (int rc = state->Listen(AsStream(listener)); rc != 0) {
    CloseAndDelete(listener);
    unlink(path.c_str());
    return fail(uv_strerror(rc));
  }
  state->listener = AsStream(listener);
  spdlog::debug("listening on {}", path);  // ssrd's ready line says it
  return std::unique_ptr<SocketServer>(new SocketServer(std::move(state)));
}

ipc::Result<std::unique_ptr<SocketServer>> SocketServer::ListenTcp(
    uv_loop_t* loop, const std::string& host_port, Pool& pool, const SocketServerOptions& options) {
  sockaddr_storage address;
  if (!ParseTcpAddress(host_port, &address)) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                          "cannot listen on " + host_port +
                              ": not HOST:PORT (e.g. 127.0.0.1:9000 or [::1]:9000)");
  }
  const auto* addr = reinterpret_cast<const sockaddr*>(&address);
  if (auto r = CheckExposure(addr, options, "listen on"); !r.ok()) return r.error();
  auto state = std::make_shared<State>(loop, pool, options);
  state->tcp = true;
  state->owns_path = false;
  auto* listener = new uv_tcp_t;
  uv_tcp_init(loop, listener);
  // IPV6ONLY: "[::]:9000" means IPv6 only, so that "0.0.0.0:9000" beside it binds too.
  unsigned flags = addr->sa_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
  int rc = uv_tcp_bind(listener, addr, flags);
  if (rc == 0) rc = state->Listen(AsStream(listener));
  if (rc != 0) {
    CloseAndDelete(listener);
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot listen on " + host_port + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &len);
  state->path = FormatTcpAddress(reinterpret_cast<sockaddr*>(&bound));
  state->listener = AsStream(listener);
  spdlog::debug("listening on {}", state->path);
  return std::unique_ptr<SocketServer>(new SocketServer(std::move(state)));
}

ipc::Result<std::unique_ptr<SocketServer>> SocketServer::Adopt(uv_loop_t* loop, int fd, Pool& pool,
                                                               const SocketServerOptions& options) {
  auto state = std::make_shared<State>(loop, pool, options);
  state->owns_path = false;
  sockaddr_storage any{};
  socklen_t any_len = sizeof(any);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&any), &any_len) == 0 &&
      (any.ss_family == AF_INET || any.ss_family == AF_INET6)) {
    const auto* addr = reinterpret_cast<const sockaddr*>(&any);
    state->tcp = true;
    state->path = FormatTcpAddress(addr);
    if (auto r = CheckExposure(addr, options, "serve on the passed socket"); !r.ok()) {
      close(fd);
      return r.error();
    }
    auto* listener = new uv_tcp_t;
    uv_tcp_init(loop, listener);
    int rc = uv_tcp_open(listener, fd);
    if (rc == 0) rc = state->Listen(AsStream(listener));
    if (rc != 0) {
      CloseAndDelete(listener);
      return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                            "cannot serve on the passed socket " + state->path + ": " +
                                uv_strerror(rc));
    }
    state->listener = AsStream(listener);
    return std::unique_ptr<SocketServer>(new SocketServer(std::move(state)));
  }
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 && addr.sun_path[0] != '\0') {
    state->path.assign(addr.sun_path, strnlen(addr.sun_path, sizeof(addr.sun_path)));
  } else {
    state->path = "fd " + std::to_string(fd);
  }
  auto* listener = new uv_pipe_t;
  uv_pipe_init(loop, listener, 0);
  int rc = uv_pipe_open(listener, fd);
  // listen() again on a listening socket only starts libuv's watcher; the backlog stays.
  if (rc == 0) rc = state->Listen(AsStream(listener));
  if (rc != 0) {
    CloseAndDelete(listener);
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot serve on the passed socket " + state->path + ": " +
                              uv_strerror(rc));
  }
  state->listener = AsStream(listener);
  return std::unique_ptr<SocketServer>(new SocketServer(std::move(state)));
}

int SocketServer::State::Listen(uv_stream_t* listener) noexcept {
  listener->data = this;
  return uv_listen(listener, 511,
                   [](uv_stream_t* server, int status) noexcept {
                     if (auto* st = static_cast<State*>(server->data)) st->OnConnection(status);
                   });
}

SocketServer::SocketServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

SocketServer::~SocketServer() { Close(); }

void SocketServer::Close() { state_->Close(); }

void SocketServer::StopAccepting() { state_->StopAccepting(); }

const std::string& SocketServer::path() const { return state_->path; }

bool SocketServer::is_tcp() const { return state_->tcp; }

std::size_t SocketServer::connection_count() const { return state_->conns.size(); }

void SocketServer::State::StopAccepting() noexcept {
  if (listener == nullptr) return;
  CloseAndDelete(listener);
  listener = nullptr;
  if (owns_path) unlink(path.c_str());
  spdlog::debug("stopped listening on {}", path);
}

void SocketServer::State::Close() noexcept {
  StopAccepting();
  if (idle_timer != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(idle_timer),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_timer_t*>(h); });
    idle_timer = nullptr;
  }
  if (pool == nullptr) return;
  pool = nullptr;
  // Graceful: replies already written still reach their clients.
  for (auto& [serial, conn] : conns) conn.connection->Close(/*graceful=*/true);
}

void SocketServer::State::OnConnection(int status) noexcept {
  if (status < 0) {
    // EMFILE comes once per waiting client, as fast as they connect.
    if (accept_failures.Note()) {
      spdlog::warn("accept on {} failed: {} ({} time(s) in the last {:.1f} s)", path,
                   uv_strerror(status), accept_failures.count(), accept_failures.seconds());
    }
    return;
  }
  uv_stream_t* stream;
  if (tcp) {
    auto* tcp_handle = new uv_tcp_t;
    uv_tcp_init(loop, tcp_handle);
    stream = AsStream(tcp_handle);
  } else {
    auto* pipe = new uv_pipe_t;
    uv_pipe_init(loop, pipe, 0);
    stream = AsStream(pipe);
  }
  if (int rc = uv_accept(listener, stream); rc != 0) {
    if (accept_failures.Note()) {
      spdlog::warn("accept on {} failed: {} ({} time(s) in the last {:.1f} s)", path,
                   uv_strerror(rc), accept_failures.count(), accept_failures.seconds());
    }
    CloseAndDelete(stream);
    return;
  }
  std::string peer;
  if (tcp) {
    auto* tcp_handle = reinterpret_cast<uv_tcp_t*>(stream);
    // Frames are whole writes already (Connection combines them): Nagle would only delay replies.
    uv_tcp_nodelay(tcp_handle, 1);
    sockaddr_storage address{};
    int len = sizeof address;
    peer = uv_tcp_getpeername(tcp_handle, reinterpret_cast<sockaddr*>(&address), &len) == 0
               ? FormatTcpAddress(reinterpret_cast<sockaddr*>(&address))
               : std::string("an unknown peer");
  }
  if (!Admit(stream)) return;
  std::uint64_t serial = next_serial++;
  // The connection keeps the state alive until it has closed, even past the server object.
  auto self = shared_from_this();
  ipc::Connection::Callbacks cb;
  cb.on_frame = [self, serial](ipc::Connection& c, std::string&& payload) {
    self->OnFrame(serial, c, std::move(payload));
  };
  cb.on_too_large = [self, serial](ipc::Connection& c, std::uint32_t announced) {
    self->OnTooLarge(serial, c, announced);
  };
  cb.on_closed = [self, serial](ipc::Connection&) { self->OnClosed(serial); };
  ipc::Connection* connection =
      ipc::Connection::Adopt(stream, options.max_frame_bytes, std::move(cb));
  Conn& conn = conns[serial];
  conn.connection = connection;
  conn.last_activity_ms = uv_now(loop);
  conn.authenticated = !RequiresAuth();
  conn.peer = std::move(peer);
  ArmIdleTimer();
  spdlog::debug("[c{}] connected{}{}", serial, conn.peer.empty() ? "" : " from ", conn.peer);
}

bool SocketServer::State::Admit(uv_stream_t* stream) noexcept {
  if (!tcp && (!options.allow_uids.empty() || !options.allow_gids.empty())) {
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(stream), &fd);
    auto peer = ReadPeerCredentials(fd);
    if (!peer.ok() || !PeerAllowed(peer.value(), self_uid, options.allow_uids, options.allow_gids)) {
      std::string who = peer.ok() ? peer.value().ToString() : peer.error().message;
      if (refused_peers.Note()) {
        spdlog::warn("refused a connection from {}: not in --allow-uid/--allow-gid ({} refused in "
                     "the last {:.1f} s)",
                     who, refused_peers.count(), refused_peers.seconds());
      }
      Refuse(stream, ipc::ErrorCode::kForbidden,
             "this peer (" + who + ") is not allowed to use this socket");
      return false;
    }
  }
  if (conns.size() >= options.max_connections) {
    if (refused_over_limit.Note()) {
      spdlog::warn("too many connections: {} refused in the last {:.1f} s ({} open; "
                   "--max-connections)",
                   refused_over_limit.count(), refused_over_limit.seconds(), conns.size());
    }
    Refuse(stream, ipc::ErrorCode::kOverloaded,
           "too many connections: the limit of " + std::to_string(options.max_connections) +
               " connections (--max-connections) is reached; try again later");
    return false;
  }
  return true;
}

// One small frame into a fresh socket's empty send buffer: try_write takes it whole, so refusing
// needs no write request, no connection object and no further loop turn.
void SocketServer::State::Refuse(uv_stream_t* stream, ipc::ErrorCode code,
                                 const std::string& message) noexcept {
  std::string framed;
  ipc::AppendFrame(&framed, EncodeErrorPayload(0, code, message));
  uv_buf_t buf = uv_buf_init(framed.data(), static_cast<unsigned>(framed.size()));
  uv_try_write(stream, &buf, 1);
  CloseAndDelete(stream);
}

void SocketServer::State::HandleAuth(Conn& conn, const ipc::Request& request) noexcept {
  if (RequiresAuth() && !options.auth_tokens->Accepts(request.token)) {
    RefuseUnauthorized(conn, request.id, "the token is not valid");
    return;
  }
  conn.authenticated = true;
  ipc::Reply reply;
  reply.id = request.id;
  conn.connection->Write(EncodeOkPayload(reply));
}

void SocketServer::State::RefuseUnauthorized(Conn& conn, std::uint64_t id,
                                             const std::string& message) noexcept {
  if (refused_auth.Note()) {
    spdlog::warn("refused a connection from {} on {}: {} ({} refused in the last {:.1f} s)",
                 conn.peer, path, message, refused_auth.count(), refused_auth.seconds());
  }
  conn.connection->Write(EncodeErrorPayload(id, ipc::ErrorCode::kUnauthorized, message));
  conn.connection->Close(/*graceful=*/true);
}

void SocketServer::State::ArmIdleTimer() noexcept {
  if (options.idle_timeout_ms == 0 || pool == nullptr) return;
  if (idle_timer == nullptr) {
    idle_timer = new uv_timer_t;
    uv_timer_init(loop, idle_timer);
    idle_timer->data = this;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(idle_timer))) return;
  // One timer sweeps every connection: a connection is closed between the timeout and a quarter
  // of it later (at most 1 s later), for O(connections) work per sweep and no timer per connection.
  std::uint64_t every = std::clamp<std::uint64_t>(options.idle_timeout_ms / 4, 10, 1000);
  uv_timer_start(
      idle_timer,
      [](uv_timer_t* t) noexcept {
        if (auto* st = static_cast<State*>(t->data)) st->SweepIdle();
      },
      every, every);
}

void SocketServer::State::SweepIdle() noexcept {
  if (conns.empty()) {
    uv_timer_stop(idle_timer);  // started again by the next connection
    return;
  }
  std::uint64_t now = uv_now(loop);
  // Closing only schedules the close: on_closed erases the entry later, never during this loop.
  for (auto& [serial, conn] : conns) {
    if (now - conn.last_activity_ms < options.idle_timeout_ms) continue;
    ipc::Connection& c = *conn.connection;
    // Replies still unwritten after a whole timeout: the peer stopped reading. A graceful close
    // would wait for it for ever, holding the descriptor.
    const bool unread = c.pending_write_bytes() > 0;
    if (c.closing()) {
      if (unread) c.Close(/*graceful=*/false);
      continue;
    }
    if (!conn.pending.empty()) continue;
    spdlog::debug("[c{}] idle for {} ms with nothing in flight{}; closing it (--idle-timeout-ms)",
                  serial, now - conn.last_activity_ms, unread ? ", its replies unread" : "");
    c.Close(/*graceful=*/!unread);
  }
}

void SocketServer::State::OnFrame(std::uint64_t serial, ipc::Connection& c,
                                  std::string&& payload) noexcept {
  auto it = conns.find(serial);
  if (it == conns.end() || pool == nullptr) return;
  Conn& conn = it->second;
  conn.last_activity_ms = uv_now(loop);
  ipc::DecodeFailure failure;
  auto request = ipc::DecodeRequest(payload, &failure);
  if (!conn.authenticated) {
    // Nothing but a valid `auth` is served before it, malformed frames included: an unknown
    // peer learns nothing about the daemon but that it wants a token.
    if (request && request->op == ipc::Op::kAuth) {
      HandleAuth(conn, *request);
    } else {
      RefuseUnauthorized(conn, request ? request->id : failure.id.value_or(0),
                         "authenticate first: send op auth with a token");
    }
    return;
  }
  if (!request) {
    std::uint64_t id = failure.id.value_or(0);
    spdlog::warn("{} bad request: {}; closing the connection", Tag(serial, id),
                 ipc::EscapeForLog(failure.error.message));
    c.Write(EncodeErrorPayload(id, ipc::ErrorCode::kBadRequest, failure.error.message));
    c.Close(/*graceful=*/true);
    return;
  }
  switch (request->op) {
    case ipc::Op::kPing: {
      ipc::Reply reply;
      reply.id = request->id;
      c.Write(EncodeOkPayload(reply));
      if (spdlog::should_log(spdlog::level::debug)) spdlog::debug("{} ping", Tag(serial, request->id));
      return;
    }
    case ipc::Op::kStats: {
      Stats s = pool->stats();
      ipc::Reply reply;
      reply.id = request->id;
      reply.stats = {{"workers", s.workers},
                     {"queued", s.queued},
                     {"in_flight", s.in_flight},
                     {"served", s.served},
                     {"errors", s.errors},
                     {"crashes", s.crashes},
                     {"timeouts", s.timeouts},
                     {"overloads", s.overloads},
                     {"retries", s.retries},
                     {"cancels", s.cancels},
                     {"recycled", s.recycled},
                     {"context_resets", s.context_resets},
                     {"steals", s.steals},
                     {"warmups", s.warmups},
                     {"reloads", s.reloads},
                     {"reload_failures", s.reload_failures},
                     {"connections", static_cast<std::int64_t>(conns.size())}};
      reply.workers = std::move(s.worker_table);
      c.Write(EncodeOkPayload(reply));
      spdlog::debug("{} stats", Tag(serial, request->id));
      return;
    }
    case ipc::Op::kCancel:
      HandleCancel(serial, conn, *request);
      return;
    case ipc::Op::kAuth:
      HandleAuth(conn, *request);
      spdlog::debug("{} auth", Tag(serial, request->id));
      return;
    case ipc::Op::kRender:
      HandleRender(serial, conn, std::move(*request));
      return;
  }
}

void SocketServer::State::HandleRender(std::uint64_t serial, Conn& conn,
                                       ipc::Request&& request) noexcept {
  std::uint64_t id = request.id;
  if (conn.pending.count(id) != 0) {
    spdlog::warn("{} id already in flight on this connection", Tag(serial, id));
    conn.connection->Write(EncodeErrorPayload(
        id, ipc::ErrorCode::kBadRequest,
        "request id " + std::to_string(id) + " is already in flight on this connection"));
    return;
  }
  std::weak_ptr<State> weak = weak_from_this();
  // Only the serial is captured: the connection may be gone when the reply arrives.
  auto on_reply = [weak, serial, id](std::string&& reply) {
    if (auto st = weak.lock()) st->Deliver(serial, id, std::move(reply), /*final=*/true);
  };
  Pool::ChunkFn on_chunk;
  if (request.stream) {
    conn.streaming.insert(id);
    on_chunk = [weak, serial, id](std::string&& chunk) {
      if (auto st = weak.lock()) st->Deliver(serial, id, std::move(chunk), /*final=*/false);
    };
  }
  Pool::JobId job =
      pool->Submit(std::move(request), std::move(on_reply), Tag(serial, id), std::move(on_chunk));
  conn.pending[id] = job;  // Submit never replies synchronously
}

void SocketServer::State::Deliver(std::uint64_t serial, std::uint64_t id, std::string&& payload,
                                  bool final) noexcept {
  auto found = conns.find(serial);
  if (found == conns.end()) {
    spdlog::debug("{} {} dropped: the connection has closed", Tag(serial, id),
                  final ? "reply" : "chunk");
    return;
  }
  Conn& conn = found->second;
  if (final) {
    conn.pending.erase(id);
    conn.streaming.erase(id);
  }
  conn.last_activity_ms = uv_now(loop);  // idle counts from the last reply
  // A client that does not read its replies (or reads a stream slower than it is rendered) must
  // not make the daemon buffer without bound: past the backlog limit its connection is closed,
  // which cancels its streamed renders (OnClosed).
  std::size_t backlog = conn.connection->pending_write_bytes();
  if (backlog > 0 && backlog + payload.size() > options.max_backlog_bytes) {
    spdlog::warn("{} the client has {} bytes of replies unread, over the limit of {} bytes "
                 "(--max-client-backlog-mb); closing the connection",
                 Tag(serial, id), backlog, options.max_backlog_bytes);
    conn.connection->Close(/*graceful=*/false);
    return;
  }
  conn.connection->Write(payload);
}

void SocketServer::State::HandleCancel(std::uint64_t serial, Conn& conn,
                                       const ipc::Request& request) noexcept {
  std::uint64_t target = request.target_id;
  auto it = conn.pending.find(target);
  // A queued target is answered (and erased from pending) before Cancel returns; a running one
  // is answered by its worker, `cancelled` or its result if it finished first.
  if (it != conn.pending.end() && pool->Cancel(it->second)) {
    spdlog::debug("{} cancelled request {}", Tag(serial, request.id), target);
    ipc::Reply reply;
    reply.id = request.id;
    conn.connection->Write(EncodeOkPayload(reply));
    return;
  }
  spdlog::debug("{} cancel: request {} is not in flight", Tag(serial, request.id), target);
  conn.connection->Write(
      EncodeErrorPayload(request.id, ipc::ErrorCode::kNotFound,
                         "request " + std::to_string(target) + " is not in flight on this connection"));
}

void SocketServer::State::OnTooLarge(std::uint64_t serial, ipc::Connection& c,
                                     std::uint32_t announced) noexcept {
  spdlog::warn("[c{}] frame of {} bytes exceeds the limit of {} bytes; closing the connection",
               serial, announced, options.max_frame_bytes);
  c.Write(EncodeErrorPayload(0, ipc::ErrorCode::kTooLarge,
                             "frame of " + std::to_string(announced) +
                                 " bytes exceeds the limit of " + std::to_string(options.max_frame_bytes) +
                                 " bytes"));
  c.Close(/*graceful=*/true);
}

void SocketServer::State::OnClosed(std::uint64_t serial) noexcept {
  auto it = conns.find(serial);
  if (it == conns.end()) return;
  auto pending = std::move(it->second.pending);
  auto streaming = std::move(it->second.streaming);
  conns.erase(it);  // from here on, replies for this serial are dropped
  spdlog::debug("[c{}] closed with {} request(s) in flight", serial, pending.size());
  if (pool == nullptr) return;
  // Nobody will read them: queued requests are withdrawn rather than rendered, and a stream
  // being rendered is stopped (a render that is not streamed finishes; its reply is dropped).
  for (auto& [id, job] : pending) {
    if (streaming.count(id) != 0) {
      pool->Cancel(job);
    } else {
      pool->CancelQueued(job);
    }
  }
}

}  // namespace ssrd::pool
