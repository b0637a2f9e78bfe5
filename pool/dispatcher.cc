#include "pool/dispatcher.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <utility>

namespace ssrd::pool {
namespace {

constexpr std::uint64_t kInitialBackoffMs = 100;
constexpr std::uint64_t kMaxBackoffMs = 5000;
constexpr std::uint64_t kStopKillAfterMs = 2000;
constexpr unsigned kMaxStartFailures = 3;
constexpr int kFatalExitCode = 2;

double MillisSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// ipc::EncodeReply writes "id" (fixed uint64) first and "ok" right after it, so the error counter
// can read the outcome without decoding the html; anything else falls back to a full decode.
bool ReplyIsOk(std::string_view p) {
  constexpr std::string_view kIdKey = "\xa2id\xcf";
  constexpr std::string_view kOkKey = "\xa2ok";
  auto starts_at = [p](std::size_t pos, std::string_view s) {
    return pos <= p.size() && p.substr(pos, s.size()) == s;  // never throws
  };
  std::size_t pos = 0;
  if (!p.empty()) {
    auto b = static_cast<unsigned char>(p[0]);
    pos = (b & 0xf0) == 0x80 ? 1 : b == 0xde ? 3 : b == 0xdf ? 5 : 0;
  }
  if (pos != 0 && starts_at(pos, kIdKey)) {
    pos += kIdKey.size() + 8;
    if (starts_at(pos, kOkKey) && pos + kOkKey.size() < p.size()) {
      auto v = static_cast<unsigned char>(p[pos + kOkKey.size()]);
      if (v == 0xc3) return true;
      if (v == 0xc2) return false;
    }
  }
  auto decoded = ipc::DecodeReply(p);
  return decoded.ok() && decoded->ok();
}

std::string TagOf(const std::string& log_tag, std::uint64_t id) {
  return log_tag.empty() ? "[r" + std::to_string(id) + "]" : log_tag;
}

}  // namespace

std::string EncodeErrorPayload(std::uint64_t id, ipc::ErrorCode code, std::string message) {
  ipc::Reply reply;
  reply.id = id;
  reply.error = ipc::MakeError(code, std::move(message));
  std::string framed;
  ipc::EncodeReply(reply, &framed);
  return framed.substr(ipc::kFrameHeaderBytes);
}

Dispatcher::Dispatcher(uv_loop_t* loop, WorkerSpawnOptions spawn_options, unsigned workers)
    : loop_(loop), spawn_options_(std::move(spawn_options)), kill_timer_(loop), post_timer_(loop) {
  for (unsigned i = 0; i < workers; ++i) {
    slots_.push_back(std::make_unique<Slot>(loop, i));
    slots_.back()->backoff_ms = kInitialBackoffMs;
  }
}

Dispatcher::~Dispatcher() = default;

void Dispatcher::Start(std::function<void(ipc::Result<void>)> on_ready) {
  if (started_) return;
  started_ = true;
  on_ready_ = std::move(on_ready);
  for (auto& slot : slots_) {
    if (ready_reported_) break;  // a spawn failure already decided the outcome
    Spawn(*slot);
  }
}

void Dispatcher::Spawn(Slot& slot) noexcept {
  WorkerProcess::Callbacks cb;
  Slot* s = &slot;
  cb.on_ready = [this, s](WorkerProcess&) { OnWorkerReady(*s); };
  cb.on_start_error = [this, s](WorkerProcess&, ipc::Error e) {
    OnWorkerStartError(*s, std::move(e));
  };
  cb.on_reply = [this, s](WorkerProcess&, std::string&& p) { OnWorkerReply(*s, std::move(p)); };
  cb.on_exit = [this, s](WorkerProcess&, const WorkerExit& e) { OnWorkerExit(*s, e); };
  auto worker = WorkerProcess::Spawn(loop_, spawn_options_, std::move(cb));
  if (!worker.ok()) {
    if (!ready_reported_) {
      slot.fatal = true;
      ReportReady(worker.error());
    } else {
      spdlog::error("worker slot {}: {}", slot.index, worker.error().message);
      ScheduleRespawn(slot);
    }
    return;
  }
  slot.worker = std::move(worker).value();
  spdlog::debug("worker slot {}: started worker {}", slot.index, slot.worker->pid());
}

void Dispatcher::ScheduleRespawn(Slot& slot) noexcept {
  std::uint64_t delay = slot.backoff_ms;
  slot.backoff_ms = std::min(slot.backoff_ms * 2, kMaxBackoffMs);
  spdlog::info("worker slot {}: respawning in {} ms", slot.index, delay);
  Slot* s = &slot;
  slot.respawn_timer.Start(delay, [this, s] {
    if (!stopping_) Spawn(*s);
  });
}

void Dispatcher::OnWorkerReady(Slot& slot) noexcept {
  slot.start_failures = 0;
  slot.ever_ready = true;
  spdlog::info("worker {} ready (slot {})", slot.worker->pid(), slot.index);
  if (stopping_) return;
  if (!ready_reported_ &&
      std::all_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->ever_ready; })) {
    ReportReady({});
  }
  Dispatch();
}

