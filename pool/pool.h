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

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
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
  // The deadline of a request that names none (timeout_ms 0), counted from Submit.
  std::uint32_t default_timeout_ms = 10000;
  // Requests waiting for a worker beyond this many are answered `overloaded` at once.
  std::size_t max_queue = 1024;
  // Requests sent to one worker ahead of its replies (pipelining): with 2, the next render starts
  // the moment the last one ends, without a round trip through the supervisor. 1 = one at a time.
  unsigned pipeline_depth = 2;
  // A worker whose renders average under this is sent 8 × pipeline_depth (at most 64), and its
  // replies come in batches (worker/reply_batch.h). Tests raise it to make any render "short".
  std::chrono::microseconds short_render{200};
  // After a reply, a worker polls its channel this long before it sleeps in the kernel; the
  // daemon's loop does the same (pool/busy_poll.h), each only while the CPUs are not contended
  // (ipc/spin_gate.h). 0 = always sleep at once.
  unsigned busy_poll_us = 50;
  // Recycling: a worker is replaced after this many replies, or once its V8 heap or its resident
  // memory passes the threshold. 0 = never.
  std::uint64_t recycle_after_requests = 0;
  std::size_t recycle_heap_mb = 0;
  std::size_t recycle_rss_mb = 0;
  // Reload when the bundle or a file beside it changes (libuv fs events, debounced).
  bool watch_bundle = false;
  // A worker that has not sent its hello this long after it was started (a bundle that loops or
  // blocks while loading) is killed, and counts as a failed start.
  std::uint32_t start_timeout_ms = 60000;
  // Startup snapshots: built once per bundle (at start and at each reload) into this cache
  // directory by `ssrd-worker --build-snapshot`; workers then start from it. "" = no snapshots:
  // each worker then evaluates the bundle, and with isolation "fresh" does so again for every
  // render (correct, but far slower than a context from a snapshot).
  std::string snapshot_dir;
  // What a render may leave for the next (ssrd-worker --isolation): "guarded" (one warm context,
  // replaced when a render left something on the global object or the builtins), "fresh" (a
  // context per render) or "shared" (one context, no check). docs/operations.md, "Isolation".
  std::string isolation = "guarded";
  // Warm-up (pool/warmup.h): a worker that replaces another (respawn, recycling, reload) renders
  // up to this many requests before it takes traffic, for at most warmup_ms: the requests of
  // warmup_file when one is given (then also the first workers warm up before the pool is
  // ready), else a sample of recent requests that rendered fine. 0 = no warm-up.
  unsigned warmup_requests = 8;
  std::uint32_t warmup_ms = 500;
  std::string warmup_file;
  // The workers' sandbox (docs/operations.md, "What a worker can do"): "auto" (seccomp where the
  // kernel can, else off with a warning), "seccomp" (Create fails where the kernel cannot) or
  // "off". Create() replaces "auto" with what it chose.
  std::string worker_sandbox = "auto";
  // The identity workers switch to once their bundle is loaded (a root supervisor only; the
  // worker fails its start otherwise). Unset: the supervisor's own.
  std::optional<uid_t> worker_uid;
  std::optional<gid_t> worker_gid;
  // Told when a reload starts and how it ends, for a service manager (ssrd's sd_notify). May run
  // inside Reload(); must not call back into the pool. Empty = nobody is told.
  enum class ReloadPhase { kStarted, kServing, kFailed };
  std::function<void(ReloadPhase)> on_reload;
};

// Upper bounds of the render-time histogram's buckets, in seconds (Stats::render_seconds_buckets).
inline constexpr double kRenderSecondsBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,    10};

