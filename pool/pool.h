// The supervisor library: a pool of ssrd-worker processes driven from one libuv loop.
//
// ssrd wraps it with a socket server (socket_server.h); a C++ program can embed it on its own loop
// without any socket. The pool never links or initialises V8: workers are separate processes
// (fork+exec of the ssrd-worker binary), one render at a time each, fed from one FIFO queue.
//
// Threads: every method and every callback runs on the loop thread. Callbacks never run inside
// the call that registers them (they are posted to the loop), except CancelQueued's reply, which
// is answered before CancelQueued returns. Callbacks must not throw.
// Ownership: the caller owns the Pool and the loop. Call Stop() and wait for on_stopped before
// destroying the Pool (destroying it earlier kills every worker with SIGKILL and drops pending
// callbacks); never destroy it from inside a callback other than on_stopped.
// Signals: Start() ignores SIGPIPE if its disposition is still the default, so a worker dying
// mid-write costs an error value, not the host process.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipc/error.h"
#include "ipc/frame.h"
#include "ipc/message.h"

namespace ssrd::pool {

struct PoolOptions {
  std::string bundle_path;
  std::string worker_executable;  // "" = ssrd-worker beside /proc/self/exe
  unsigned workers = 0;           // 0 = the number of cores
  std::size_t heap_limit_mb = 512;
  std::size_t max_frame_bytes = ipc::kDefaultMaxFrameBytes;
  std::string node_env = "production";
};

struct Stats {
  std::int64_t workers = 0;    // workers ready or busy now
  std::int64_t queued = 0;     // requests waiting for a worker
  std::int64_t in_flight = 0;  // requests a worker is rendering
  std::int64_t served = 0;     // replies that came from a worker
  std::int64_t errors = 0;     // error replies of any origin (worker, crash, cancel, shutdown)
  std::int64_t crashes = 0;    // workers that exited unasked
};

class Dispatcher;

class Pool {
 public:
  // An encoded reply payload (ipc::EncodeReply form, no frame header) carrying the request's own
  // id.
  using ReplyFn = std::function<void(std::string&& reply_payload)>;
  using JobId = std::uint64_t;

  // Validates the options without starting anything: the bundle must be a readable file
  // (kBundleError "cannot read bundle PATH: ...") and the worker executable must exist and be
  // executable (kBadRequest "worker executable PATH: ...").
  static ipc::Result<std::unique_ptr<Pool>> Create(uv_loop_t* loop, PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Spawns the workers. on_ready(ok) once every worker has sent its hello. on_ready(error) once,
  // when a worker reports bundle_error (kBundleError with the worker's one-line message; the slot
  // is not respawned), when a worker cannot be spawned, or when one dies 3 times before its hello
  // (kUnavailable). After an error the caller is expected to Stop().
  void Start(std::function<void(ipc::Result<void>)> on_ready);

  // Queues a request (render or ping) for the next idle worker; on_reply runs exactly once, with
  // the worker's reply or an error reply (worker_crashed, cancelled, shutting_down, unavailable).
  // log_tag prefixes the pool's log lines about this request, e.g. "[c3 r42]"; "" = "[rID]".
  // Requests may be submitted before on_ready: they wait in the queue.
  JobId Submit(ipc::Request request, ReplyFn on_reply, std::string log_tag = {});

  // Removes a request that is still queued and answers it with `cancelled` before returning.
  // Returns false (and does nothing) when the job is already running or finished.
  bool CancelQueued(JobId job);

  // Fails queued requests with shutting_down, closes every worker channel (workers exit on end of
  // file), SIGKILLs the ones still running after 2 s, then calls on_stopped once every worker has
  // been reaped. Requests in flight get shutting_down.
  void Stop(std::function<void()> on_stopped);

  Stats stats() const;
  std::vector<pid_t> worker_pids() const;  // live workers (for tests and diagnostics)
  const PoolOptions& options() const { return options_; }

 private:
  Pool(uv_loop_t* loop, PoolOptions options);
  PoolOptions options_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

// The ssrd-worker beside the running executable, from /proc/self/exe.
std::string DefaultWorkerExecutable();

}  // namespace ssrd::pool
