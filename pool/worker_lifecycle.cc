// The worker side of the Dispatcher: starting workers, respawning the ones that die, replacing
// them for recycling and reloads, and stopping them. See dispatcher.h for the model.
#include <signal.h>
#include <sys/resource.h>
#include <spdlog/spdlog.h>
#include <cerrno>

#include <algorithm>
#include <utility>

#include "ipc/log_escape.h"
#include "pool/dispatcher.h"
#include "pool/process_memory.h"
#include "snapshots/snapshot_file.h"

namespace ssrd::pool {
namespace {

constexpr std::uint64_t kInitialBackoffMs = 100;
constexpr std::uint64_t kMaxBackoffMs = 5000;
constexpr unsigned kMaxStartFailures = 3;
constexpr int kFatalExitCode = 2;
constexpr int kLimitExitCode = 3;
// Stopping a worker: its channel closes first (it exits on end of file), then SIGTERM, then
// SIGKILL, each step waiting longer than the one before.
constexpr std::uint64_t kTermAfterMs = 1000;
constexpr std::uint64_t kKillAfterTermMs = 2000;
// After a replacement failed to start, recycling waits this long before it tries again.
constexpr auto kRecycleRetryAfter = std::chrono::seconds(5);
// Resident memory is read from /proc at most this often per worker.
constexpr auto kRssCheckInterval = std::chrono::milliseconds(100);
constexpr std::int64_t kMiB = 1024 * 1024;

}  // namespace

void Dispatcher::Start(std::function<void(ipc::Result<void>)> on_ready) {
  if (started_) return;
  started_ = true;
  on_ready_ = std::move(on_ready);
  deprioritize_replacements_ = CanRestoreWorkerPriority();
  errno = 0;
  if (int nice = getpriority(PRIO_PROCESS, 0); errno == 0) serving_nice_ = nice;
  // A bundle that does not load is reported by the workers' hello, one code path for both.
  PrepareBundle([this](ipc::Result<std::string> prepared) {
    if (prepared.ok()) serving_snapshot_ = prepared.value();
    SpawnAllActive();
  });
  if (options_.watch_bundle) {
    auto watcher = BundleWatcher::Start(loop_, spawn_options_.bundle_path,
                                        [this] { Reload("the bundle changed on disk"); });
    if (watcher.ok()) {
      watcher_ = std::move(watcher).value();
    } else {
      spdlog::warn("{}; reload with SIGHUP instead", watcher.error().message);
    }
  }
}

ipc::Result<std::string> Dispatcher::FindCachedSnapshot() const noexcept {
  // An unreadable bundle is reported by the builder and the workers.
  ipc::Result<std::string> bundle = snapshots::ReadWholeFile(spawn_options_.bundle_path);
  if (!bundle.ok()) return bundle.error();
  std::string path = snapshots::SnapshotPath(options_.snapshot_dir, bundle.value(),
                                             spawn_options_.node_env, spawn_options_.isolation,
                                             snapshots::kBuildV8Version);
  // Also refused when a file the bundle loaded has changed since (snapshots/snapshot_file.h).
  if (auto read = snapshots::ReadSnapshotFile(path); !read.ok()) return read.error();
  return path;
}

void Dispatcher::PrepareBundle(std::function<void(ipc::Result<std::string>)> then) noexcept {
  if (options_.snapshot_dir.empty()) {
    then(std::string());
    return;
  }
  // A snapshot already in the cache needs no builder: starting one (a process that loads V8)
  // would only delay the workers' start to hear so.
  ipc::Result<std::string> cached = FindCachedSnapshot();
  if (cached.ok()) {
    spdlog::debug("startup snapshot found in the cache: {}", cached.value());
    then(cached.value());
    return;
  }
  // Debug only: a build says so itself (the builder's progress line), after the bundle has
  // loaded, so that a bundle that does not load is reported by its error alone.
  spdlog::debug("no usable cached startup snapshot of {} in {} ({}): starting the builder",
                spawn_options_.bundle_path, options_.snapshot_dir, cached.error().message);
  auto started = std::chrono::steady_clock::now();
  auto shared_then =
      std::make_shared<std::function<void(ipc::Result<std::string>)>>(std::move(then));
  snapshot_timer_.Start(options_.start_timeout_ms, [this, shared_then] {
    spdlog::warn("no startup snapshot (the snapshot builder did not finish within {} ms); workers "
                 "load the bundle instead",
                 options_.start_timeout_ms);
    Post([this] { snapshot_build_.reset(); });  // kills the builder
    (*shared_then)(std::string());
  });
  snapshot_build_ = SnapshotBuild::Start(
      loop_, spawn_options_, options_.snapshot_dir,
      [this, started, shared_then](ipc::Result<std::string> built) {
        snapshot_timer_.Stop();
        auto then = std::move(*shared_then);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              started)
                        .count();
        if (built.ok()) {
          spdlog::info("startup snapshot ready in {:.0f} ms: {}", ms, built.value());
          then(built.value());
        } else if (built.error().code == ipc::ErrorCode::kBundleError) {
          then(built.error());
        } else {
          spdlog::warn("no startup snapshot ({}); workers load the bundle instead",
                       ipc::EscapeForLog(built.error().message));
          then(std::string());
        }
        Post([this] { snapshot_build_.reset(); });  // not from inside its own callback
      });
}