// Counters since Start. Every error reply counts once in `errors` and, where it has one, in the
// counter of its kind.
struct Stats {
  std::int64_t workers = 0;    // workers ready or busy now
  std::int64_t queued = 0;     // requests waiting for a worker
  std::int64_t in_flight = 0;  // requests sent to a worker and not yet answered
  std::int64_t served = 0;     // replies that came from a worker
  std::int64_t errors = 0;     // error replies of any origin (worker, crash, cancel, shutdown)
  std::int64_t crashes = 0;    // workers that exited unasked
  std::int64_t timeouts = 0;   // requests whose deadline passed while queued, or killed past it
  std::int64_t overloads = 0;  // requests refused because the queue was full
  std::int64_t retries = 0;    // renders run again after their worker died
  std::int64_t cancels = 0;    // cancel requests that found their target
  std::int64_t recycled = 0;   // workers replaced for their request count or memory
  std::int64_t reloads = 0;    // bundle generations put into service after the first
  std::int64_t reload_failures = 0;  // reloads abandoned because the new bundle did not load
  std::int64_t context_resets = 0;   // contexts the workers' guard replaced (--isolation guarded)
  std::int64_t steals = 0;  // requests taken from behind a long render for an idle worker
  std::int64_t warmups = 0;  // renders new workers ran to warm up (not in served or errors)
  // Replies to requests by outcome: "ok" or the error code's name (ipc::ErrorCodeName), whoever
  // answered (a worker, the queue, a crash, a cancel, the shutdown). Only outcomes seen are there.
  std::map<std::string, std::int64_t> outcomes;
  // Submit-to-reply time of the requests a worker answered (ok or not), as a histogram: counts of
  // replies per bucket of kRenderSecondsBounds (not cumulative; the last bucket is above every
  // bound), and the sum of the times.
  std::vector<std::int64_t> render_seconds_buckets;
  double render_seconds_sum = 0;
  std::vector<ipc::WorkerInfo> worker_table;  // one entry per live worker process
};

class Dispatcher;

class Pool {
 public:
  // An encoded reply payload (ipc::EncodeReply form, no frame header) carrying the request's own
  // id.
  using ReplyFn = std::function<void(std::string&& reply_payload)>;
  // An encoded chunk frame payload of a streamed render (ipc::IsChunkPayload), carrying the
  // request's own id: the next piece of its html. The reply still follows.
  using ChunkFn = std::function<void(std::string&& chunk_payload)>;
  using JobId = std::uint64_t;

  // Validates the options without starting anything: the bundle must be a readable file
  // (kBundleError "cannot read bundle PATH: ...") and the worker executable must exist and be
  // executable (kBadRequest "worker executable PATH: ..."); a warm-up file must parse
  // (kBadRequest "warm-up file PATH: ...").
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
  // the worker's reply or an error reply (worker_crashed, cancelled, shutting_down, unavailable,
  // overloaded, timeout). Its deadline is request.timeout_ms (or the default) from now: when it
  // passes in the queue the request is answered `timeout` unrendered; a worker still rendering 1 s
  // past it is killed. A render whose worker dies is run once more on another worker unless
  // request.retry is false.
  // log_tag prefixes the pool's log lines about this request, e.g. "[c3 r42]"; "" = "[rID]".
  // Requests may be submitted before on_ready: they wait in the queue.
  // Streaming (request.stream, docs/protocol.md "Streaming"): with on_chunk, the html a render
  // streams reaches on_chunk piece by piece, in order, before on_reply gets the final reply (which
  // holds the rest of the html). Without on_chunk, `stream` is ignored and the reply holds all of
  // it. A render whose worker dies after a chunk was passed on is not retried (the client has part
  // of the page): it is answered worker_crashed.
  JobId Submit(ipc::Request request, ReplyFn on_reply, std::string log_tag = {},
               ChunkFn on_chunk = nullptr);

  // Removes a request that is still queued and answers it with `cancelled` before returning.
  // Returns false (and does nothing) when the job is already running or finished.
  bool CancelQueued(JobId job);
  // CancelQueued, or, for a running render, asks its worker to stop it: the render is then
  // answered `cancelled` (or with its result, when it finished first). False when the job is
  // unknown or already answered.
  bool Cancel(JobId job);

  // Starts workers on the bundle as it is on disk now and retires the current ones once every new
  // worker is ready (their in-flight requests finish first). A bundle that fails to load leaves
  // the current workers serving, and the reason is logged. A reload during a reload restarts it.
  void Reload(std::string reason);

  // Graceful stop: new requests get shutting_down; queued and in-flight ones are finished for up
  // to drain_ms, then Stop() answers what is left with shutting_down.
  void Drain(std::uint32_t drain_ms, std::function<void()> on_stopped);

  // Fails queued requests with shutting_down and stops every worker: its channel is closed (it
  // exits on end of file, abandoning a render), then SIGTERM after 1 s, then SIGKILL 2 s later.
  // on_stopped runs once every worker has been reaped. Requests in flight get shutting_down.
  void Stop(std::function<void()> on_stopped);

  Stats stats() const;
  std::vector<pid_t> worker_pids() const;  // live workers (for tests and diagnostics)
  const PoolOptions& options() const { return options_; }

 private:
  Pool(uv_loop_t* loop, PoolOptions options, std::vector<ipc::Request> warmup_file_requests);
  PoolOptions options_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

// The ssrd-worker beside the running executable, from /proc/self/exe.
std::string DefaultWorkerExecutable();

}  // namespace ssrd::pool
