// The process table and the queue behind Pool: a fixed number of worker slots, one bounded FIFO
// queue of jobs, up to PoolOptions::pipeline_depth jobs in flight per worker.
//
// Pipelining (dispatcher.cc): an idle worker gets the next job first; only when every worker is
// busy and jobs are still queued does a busy worker get one more, so that it goes from one render
// to the next without waiting for the supervisor. A worker whose renders are short (a moving
// average under PoolOptions::short_render) takes kShortRenderDepthFactor times the depth: it answers a batch of
// short renders in one write (worker/reply_batch.h), and a deeper batch is fewer wake-ups per
// request on both sides. A job waiting at a worker behind a render that
// has run longer than kStealAfter is taken back for a worker that has just gone idle with nothing
// queued (a steal): the original is cancelled at its worker and its reply, whatever it is, dropped.
//
// Requests (dispatcher.cc): each job gets a pool-wide id (from 1; 0 is the hello) that the worker
// sees as the request id; the worker's reply has the client's id patched back in place
// (ipc::PatchReplyId) so the html is never re-encoded. Each job has a deadline; the worker is told
// the time left and stops the render itself, and the deadline timer answers jobs that expire in
// the queue and kills a worker still busy 1 s past its job's deadline. A job whose worker dies is
// queued again at the front, once, unless the request opted out; the jobs waiting behind it go
// back without spending that retry, except from their second such death on (a worker holds the
// replies of short renders, so the one that killed it may have been behind the front).
//
// Workers (worker_lifecycle.cc): a slot holds the `active` worker that serves it and, while it is
// being replaced, a `successor` starting beside it, so capacity never drops: recycling (request
// count, heap, RSS) replaces one slot; a reload gives every slot a successor on the new bundle and
// promotes them all together once every one is ready, or discards them all when one fails. A
// replaced worker is `retired`: it gets no new job, and its channel closes once it is idle. An
// active worker that exits unasked is respawned after a backoff (100 ms doubling to 5 s, reset by
// a served request); exit code 2 (fatal bundle/config error) retires the slot until a reload.
//
// Warm-up (worker_lifecycle.cc): after its hello, a new worker renders up to
// PoolOptions::warmup_requests requests (pool/warmup.h) one at a time, for at most warmup_ms,
// before it counts as ready: it gets no client job, a successor is not promoted and a reload not
// committed until it is warm. Warm-up replies answer nobody and count only in `warmups`. A worker
// that dies during a warm-up render drops that request from the sample; a successor is then
// started again rather than failing the reload or the recycling over a sample.
//
// Loop thread only. Replies and notifications that do not come straight from a worker are posted
// to the loop, so no callback runs inside Submit/Start/Stop (see pool.h).
#pragma once

#include <uv.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ipc/error.h"
#include "ipc/message.h"
#include "pool/bundle_watcher.h"
#include "pool/pool.h"
#include "pool/snapshot_build.h"
#include "pool/timer.h"
#include "pool/warmup.h"
#include "pool/worker_priority.h"
#include "pool/worker_process.h"

namespace ssrd::pool {

class Dispatcher {
 public:
  Dispatcher(uv_loop_t* loop, const PoolOptions& options, WorkerSpawnOptions spawn_options,
             std::vector<ipc::Request> warmup_file_requests);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start(std::function<void(ipc::Result<void>)> on_ready);
  Pool::JobId Submit(ipc::Request request, Pool::ReplyFn on_reply, std::string log_tag,
                     Pool::ChunkFn on_chunk);
  bool CancelQueued(Pool::JobId job);
  bool Cancel(Pool::JobId job);
  void Reload(std::string reason);
  void Drain(std::uint32_t drain_ms, std::function<void()> on_stopped);
  void Stop(std::function<void()> on_stopped);
  Stats stats() const;
  std::vector<pid_t> worker_pids() const;

 private:
  using Clock = std::chrono::steady_clock;
  // A worker still rendering this long after its job's deadline did not stop by itself (native
  // code, or a termination V8 did not act on): it is killed.
  static constexpr auto kDeadlineBackstop = std::chrono::milliseconds(1000);
  static constexpr unsigned kShortRenderDepthFactor = 8;
  static constexpr unsigned kMaxPipelineDepth = 64;

