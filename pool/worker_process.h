// One worker process: fork+exec of the ssrd-worker binary with a socketpair channel on fd 3.
//
// Lifecycle: kStarting (spawned, waiting for the hello frame) -> kReady <-> kBusy -> kExited.
// The first frame from the worker must be its hello (id 0): ok -> on_ready; an error hello (e.g.
// bundle_error, after which the worker exits with code 2) -> on_start_error. Any other first frame,
// a frame while no request is in flight, or an oversized frame is a protocol violation: the worker
// is killed with SIGKILL (its exit then answers whatever it was rendering). Several requests may be
// in flight at once (pipelining): the worker answers them in the order they were sent.
//
// The worker counts as gone only when BOTH its process has exited (libuv's exit_cb; libuv reaps
// exactly its own pids) and its channel has reached end of file, so a reply written just before
// exiting is always delivered first. on_exit then runs exactly once; afterwards the owner may
// delete the WorkerProcess. Deleting a WorkerProcess whose process is still running kills it with
// SIGKILL and reaps it (a misuse path: owners wait for on_exit).
//
// Handles: the uv_process_t is heap-allocated and freed in its close_cb; the channel is an
// ipc::Connection that deletes itself. Loop thread only; callbacks must not throw.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ipc/connection.h"
#include "ipc/error.h"

namespace ssrd::pool {

struct WorkerSpawnOptions {
  std::string executable;
  std::string bundle_path;
  std::size_t heap_limit_mb = 512;
  // The channel's frame limit; also given to the worker, which answers a reply that would pass it
  // too_large instead of writing it (0: the worker keeps its default).
  std::size_t max_frame_bytes = 0;
  std::string node_env;
  std::string isolation = "guarded";  // ssrd-worker --isolation; also decides the snapshot's kind
  std::vector<std::string> extra_args;  // appended to the worker's command line
};

struct WorkerExit {
  std::int64_t exit_status = 0;  // valid when term_signal == 0
  int term_signal = 0;
  // "exited with code 2", "was killed by signal 9 (Killed)", "exited with code 100 (its sandbox
  // refused the system call execve)" (ipc/sandbox_exit.h)
  std::string Describe() const;
  // The worker's seccomp filter caught it making a system call no renderer makes.
  bool sandbox_refusal() const;
};

class WorkerProcess {
 public:
  enum class State { kStarting, kReady, kBusy, kExited };

  struct Callbacks {
    std::function<void(WorkerProcess&)> on_ready;
    std::function<void(WorkerProcess&, ipc::Error)> on_start_error;
    // One reply payload (not frame) exactly as the worker encoded it.
    std::function<void(WorkerProcess&, std::string&& payload)> on_reply;
    // One chunk frame's payload of the streamed render at the front (ipc::IsChunkPayload): the
    // request stays in flight.
    std::function<void(WorkerProcess&, std::string&& payload)> on_chunk;
    std::function<void(WorkerProcess&, const WorkerExit&)> on_exit;
  };

  // Spawns the process. On failure nothing is left running and the error names the executable.
  static ipc::Result<std::unique_ptr<WorkerProcess>> Spawn(uv_loop_t* loop,
                                                           const WorkerSpawnOptions& options,
                                                           Callbacks callbacks);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Writes one already-framed request and marks the worker busy. Only in kReady or kBusy. Replies
  // come in the order the requests were sent; the worker is back in kReady before on_reply runs
  // for the last one in flight.
  void SendFramed(std::string framed);
  // Writes a frame that gets no reply (a cancel for a request in flight); the state is unchanged.
  // Only while busy.
  void SendControl(std::string framed);
  // Closes the channel after queued writes flush; the worker exits on end of file.
  void CloseChannel();
  // Sends a signal if the process is still running.
  void Kill(int signum);

  State state() const { return state_; }
  pid_t pid() const { return pid_; }
  bool process_running() const { return process_ != nullptr; }
  std::size_t requests_in_flight() const { return requests_in_flight_; }
  bool was_ready() const { return was_ready_; }  // it sent an ok hello at some point

 private:
  WorkerProcess(uv_loop_t* loop, Callbacks callbacks);
  void OnFrame(std::string&& payload) noexcept;
  void OnChannelClosed() noexcept;
  void OnProcessExit(std::int64_t exit_status, int term_signal) noexcept;
  void MaybeFinish() noexcept;
  static void ExitCb(uv_process_t* process, std::int64_t exit_status, int term_signal) noexcept;

  uv_loop_t* loop_;
  Callbacks callbacks_;
  uv_process_t* process_ = nullptr;     // null once exited (the handle is then closing)
  ipc::Connection* channel_ = nullptr;  // null once closed
  pid_t pid_ = 0;
  State state_ = State::kStarting;
  // Cleared by the destructor: the channel's callbacks may outlive this object.
  std::shared_ptr<WorkerProcess*> self_cell_;
  bool hello_seen_ = false;
  bool start_failed_ = false;  // the hello reported an error; the worker exits by itself
  bool channel_close_requested_ = false;
  std::size_t requests_in_flight_ = 0;
  bool was_ready_ = false;
  bool process_exited_ = false;
  bool channel_closed_ = false;
  bool finished_ = false;
  WorkerExit exit_;
};

const char* WorkerStateName(WorkerProcess::State state);

}  // namespace ssrd::pool