void Dispatcher::OnWorkerStartError(Slot& slot, ipc::Error error) noexcept {
  pid_t pid = slot.worker->pid();
  slot.last_start_error = error.message;
  if (error.code != ipc::ErrorCode::kBundleError) {
    spdlog::warn("worker {} failed to start: {}", pid, error.ToString());
    return;  // it exits; the exit decides about a respawn
  }
  slot.fatal = true;
  if (!ready_reported_ || !started_ok_) {
    // The caller reports it (ssrd prints exactly one line); logging here too would repeat it.
    spdlog::debug("worker {} (slot {}): {}", pid, slot.index, error.ToString());
    ReportReady(std::move(error));
  } else {
    spdlog::error("worker {} (slot {}): bundle error, slot retired: {}", pid, slot.index,
                  error.message);
  }
}

void Dispatcher::OnWorkerReply(Slot& slot, std::string&& payload) noexcept {
  WorkerProcess& worker = *slot.worker;
  if (!slot.job) return;  // WorkerProcess only delivers replies to a request in flight
  auto reply_id = ipc::PeekReplyId(payload);
  if (!reply_id || *reply_id != slot.job->id) {
    spdlog::warn("{} worker {} replied with id {} instead of {}; killing it",
                 TagOf(slot.job->log_tag, slot.job->request.id), worker.pid(),
                 reply_id ? std::to_string(*reply_id) : "?", slot.job->id);
    worker.Kill(SIGKILL);  // its exit answers the job with worker_crashed
    return;
  }
  Job job = std::move(*slot.job);
  slot.job.reset();
  ipc::PatchReplyId(&payload, job.request.id);
  bool ok = ReplyIsOk(payload);
  ++counters_.served;
  if (ok) {
    slot.backoff_ms = kInitialBackoffMs;
    spdlog::debug("{} {} {} on worker {}: {:.1f} ms", TagOf(job.log_tag, job.request.id),
                  ipc::OpName(job.request.op), job.request.component, worker.pid(),
                  MillisSince(job.started_at));
  } else {
    ++counters_.errors;
    spdlog::warn("{} {} {} on worker {}: error reply after {:.1f} ms",
                 TagOf(job.log_tag, job.request.id), ipc::OpName(job.request.op),
                 job.request.component, worker.pid(), MillisSince(job.started_at));
  }
  if (!stopping_) Dispatch();
  if (job.on_reply) job.on_reply(std::move(payload));
}