void Dispatcher::SpawnAllActive() noexcept {
  if (stopping_) {
    CheckStopped();
    return;
  }
  for (auto& slot : slots_) {
    if (ready_reported_) break;  // a spawn failure already decided the outcome
    SpawnActive(*slot);
  }
}

std::unique_ptr<Dispatcher::Worker> Dispatcher::SpawnWorker(Slot& slot,
                                                            std::uint64_t generation) noexcept {
  auto worker = std::make_unique<Worker>(loop_, slot.index, generation);
  Worker* w = worker.get();  // owned by a slot or retired_ until its on_exit
  WorkerProcess::Callbacks cb;
  cb.on_ready = [this, w](WorkerProcess&) { OnWorkerReady(*w); };
  cb.on_start_error = [this, w](WorkerProcess&, ipc::Error e) { OnWorkerStartError(*w, std::move(e)); };
  cb.on_reply = [this, w](WorkerProcess&, std::string&& p) { OnWorkerReply(*w, std::move(p)); };
  cb.on_chunk = [this, w](WorkerProcess&, std::string&& p) { OnWorkerChunk(*w, std::move(p)); };
  cb.on_exit = [this, w](WorkerProcess&, const WorkerExit& e) { OnWorkerExit(*w, e); };
  WorkerSpawnOptions spawn = spawn_options_;
  const std::string& snapshot =
      reload_generation_ != 0 && generation == reload_generation_ ? reload_snapshot_
                                                                  : serving_snapshot_;
  if (!snapshot.empty()) spawn.extra_args.insert(spawn.extra_args.end(), {"--snapshot-file", snapshot});
  auto process = WorkerProcess::Spawn(loop_, spawn, std::move(cb));
  if (!process.ok()) {
    slot.last_start_error = process.error().message;
    return nullptr;
  }
  worker->process = std::move(process).value();
  // Replacements only: the first workers have nobody to take CPU from, and start-up time counts.
  if (deprioritize_replacements_ && started_ok_ &&
      SetWorkerNice(worker->process->pid(), std::min(19, serving_nice_ + kReplacementNiceStep))) {
    worker->deprioritized = true;
  }
  std::uint32_t start_timeout = options_.start_timeout_ms;
  worker->start_timer.Start(start_timeout, [this, w, start_timeout] {
    if (!w->process->process_running() || w->process->was_ready()) return;
    std::string why = "worker " + std::to_string(w->process->pid()) +
                      " did not become ready within " + std::to_string(start_timeout) + " ms";
    spdlog::warn("{} (is the bundle looping or blocking while it loads?); killing it", why);
    slots_[w->slot]->last_start_error = why;
    w->process->Kill(SIGKILL);
  });
  spdlog::debug("worker slot {}: started worker {} (generation {})", slot.index,
                worker->process->pid(), generation);
  return worker;
}

