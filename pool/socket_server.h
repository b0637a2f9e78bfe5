// The Unix socket front of a Pool: accepts many connections, one ipc::Connection each, and turns
// their frames into pool requests. Shared by ssrd and by programs that embed the pool.
//
// Per request: render -> Pool::Submit; ping -> answered here (ok, "protocol": 1) without a worker;
// stats -> Pool::stats(); cancel -> Pool::Cancel of a request in flight on the SAME connection
// (queued: answered `cancelled` at once; running: its worker stops it) and the cancel gets ok; an
// unknown or answered target gets not_found. A malformed
// frame gets bad_request (to its id when readable, else id 0) and closes that connection only; an
// oversized frame gets too_large (id 0) and closes it. A connection that closes with requests in
// flight: its queued ones are withdrawn, and replies that arrive later are dropped (replies are
// routed by connection serial number, never by a pointer that may dangle).
//
// Limits and peer checks (SocketServerOptions), decided on accept, before a connection is served:
// a peer the allowlist does not name gets one `forbidden` frame (id 0) and is closed; past
// max_connections a new connection gets one `overloaded` frame (id 0) and is closed. Both are
// logged at most once per second, with a count. A connection with no request in flight that has
// sent no whole frame for idle_timeout_ms is closed without a frame.
//
// Ownership: the caller owns the SocketServer and must keep the Pool alive until Close() (or the
// destructor, which calls it). Loop thread only.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "pool/pool.h"

namespace ssrd::pool {

struct SocketServerOptions {
  std::size_t max_frame_bytes = ipc::kDefaultMaxFrameBytes;
  // Connections served at once; the next one is refused `overloaded`. Keep it below the fd limit
  // minus what the pool needs to respawn workers (ssrd derives it from RLIMIT_NOFILE).
  std::size_t max_connections = 4096;
  // Close a connection with nothing in flight after this long without a whole frame; 0 = never.
  std::uint32_t idle_timeout_ms = 60000;
  // Replies (and chunks of streamed renders) a client has not read yet: past this, its connection
  // is closed and its streamed renders stopped, so a slow reader cannot make the daemon buffer
  // without bound. A single reply is always queued when nothing else is waiting.
  std::size_t max_backlog_bytes = std::size_t{64} << 20;
  // Listen() only, applied between bind() and listen(), so no client can connect before they
  // hold: the socket file's mode (unset: whatever the umask gave) and group (unset: unchanged).
  std::optional<mode_t> socket_mode = 0660;
  std::optional<gid_t> socket_group;
  // Both empty: anyone the socket's permissions let in. Otherwise a peer is served when it is
  // root, runs as this process's uid, or is listed (uid, or gid/supplementary group) (peer_check.h).
  std::vector<uid_t> allow_uids;
  std::vector<gid_t> allow_gids;
};

class SocketServer {
 public:
  // Binds and listens (backlog 511). A stale socket file (nobody accepts on it) is replaced; a
  // live one fails with "socket PATH is already in use by another ssrd"; a missing directory with
  // "cannot listen on PATH: no such file or directory"; a mode or group that cannot be set with
  // "cannot set the mode|group of PATH: why". Errors are kUnavailable.
  static ipc::Result<std::unique_ptr<SocketServer>> Listen(uv_loop_t* loop, const std::string& path,
                                                           Pool& pool,
                                                           const SocketServerOptions& options);
  // Serves on a Unix stream socket that is already bound and listening, made by someone else
  // (systemd socket activation). The server owns `fd` from then on; it never unlinks the socket's
  // path, which belongs to whoever created it, nor changes its mode or group (socket_mode and
  // socket_group are ignored). kUnavailable when libuv cannot use the fd.
  static ipc::Result<std::unique_ptr<SocketServer>> Adopt(uv_loop_t* loop, int fd, Pool& pool,
                                                          const SocketServerOptions& options);
  // The same with default options but for the frame limit.
  static ipc::Result<std::unique_ptr<SocketServer>> Listen(uv_loop_t* loop, const std::string& path,
                                                           Pool& pool, std::size_t max_frame_bytes);
  static ipc::Result<std::unique_ptr<SocketServer>> Adopt(uv_loop_t* loop, int fd, Pool& pool,
                                                          std::size_t max_frame_bytes);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // Stops listening and unlinks the socket file (only one Listen() created); connections stay open, so requests already sent
  // are answered (by a draining pool: shutting_down for new ones). Idempotent.
  void StopAccepting();
  // StopAccepting, then closes every connection once the replies already written have been
  // flushed (replies still owed are dropped). Idempotent. The handles finish closing on the
  // loop's next turns.
  void Close();

  const std::string& path() const;
  std::size_t connection_count() const;

  struct State;

 private:
  explicit SocketServer(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace ssrd::pool
