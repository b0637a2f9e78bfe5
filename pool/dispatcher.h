// The process table and the queue behind Pool: a fixed number of worker slots, one FIFO queue of
// jobs, one job in flight per worker.
//
// Each job gets a pool-wide id (from 1; 0 is the hello) that the worker sees as the request id;
// the worker's reply has the client's id patched back in place (ipc::PatchReplyId) so the html is
// never re-encoded. A worker that exits while rendering answers its job with worker_crashed and
// its slot is respawned after a backoff (100 ms doubling to 5 s, reset by a served request). Exit
// code 2 (fatal bundle/config error) retires the slot for good.
//
// Loop thread only. Replies and notifications that do not come straight from a worker are posted
// to the loop, so no callback runs inside Submit/Start/Stop (see pool.h).
#pragma once

#include <uv.h>

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
#include "pool/pool.h"
#include "pool/timer.h"
#include "pool/worker_process.h"

namespace ssrd::pool {

class Dispatcher {
 public:
  Dispatcher(uv_loop_t* loop, WorkerSpawnOptions spawn_options, unsigned workers);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start(std::function<void(ipc::Result<void>)> on_ready);
  Pool::JobId Submit(ipc::Request request, Pool::ReplyFn on_reply, std::string log_tag);
  bool CancelQueued(Pool::JobId job);
  void Stop(std::function<void()> on_stopped);
  Stats stats() const;
  std::vector<pid_t> worker_pids() const;

 private:
  struct Job {
    Pool::JobId id = 0;
    ipc::Request request;  // request.id is the client's id
    Pool::ReplyFn on_reply;
    std::string log_tag;
    std::chrono::steady_clock::time_point queued_at;
    std::chrono::steady_clock::time_point started_at;
  };
  struct Slot {
    explicit Slot(uv_loop_t* loop, unsigned index) : index(index), respawn_timer(loop) {}
    unsigned index;
    std::unique_ptr<WorkerProcess> worker;
    std::optional<Job> job;  // in flight on `worker`
    Timer respawn_timer;
    std::uint64_t backoff_ms;
    bool ever_ready = false;
    bool fatal = false;           // exit code 2 or a failed start: never respawned
    unsigned start_failures = 0;  // consecutive exits before the hello
    std::string last_start_error;
  };

  void Spawn(Slot& slot) noexcept;
  void ScheduleRespawn(Slot& slot) noexcept;
  void OnWorkerReady(Slot& slot) noexcept;
  void OnWorkerStartError(Slot& slot, ipc::Error error) noexcept;
  void OnWorkerReply(Slot& slot, std::string&& payload) noexcept;
  void OnWorkerExit(Slot& slot, const WorkerExit& exit) noexcept;
  void Dispatch() noexcept;
  bool AnyWorkerPossible() const;
  void FailQueued(ipc::ErrorCode code, const std::string& message) noexcept;
  void ReportReady(ipc::Result<void> result) noexcept;
  void CheckStopped() noexcept;
  // Answers a job with an error reply, posted (never inside the caller's call).
  void PostError(Job job, ipc::ErrorCode code, std::string message) noexcept;
  void Post(std::function<void()> fn) noexcept;
  void RunPosted() noexcept;

  uv_loop_t* loop_;
  WorkerSpawnOptions spawn_options_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<Job> queue_;
  Pool::JobId next_job_id_ = 1;
  Stats counters_;

  std::function<void(ipc::Result<void>)> on_ready_;
  bool started_ = false;
  bool ready_reported_ = false;
  bool started_ok_ = false;  // on_ready got ok
  bool stopping_ = false;
  bool stopped_reported_ = false;
  std::vector<std::function<void()>> on_stopped_;
  Timer kill_timer_;

  std::vector<std::function<void()>> posted_;
  Timer post_timer_;
};

// Encodes an error reply payload (no frame header) for a client id.
std::string EncodeErrorPayload(std::uint64_t id, ipc::ErrorCode code, std::string message);

}  // namespace ssrd::pool