void Dispatcher::OnWorkerExit(Slot& slot, const WorkerExit& exit) noexcept {
  std::unique_ptr<WorkerProcess> worker = std::move(slot.worker);  // deleted on return
  pid_t pid = worker->pid();
  bool fatal_exit = exit.term_signal == 0 && exit.exit_status == kFatalExitCode;

  if (slot.job) {
    Job job = std::move(*slot.job);
    slot.job.reset();
    if (stopping_) {
      PostError(std::move(job), ipc::ErrorCode::kShuttingDown,
                "the pool stopped while this request was rendering");
    } else {
      ++counters_.crashes;
      std::string message = "worker " + std::to_string(pid) + " " + exit.Describe() +
                            " while rendering " + job.request.component;
      spdlog::warn("{} {}", TagOf(job.log_tag, job.request.id), message);
      PostError(std::move(job), ipc::ErrorCode::kWorkerCrashed, std::move(message));
    }
  } else if (!stopping_) {
    ++counters_.crashes;
    // After a failed start the caller reports the one error that matters; quieter then.
    bool quiet = ready_reported_ && !started_ok_;
    if (fatal_exit) {
      spdlog::log(quiet ? spdlog::level::debug : spdlog::level::err,
                  "worker {} (slot {}) exited with code 2 (fatal bundle or configuration error): "
                  "the slot is not respawned{}",
                  pid, slot.index,
                  slot.last_start_error.empty() ? "" : ": " + slot.last_start_error);
    } else {
      spdlog::log(quiet ? spdlog::level::debug : spdlog::level::warn,
                  "worker {} (slot {}) {} unexpectedly", pid, slot.index, exit.Describe());
    }
  } else {
    spdlog::debug("worker {} (slot {}) {}", pid, slot.index, exit.Describe());
  }

  if (stopping_) {
    CheckStopped();
    return;
  }
  if (fatal_exit) {
    slot.fatal = true;
    if (!ready_reported_) {
      ReportReady(ipc::MakeError(
          ipc::ErrorCode::kBundleError,
          slot.last_start_error.empty()
              ? "worker " + std::to_string(pid) + " exited with code 2 before it was ready"
              : slot.last_start_error));
    }
  } else if (!worker->was_ready()) {
    if (++slot.start_failures >= kMaxStartFailures && !ready_reported_) {
      slot.fatal = true;
      ReportReady(ipc::MakeError(
          ipc::ErrorCode::kUnavailable,
          "worker " + spawn_options_.executable + " " + exit.Describe() + " before it was ready (" +
              std::to_string(kMaxStartFailures) + " attempts)" +
              (slot.last_start_error.empty() ? "" : ": " + slot.last_start_error)));
    }
  }
  if (!slot.fatal) ScheduleRespawn(slot);
  if (!AnyWorkerPossible()) {
    FailQueued(ipc::ErrorCode::kUnavailable,
               "no worker is available: " + (slot.last_start_error.empty()
                                                 ? "every worker slot failed fatally"
                                                 : slot.last_start_error));
  }
}

void Dispatcher::Dispatch() noexcept {
  while (!queue_.empty()) {
    Slot* idle = nullptr;
    for (auto& slot : slots_) {
      if (slot->worker && slot->worker->state() == WorkerProcess::State::kReady && !slot->job) {
        idle = slot.get();
        break;
      }
    }
    if (idle == nullptr) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    std::string framed;
    std::uint64_t client_id = job.request.id;
    job.request.id =
        job.id;  // the worker sees the pool-wide id; PatchReplyId restores the client's
    ipc::EncodeRequest(job.request, &framed);
    job.request.id = client_id;
    job.started_at = std::chrono::steady_clock::now();
    spdlog::trace("{} {} {} -> worker {} (job {}, queued {:.1f} ms)", TagOf(job.log_tag, client_id),
                  ipc::OpName(job.request.op), job.request.component, idle->worker->pid(), job.id,
                  MillisSince(job.queued_at));
    idle->job = std::move(job);
    idle->worker->SendFramed(std::move(framed));
  }
}

bool Dispatcher::AnyWorkerPossible() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return !s->fatal; });
}

Pool::JobId Dispatcher::Submit(ipc::Request request, Pool::ReplyFn on_reply, std::string log_tag) {
  Job job;
  job.id = next_job_id_++;
  job.request = std::move(request);
  job.on_reply = std::move(on_reply);
  job.log_tag = std::move(log_tag);
  job.queued_at = std::chrono::steady_clock::now();
  Pool::JobId id = job.id;
  if (stopping_) {
    PostError(std::move(job), ipc::ErrorCode::kShuttingDown, "the pool is stopping");
  } else if (started_ && !AnyWorkerPossible()) {
    PostError(std::move(job), ipc::ErrorCode::kUnavailable,
              "no worker is available: every worker slot failed fatally");
  } else {
    queue_.push_back(std::move(job));
    if (started_) Dispatch();
  }
  return id;
}