void Dispatcher::SpawnActive(Slot& slot) noexcept {
  std::unique_ptr<Worker> worker = SpawnWorker(slot, generation_);
  if (!worker) {
    if (!ready_reported_) {
      slot.fatal = true;
      ReportReady(ipc::MakeError(ipc::ErrorCode::kUnavailable, slot.last_start_error));
    } else {
      spdlog::error("worker slot {}: {}", slot.index, slot.last_start_error);
      ScheduleRespawn(slot);
    }
    return;
  }
  slot.active = std::move(worker);
}

void Dispatcher::ScheduleRespawn(Slot& slot) noexcept {
  std::uint64_t delay = slot.backoff_ms == 0 ? kInitialBackoffMs : slot.backoff_ms;
  slot.backoff_ms = std::min(delay * 2, kMaxBackoffMs);
  ++slot.restarts;
  spdlog::info("worker slot {}: respawning in {} ms", slot.index, delay);
  Slot* s = &slot;
  slot.respawn_timer.Start(delay, [this, s] {
    if (!stopping_ && !s->active && !s->successor) SpawnActive(*s);
  });
}

void Dispatcher::OnWorkerReady(Worker& worker) noexcept {
  worker.start_timer.Stop();
  if (worker.role == Role::kRetired) return;  // a discarded successor: its channel is closed
  if (StartWarmup(worker)) return;
  OnWorkerWarm(worker);
}

void Dispatcher::OnWorkerWarm(Worker& worker) noexcept {
  if (worker.deprioritized) {
    worker.deprioritized = false;
    if (!SetWorkerNice(worker.process->pid(), serving_nice_)) {
      spdlog::warn("worker {}: cannot restore its scheduling priority", worker.process->pid());
    }
  }
  Slot& slot = *slots_[worker.slot];
  pid_t pid = worker.process->pid();
  switch (worker.role) {
    case Role::kActive:
      slot.start_failures = 0;
      slot.ever_ready = true;
      spdlog::info("worker {} ready (slot {})", pid, slot.index);
      if (stopping_) return;
      if (!ready_reported_ && std::all_of(slots_.begin(), slots_.end(),
                                          [](const auto& s) { return s->ever_ready; })) {
        ReportReady({});
      }
      Dispatch();
      return;
    case Role::kSuccessor:
      spdlog::info("worker {} ready (slot {}, generation {})", pid, slot.index, worker.generation);
      if (stopping_) return;
      if (worker.generation == reload_generation_) {
        MaybeCommitReload();
      } else {
        Promote(slot);
      }
      return;
    case Role::kRetired:
      return;  // a discarded successor: its channel is already closed
  }
}

void Dispatcher::OnWorkerStartError(Worker& worker, ipc::Error error) noexcept {
  Slot& slot = *slots_[worker.slot];
  pid_t pid = worker.process->pid();
  if (worker.role == Role::kRetired) return;
  if (worker.role == Role::kSuccessor) {
    OnSuccessorFailed(slot, worker.generation, error.message);
    return;  // it exits by itself
  }
  slot.last_start_error = error.message;
  if (error.code != ipc::ErrorCode::kBundleError) {
    spdlog::warn("worker {} failed to start: {}", pid, ipc::EscapeForLog(error.ToString()));
    return;  // it exits; the exit decides about a respawn
  }
  slot.fatal = true;
  if (!ready_reported_ || !started_ok_) {
    // The caller reports it (ssrd prints exactly one line); logging here too would repeat it.
    spdlog::debug("worker {} (slot {}): {}", pid, slot.index, ipc::EscapeForLog(error.ToString()));
    ReportReady(std::move(error));
  } else {
    spdlog::error("worker {} (slot {}): bundle error, slot retired until a reload: {}", pid,
                  slot.index, ipc::EscapeForLog(error.message));
  }
}

