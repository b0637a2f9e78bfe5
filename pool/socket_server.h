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
// Ownership: the caller owns the SocketServer and must keep the Pool alive until Close() (or the
// destructor, which calls it). Loop thread only.
#pragma once

#include <uv.h>

#include <cstddef>
#include <memory>
#include <string>

#include "ipc/error.h"
#include "pool/pool.h"

namespace ssrd::pool {

class SocketServer {
 public:
  // Binds and listens (backlog 511). A stale socket file (nobody accepts on it) is replaced; a
  // live one fails with "socket PATH is already in use by another ssrd"; a missing directory with
  // "cannot listen on PATH: no such file or directory". Errors are kUnavailable.
  static ipc::Result<std::unique_ptr<SocketServer>> Listen(uv_loop_t* loop, const std::string& path,
                                                           Pool& pool, std::size_t max_frame_bytes);
  // Serves on a Unix stream socket that is already bound and listening, made by someone else
  // (systemd socket activation). The server owns `fd` from then on; it never unlinks the socket's
  // path, which belongs to whoever created it. kUnavailable when libuv cannot use the fd.
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