bool Dispatcher::CancelQueued(Pool::JobId id) {
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Job& j) { return j.id == id; });
  if (it == queue_.end()) return false;
  Job job = std::move(*it);
  queue_.erase(it);
  ++counters_.errors;
  spdlog::debug("{} cancelled while queued", TagOf(job.log_tag, job.request.id));
  if (job.on_reply)
    job.on_reply(
        EncodeErrorPayload(job.request.id, ipc::ErrorCode::kCancelled,
                           "request " + std::to_string(job.request.id) + " was cancelled"));
  return true;
}

void Dispatcher::FailQueued(ipc::ErrorCode code, const std::string& message) noexcept {
  while (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    PostError(std::move(job), code, message);
  }
}

void Dispatcher::Stop(std::function<void()> on_stopped) {
  if (on_stopped) on_stopped_.push_back(std::move(on_stopped));
  if (stopping_) {
    CheckStopped();
    return;
  }
  stopping_ = true;
  FailQueued(ipc::ErrorCode::kShuttingDown, "the pool is stopping");
  for (auto& slot : slots_) {
    slot->respawn_timer.Stop();
    if (slot->worker) slot->worker->CloseChannel();
  }
  kill_timer_.Start(kStopKillAfterMs, [this] {
    for (auto& slot : slots_) {
      if (slot->worker && slot->worker->process_running()) {
        spdlog::warn("worker {} still running {} ms after its channel closed; sending SIGKILL",
                     slot->worker->pid(), kStopKillAfterMs);
        slot->worker->Kill(SIGKILL);
      }
    }
  });
  CheckStopped();
}

void Dispatcher::CheckStopped() noexcept {
  if (!stopping_ || stopped_reported_) return;
  for (auto& slot : slots_) {
    if (slot->worker) return;
  }
  stopped_reported_ = true;
  kill_timer_.Stop();
  if (!ready_reported_ && on_ready_) {
    ReportReady(
        ipc::MakeError(ipc::ErrorCode::kShuttingDown, "the pool stopped before it was ready"));
  }
  Post([this] {
    auto callbacks = std::move(on_stopped_);
    on_stopped_.clear();
    for (auto& cb : callbacks)
      cb();  // the owner may destroy the pool from here: touch nothing after
  });
}

void Dispatcher::ReportReady(ipc::Result<void> result) noexcept {
  if (ready_reported_) return;
  ready_reported_ = true;
  started_ok_ = result.ok();
  auto cb = std::move(on_ready_);
  on_ready_ = nullptr;
  if (cb)
    Post([cb = std::move(cb), result = std::move(result)]() mutable { cb(std::move(result)); });
}

void Dispatcher::PostError(Job job, ipc::ErrorCode code, std::string message) noexcept {
  ++counters_.errors;
  std::string payload = EncodeErrorPayload(job.request.id, code, std::move(message));
  Post([fn = std::move(job.on_reply), payload = std::move(payload)]() mutable {
    if (fn) fn(std::move(payload));
  });
}

void Dispatcher::Post(std::function<void()> fn) noexcept {
  posted_.push_back(std::move(fn));
  if (!post_timer_.pending()) post_timer_.Start(0, [this] { RunPosted(); });
}

void Dispatcher::RunPosted() noexcept {
  // Taken as a batch: callbacks may post more (run on the next turn) or destroy the pool (only
  // on_stopped may, and it is always the last thing posted).
  auto batch = std::move(posted_);
  posted_.clear();
  for (auto& fn : batch) fn();
}

Stats Dispatcher::stats() const {
  Stats s = counters_;
  s.workers = 0;
  s.in_flight = 0;
  for (auto& slot : slots_) {
    if (slot->worker && (slot->worker->state() == WorkerProcess::State::kReady ||
                         slot->worker->state() == WorkerProcess::State::kBusy)) {
      ++s.workers;
    }
    if (slot->job) ++s.in_flight;
  }
  s.queued = static_cast<std::int64_t>(queue_.size());
  return s;
}

std::vector<pid_t> Dispatcher::worker_pids() const {
  std::vector<pid_t> pids;
  for (auto& slot : slots_) {
    if (slot->worker && slot->worker->process_running()) pids.push_back(slot->worker->pid());
  }
  return pids;
}

}  // namespace ssrd::pool