void Dispatcher::OnWorkerExit(Worker& worker, const WorkerExit& exit) noexcept {
  Slot& slot = *slots_[worker.slot];
  std::unique_ptr<Worker> owned = TakeWorker(worker);  // deleted on return
  if (!owned) return;
  if (!owned->jobs.empty()) HandleJobsOfDeadWorker(*owned, exit);
  pid_t pid = owned->process->pid();
  switch (owned->role) {
    case Role::kRetired:
      spdlog::debug("worker {} (slot {}, retired) {}", pid, slot.index, exit.Describe());
      break;
    case Role::kSuccessor:
      if (!stopping_ && owned->warming) {
        // Its warm-up request is dropped (OnWarmupCrash): the next successor warms up without it.
        std::unique_ptr<Worker> again = SpawnWorker(slot, owned->generation);
        if (again) {
          again->role = Role::kSuccessor;
          slot.successor = std::move(again);
        } else {
          OnSuccessorFailed(slot, owned->generation, slot.last_start_error);
        }
      } else if (!stopping_) {
        OnSuccessorFailed(slot, owned->generation,
                          "worker " + std::to_string(pid) + " " + exit.Describe() +
                              (owned->process->was_ready() ? "" : " before it was ready"));
      }
      break;
    case Role::kActive:
      OnActiveExit(slot, std::move(owned), exit);
      break;
  }
  if (stopping_) {
    CheckStopped();
  } else {
    CheckDrained();
  }
}

void Dispatcher::OnActiveExit(Slot& slot, std::unique_ptr<Worker> worker,
                              const WorkerExit& exit) noexcept {
  pid_t pid = worker->process->pid();
  if (stopping_) {
    spdlog::debug("worker {} (slot {}) {}", pid, slot.index, exit.Describe());
    return;
  }
  bool fatal_exit = exit.term_signal == 0 && exit.exit_status == kFatalExitCode;
  ++counters_.crashes;
  // After a failed start the caller reports the one error that matters; quieter then.
  bool quiet = ready_reported_ && !started_ok_;
  if (fatal_exit) {
    spdlog::log(quiet ? spdlog::level::debug : spdlog::level::err,
                "worker {} (slot {}) exited with code 2 (fatal bundle or configuration error): "
                "the slot is not respawned until a reload{}",
                pid, slot.index, slot.last_start_error.empty() ? "" : ": " + slot.last_start_error);
  } else if (exit.term_signal == 0 && exit.exit_status == kLimitExitCode) {
    spdlog::warn("worker {} (slot {}) reached its heap limit and exited; replacing it", pid,
                 slot.index);
  } else {
    spdlog::log(quiet ? spdlog::level::debug : spdlog::level::warn,
                "worker {} (slot {}) {} unexpectedly", pid, slot.index, exit.Describe());
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
  } else if (!worker->process->was_ready()) {
    if (++slot.start_failures >= kMaxStartFailures && !ready_reported_) {
      slot.fatal = true;
      ReportReady(ipc::MakeError(
          ipc::ErrorCode::kUnavailable,
          "worker " + spawn_options_.executable + " " + exit.Describe() + " before it was ready (" +
              std::to_string(kMaxStartFailures) + " attempts)" +
              (slot.last_start_error.empty() ? "" : ": " + slot.last_start_error)));
    }
  }
  // A successor already starting takes the slot over when it is ready.
  if (!slot.fatal && !slot.successor) ScheduleRespawn(slot);
  if (!AnyWorkerPossible()) {
    FailQueued(ipc::ErrorCode::kUnavailable,
               "no worker is available: " + (slot.last_start_error.empty()
                                                 ? "every worker slot failed fatally"
                                                 : slot.last_start_error));
  }
}

void Dispatcher::OnSuccessorFailed(Slot& slot, std::uint64_t generation,
                                   const std::string& why) noexcept {
  slot.successor_failed_at = Clock::now();
  if (reload_generation_ != 0 && generation == reload_generation_) {
    AbortReload(why);
    return;
  }
  spdlog::warn("worker slot {}: its replacement failed to start: {}; the current worker keeps "
               "serving",
               slot.index, ipc::EscapeForLog(why));
  if (slot.successor && slot.successor->generation == generation) Retire(std::move(slot.successor));
  if (!slot.active && !slot.fatal && !stopping_ && !slot.respawn_timer.pending()) {
    ScheduleRespawn(slot);
  }
}