  struct Job {
    Pool::JobId id = 0;
    ipc::Request request;  // request.id is the client's id
    Pool::ReplyFn on_reply;
    Pool::ChunkFn on_chunk;  // set for a streamed render (request.stream)
    std::int64_t chunks_sent = 0;  // chunk frames passed on: a crash after one is not retried
    std::string log_tag;
    Clock::time_point queued_at;
    Clock::time_point deadline;
    Clock::time_point started_at;
    unsigned attempts = 0;        // times it was sent to a worker
    // Workers that died while it waited behind another job there (HandleJobsOfDeadWorker).
    unsigned deaths_waiting = 0;
    bool killed_at_deadline = false;  // its worker was killed by the deadline backstop
    // Set on the copy left at a worker when the job was stolen: its reply is dropped.
    bool stolen = false;
    Clock::time_point render_started_at;  // when it reached the front of its worker's jobs
    bool warmup = false;  // a warm-up render: no client, its reply is dropped
  };
  enum class Role { kActive, kSuccessor, kRetired };
  struct Worker {
    Worker(uv_loop_t* loop, unsigned slot, std::uint64_t generation)
        : slot(slot), generation(generation), start_timer(loop), stop_timer(loop) {}
    unsigned slot;
    std::uint64_t generation;
    Role role = Role::kActive;
    std::unique_ptr<WorkerProcess> process;
    std::deque<Job> jobs;  // in flight, in the order sent: the front one is rendering
    // Moving average of the time from a job reaching the front to its reply (weight 1/8), from
    // the first reply on; negative until then: a new worker counts as slow.
    Clock::duration render_average{-1};
    std::uint64_t context_resets = 0;  // as of its last reply
    std::int64_t served = 0;
    std::int64_t heap_used = 0;
    Clock::time_point rss_checked_at;
    bool recycle_due = false;
    bool warming = false;  // said hello, renders its warm-up requests, gets no client job yet
    // It answered out_of_memory and exits: it gets no more work, and what it holds never started.
    bool exiting = false;
    bool deprioritized = false;  // at serving_nice_ + kReplacementNiceStep until warm (pool/worker_priority.h)
    unsigned warmups_sent = 0;
    Clock::time_point warm_started_at;
    Clock::time_point warm_until;
    Timer start_timer;  // kills a worker that does not say hello in time
    Timer stop_timer;   // escalates from a closed channel to SIGTERM and SIGKILL
  };
  struct Slot {
    Slot(uv_loop_t* loop, unsigned index) : index(index), respawn_timer(loop) {}
    unsigned index;
    std::unique_ptr<Worker> active;
    std::unique_ptr<Worker> successor;
    Timer respawn_timer;
    std::uint64_t backoff_ms = 0;
    std::int64_t restarts = 0;
    bool ever_ready = false;
    bool fatal = false;           // exit code 2 or a failed start: not respawned until a reload
    unsigned start_failures = 0;  // consecutive exits before the hello
    std::string last_start_error;
    Clock::time_point successor_failed_at;  // recycling waits a backoff after a failed successor
  };

  // worker_lifecycle.cc
  // The path of the cached snapshot of the bundle as it is on disk now, or why there is none.
  ipc::Result<std::string> FindCachedSnapshot() const noexcept;
  // Builds the snapshot when snapshots are on, then runs `then` with its path ("" when snapshots
  // are off or none could be made), or with the bundle's error.
  void PrepareBundle(std::function<void(ipc::Result<std::string>)> then) noexcept;
  void SpawnAllActive() noexcept;
  void SpawnSuccessors(std::uint64_t generation) noexcept;
  std::unique_ptr<Worker> SpawnWorker(Slot& slot, std::uint64_t generation) noexcept;
  void SpawnActive(Slot& slot) noexcept;
  void ScheduleRespawn(Slot& slot) noexcept;
  void OnWorkerReady(Worker& worker) noexcept;
  // The worker said hello and is warm (or needs no warm-up): it takes traffic or a slot now.
  void OnWorkerWarm(Worker& worker) noexcept;
  void OnWorkerStartError(Worker& worker, ipc::Error error) noexcept;
  void OnWorkerExit(Worker& worker, const WorkerExit& exit) noexcept;
  void OnActiveExit(Slot& slot, std::unique_ptr<Worker> worker, const WorkerExit& exit) noexcept;
  void OnSuccessorFailed(Slot& slot, std::uint64_t generation, const std::string& why) noexcept;
  void MaybeRecycle(Worker& worker) noexcept;
  void Promote(Slot& slot) noexcept;
  void MaybeCommitReload() noexcept;
  void AbortReload(const std::string& why) noexcept;
  void Retire(std::unique_ptr<Worker> worker) noexcept;
  void AskToExit(Worker& worker) noexcept;
  std::unique_ptr<Worker> TakeWorker(Worker& worker) noexcept;
  void ForEachWorker(const std::function<void(Worker&)>& fn) const;