void Dispatcher::MaybeRecycle(Worker& worker) noexcept {
  if (stopping_ || draining_ || worker.role != Role::kActive || !worker.process) return;
  Slot& slot = *slots_[worker.slot];
  if (slot.successor || reload_generation_ != 0) return;
  Clock::time_point now = Clock::now();
  std::string why;
  if (options_.recycle_after_requests != 0 &&
      static_cast<std::uint64_t>(worker.served) >= options_.recycle_after_requests) {
    why = "it served " + std::to_string(worker.served) + " requests";
  } else if (options_.recycle_heap_mb != 0 &&
             worker.heap_used > static_cast<std::int64_t>(options_.recycle_heap_mb) * kMiB) {
    why = "its heap reached " + std::to_string(worker.heap_used / kMiB) + " MB (threshold " +
          std::to_string(options_.recycle_heap_mb) + " MB)";
  } else if (options_.recycle_rss_mb != 0 && now - worker.rss_checked_at >= kRssCheckInterval) {
    worker.rss_checked_at = now;
    std::int64_t rss = ResidentBytes(worker.process->pid());
    if (rss > static_cast<std::int64_t>(options_.recycle_rss_mb) * kMiB) {
      why = "its resident memory reached " + std::to_string(rss / kMiB) + " MB (threshold " +
            std::to_string(options_.recycle_rss_mb) + " MB)";
    }
  }
  if (why.empty() || now - slot.successor_failed_at < kRecycleRetryAfter) return;
  spdlog::info("worker {} (slot {}) is being recycled: {}; starting its replacement",
               worker.process->pid(), slot.index, why);
  std::unique_ptr<Worker> successor = SpawnWorker(slot, generation_);
  if (!successor) {
    slot.successor_failed_at = now;
    spdlog::error("worker slot {}: cannot start a replacement: {}", slot.index,
                  slot.last_start_error);
    return;
  }
  successor->role = Role::kSuccessor;
  slot.successor = std::move(successor);
}

void Dispatcher::Promote(Slot& slot) noexcept {
  std::unique_ptr<Worker> old = std::move(slot.active);
  slot.active = std::move(slot.successor);
  slot.active->role = Role::kActive;
  slot.start_failures = 0;
  slot.ever_ready = true;
  slot.fatal = false;
  slot.respawn_timer.Stop();
  if (old) {
    if (old->generation == slot.active->generation) ++counters_.recycled;
    spdlog::info("worker {} replaces worker {} in slot {}", slot.active->process->pid(),
                 old->process->pid(), slot.index);
    Retire(std::move(old));
  }
  Dispatch();
}

void Dispatcher::Reload(std::string reason) {
  if (stopping_ || draining_ || !started_) return;
  if (!ready_reported_ || !started_ok_) {
    spdlog::warn("reload ({}) ignored: the first workers are not ready yet", reason);
    return;
  }
  if (reload_generation_ != 0) {
    spdlog::info("reload ({}): abandoning the reload to generation {} under way", reason,
                 reload_generation_);
  }
  // Every slot gets a new worker, so successors already starting (an earlier reload, recycling)
  // are not needed any more.
  for (auto& slot : slots_) {
    if (slot->successor) Retire(std::move(slot->successor));
  }
  reload_generation_ = std::max(generation_, reload_generation_) + 1;
  std::uint64_t generation = reload_generation_;
  spdlog::info("reload ({}): starting {} workers on {} (generation {})", reason, slots_.size(),
               spawn_options_.bundle_path, generation);
  if (options_.on_reload) options_.on_reload(PoolOptions::ReloadPhase::kStarted);
  PrepareBundle([this, generation](ipc::Result<std::string> prepared) {
    if (stopping_ || reload_generation_ != generation) return;  // abandoned meanwhile
    if (!prepared.ok()) {
      AbortReload(prepared.error().message);
      return;
    }
    reload_snapshot_ = prepared.value();
    SpawnSuccessors(generation);
  });
}

void Dispatcher::SpawnSuccessors(std::uint64_t generation) noexcept {
  for (auto& slot : slots_) {
    std::unique_ptr<Worker> successor = SpawnWorker(*slot, generation);
    if (!successor) {
      AbortReload(slot->last_start_error);
      return;
    }
    successor->role = Role::kSuccessor;
    slot->successor = std::move(successor);
  }
}

void Dispatcher::MaybeCommitReload() noexcept {
  for (auto& slot : slots_) {
    Worker* s = slot->successor.get();
    if (!s || s->generation != reload_generation_ || !s->process->was_ready() || s->warming) {
      return;
    }
  }
  generation_ = reload_generation_;
  reload_generation_ = 0;
  serving_snapshot_ = reload_snapshot_;
  ++counters_.reloads;
  spdlog::info("reload: generation {} is serving; the previous workers finish their requests and "
               "exit",
               generation_);
  for (auto& slot : slots_) Promote(*slot);
  if (options_.on_reload) options_.on_reload(PoolOptions::ReloadPhase::kServing);
}

void Dispatcher::AbortReload(const std::string& why) noexcept {
  ++counters_.reload_failures;
  spdlog::error("reload to generation {} failed: {}; the previous bundle keeps serving",
                reload_generation_, ipc::EscapeForLog(why));
  reload_generation_ = 0;
  for (auto& slot : slots_) {
    if (slot->successor) Retire(std::move(slot->successor));
    // An active worker that died during the reload was waiting for its successor.
    if (!slot->active && !slot->fatal && !stopping_ && !slot->respawn_timer.pending()) {
      ScheduleRespawn(*slot);
    }
  }
  if (options_.on_reload) options_.on_reload(PoolOptions::ReloadPhase::kFailed);
}

void Dispatcher::Retire(std::unique_ptr<Worker> worker) noexcept {
  worker->role = Role::kRetired;
  Worker& retired = *worker;
  retired_.push_back(std::move(worker));
  if (retired.jobs.empty()) AskToExit(retired);  // a busy one is asked after its last reply
}

void Dispatcher::AskToExit(Worker& worker) noexcept {
  if (!worker.process || !worker.process->process_running()) return;
  worker.process->CloseChannel();
  Worker* w = &worker;  // the timer dies with the worker, so the pointer cannot dangle
  worker.stop_timer.Start(kTermAfterMs, [w] {
    if (!w->process->process_running()) return;
    spdlog::warn("worker {} still running {} ms after its channel closed; sending SIGTERM",
                 w->process->pid(), kTermAfterMs);
    w->process->Kill(SIGTERM);
    w->stop_timer.Start(kKillAfterTermMs, [w] {
      if (!w->process->process_running()) return;
      spdlog::warn("worker {} ignored SIGTERM for {} ms; sending SIGKILL", w->process->pid(),
                   kKillAfterTermMs);
      w->process->Kill(SIGKILL);
    });
  });
}

std::unique_ptr<Dispatcher::Worker> Dispatcher::TakeWorker(Worker& worker) noexcept {
  Slot& slot = *slots_[worker.slot];
  if (slot.active.get() == &worker) return std::move(slot.active);
  if (slot.successor.get() == &worker) return std::move(slot.successor);
  auto it = std::find_if(retired_.begin(), retired_.end(),
                         [&worker](const auto& w) { return w.get() == &worker; });
  if (it == retired_.end()) return nullptr;
  std::unique_ptr<Worker> taken = std::move(*it);
  retired_.erase(it);
  return taken;
}

void Dispatcher::ForEachWorker(const std::function<void(Worker&)>& fn) const {
  for (auto& slot : slots_) {
    if (slot->active) fn(*slot->active);
    if (slot->successor) fn(*slot->successor);
  }
  for (auto& w : retired_) fn(*w);
}

}  // namespace ssrd::pool