  // worker_warmup.cc
  // Starts the warm-up of a worker that has said hello; false when there is nothing to render.
  bool StartWarmup(Worker& worker) noexcept;
  void SendWarmupRender(Worker& worker) noexcept;
  void OnWarmupReply(Worker& worker) noexcept;
  // A worker died during a warm-up render: that request is not used again.
  void OnWarmupCrash(Worker& worker, const Job& job, const WorkerExit& exit) noexcept;
  const std::vector<ipc::Request>& WarmupRequests() const;

  // dispatcher.cc
  void OnWorkerReply(Worker& worker, std::string&& payload) noexcept;
  void OnWorkerChunk(Worker& worker, std::string&& payload) noexcept;
  // Recycling, retiring and the next dispatch (or a steal) once a worker has answered.
  void AfterWorkerReply(Worker& worker) noexcept;
  void HandleJobsOfDeadWorker(Worker& worker, const WorkerExit& exit) noexcept;
  void Dispatch() noexcept;
  // The active, ready worker with the fewest jobs below its pipeline depth, or null.
  Worker* WorkerWithRoom() const;
  unsigned PipelineDepth(const Worker& worker) const;
  // `idle` has nothing to do and nothing is queued: takes a job waiting behind a long render.
  void StealFor(Worker& idle) noexcept;
  void SendCancel(Worker& worker, Pool::JobId job) noexcept;
  bool AnyWorkerPossible() const;
  void FailQueued(ipc::ErrorCode code, const std::string& message) noexcept;
  void ArmDeadlineTimer(Clock::time_point due) noexcept;
  void SweepDeadlines() noexcept;
  void CheckDrained() noexcept;
  void ReportReady(ipc::Result<void> result) noexcept;
  void CheckStopped() noexcept;
  // Answers a job with an error reply, posted (never inside the caller's call).
  void PostError(Job job, ipc::ErrorCode code, std::string message) noexcept;
  void PostReply(Pool::ReplyFn fn, std::string payload) noexcept;
  // Counts a reply to a client by outcome (nullopt = ok); a worker's reply also in the histogram.
  void CountOutcome(std::optional<ipc::ErrorCode> code) noexcept;
  void CountRenderTime(Clock::time_point queued_at) noexcept;
  void Post(std::function<void()> fn) noexcept;
  void RunPosted() noexcept;

  uv_loop_t* loop_;
  PoolOptions options_;
  WorkerSpawnOptions spawn_options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::unique_ptr<Worker>> retired_;  // draining their last job, then exiting
  std::deque<Job> queue_;
  std::vector<ipc::Request> warmup_file_requests_;  // the operator's; else samples_
  WarmupSamples samples_;
  Pool::JobId next_job_id_ = 1;
  Stats counters_;
  // Replies by outcome: [0] ok, [1 + ErrorCode] that error (Stats::outcomes names them).
  std::array<std::int64_t, 32> outcome_counts_{};
  std::array<std::int64_t, std::size(kRenderSecondsBounds) + 1> render_buckets_{};
  double render_seconds_sum_ = 0;
  Clock::time_point overload_logged_at_{};  // the overload warning is rate-limited
  std::string overloaded_payload_;  // the refusal, encoded once with id 0 (PatchReplyId)
  std::int64_t overloads_unlogged_ = 0;

  std::uint64_t generation_ = 1;         // the generation serving requests
  std::uint64_t reload_generation_ = 0;  // the generation starting, 0 = no reload under way
  // The snapshot each generation loaded from ("" = none): every worker of a generation, respawns
  // included, starts from it, whatever is on disk now (a broken deploy must not reach a respawn).
  std::string serving_snapshot_;
  std::string reload_snapshot_;
  std::unique_ptr<BundleWatcher> watcher_;
  std::unique_ptr<SnapshotBuild> snapshot_build_;
  Timer snapshot_timer_;  // a builder gets the start timeout (a bundle may loop while loading)

  std::function<void(ipc::Result<void>)> on_ready_;
  bool started_ = false;
  bool ready_reported_ = false;
  bool started_ok_ = false;  // on_ready got ok
  bool deprioritize_replacements_ = false;  // pool/worker_priority.h
  int serving_nice_ = 0;  // the supervisor's own nice value, which its workers inherit
  bool draining_ = false;
  bool stopping_ = false;
  bool stopped_reported_ = false;
  std::vector<std::function<void()>> on_stopped_;
  Timer drain_timer_;
  Timer deadline_timer_;
  Timer steal_timer_;  // a worker went idle while the render it could relieve was still young
  std::optional<Clock::time_point> deadline_due_;  // when deadline_timer_ fires

  std::vector<std::function<void()>> posted_;
  Timer post_timer_;
};

// Encodes an error reply payload (no frame header) for a client id.
std::string EncodeErrorPayload(std::uint64_t id, ipc::ErrorCode code, std::string message);

}  // namespace ssrd::pool
