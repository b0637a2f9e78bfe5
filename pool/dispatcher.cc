// The request side of the Dispatcher: the queue, deadlines, replies, retries, cancel, drain and
// stop. The worker side (spawning, recycling, reloads) is in worker_lifecycle.cc.
#include "pool/dispatcher.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "ipc/log_escape.h"
#include "pool/process_memory.h"

namespace ssrd::pool {
namespace {

constexpr unsigned kMaxAttempts = 2;  // a render runs at most twice (one retry after a crash)
// A job waiting at a worker behind a render that has run this long is taken back for a worker
// that has gone idle. Short enough that a request never waits long behind a slow render; long
// enough that small renders (tens of µs) never cause a steal and the cancel it costs.
constexpr auto kStealAfter = std::chrono::milliseconds(2);

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

std::int64_t MillisBetween(std::chrono::steady_clock::time_point from,
                           std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
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

Dispatcher::Dispatcher(uv_loop_t* loop, const PoolOptions& options,
                       WorkerSpawnOptions spawn_options,
                       std::vector<ipc::Request> warmup_file_requests)
    : loop_(loop),
      options_(options),
      spawn_options_(std::move(spawn_options)),
      warmup_file_requests_(std::move(warmup_file_requests)),
      snapshot_timer_(loop),
      drain_timer_(loop),
      deadline_timer_(loop),
      steal_timer_(loop),
      post_timer_(loop) {
  for (unsigned i = 0; i < options_.workers; ++i) {
    slots_.push_back(std::make_unique<Slot>(loop, i));
  }
}

Dispatcher::~Dispatcher() = default;

Pool::JobId Dispatcher::Submit(ipc::Request request, Pool::ReplyFn on_reply, std::string log_tag,
                               Pool::ChunkFn on_chunk) {
  Job job;
  job.id = next_job_id_++;
  job.request = std::move(request);
  job.on_reply = std::move(on_reply);
  job.on_chunk = std::move(on_chunk);
  if (!job.on_chunk) job.request.stream = false;  // nobody would read the chunks
  job.log_tag = std::move(log_tag);
  job.queued_at = Clock::now();
  std::uint32_t timeout_ms =
      job.request.timeout_ms != 0 ? job.request.timeout_ms : options_.default_timeout_ms;
  job.deadline = job.queued_at + std::chrono::milliseconds(timeout_ms);
  Pool::JobId id = job.id;
  if (stopping_ || draining_) {
    PostError(std::move(job), ipc::ErrorCode::kShuttingDown, "the daemon is shutting down");
  } else if (started_ && !AnyWorkerPossible()) {
    PostError(std::move(job), ipc::ErrorCode::kUnavailable,
              "no worker is available: every worker slot failed fatally");
  } else if (queue_.size() >= options_.max_queue) {
    // Overload must stay cheap, or refusing requests takes the CPU the accepted ones need: one
    // log line per second at most (a synchronous write per refusal cut good replies tenfold).
    ++counters_.overloads;
    ++overloads_unlogged_;
    Clock::time_point now = Clock::now();
    if (now - overload_logged_at_ >= std::chrono::seconds(1)) {
      spdlog::warn("overloaded: {} requests refused in the last {:.1f} s ({} waiting; --max-queue)",
                   overloads_unlogged_,
                   std::chrono::duration<double>(now - overload_logged_at_).count(), queue_.size());
      overload_logged_at_ = now;
      overloads_unlogged_ = 0;
    }
    // Encoded once: under a flood every refusal is the same bytes but for the id.
    if (overloaded_payload_.empty()) {
      overloaded_payload_ = EncodeErrorPayload(
          0, ipc::ErrorCode::kOverloaded,
          "the queue is full (" + std::to_string(options_.max_queue) +
              " requests waiting); try again later");
    }
    std::string payload = overloaded_payload_;
    ipc::PatchReplyId(&payload, job.request.id);
    ++counters_.errors;
    CountOutcome(ipc::ErrorCode::kOverloaded);
    PostReply(std::move(job.on_reply), std::move(payload));
  } else {
    Clock::time_point deadline = job.deadline;
    queue_.push_back(std::move(job));
    if (started_) Dispatch();
    ArmDeadlineTimer(deadline);
  }
  return id;
}

unsigned Dispatcher::PipelineDepth(const Worker& worker) const {
  const unsigned depth = std::max(1u, options_.pipeline_depth);
  // 1 is the operator asking for one job at a time: kept whatever the renders cost.
  if (depth == 1 || worker.render_average.count() < 0 ||
      worker.render_average >= options_.short_render) {
    return depth;
  }
  return std::min(depth * kShortRenderDepthFactor, std::max(depth, kMaxPipelineDepth));
}

Dispatcher::Worker* Dispatcher::WorkerWithRoom() const {
  Worker* best = nullptr;
  for (auto& slot : slots_) {
    Worker* w = slot->active.get();
    if (!w || !w->process || w->warming || w->exiting) continue;
    WorkerProcess::State state = w->process->state();
    if (state != WorkerProcess::State::kReady && state != WorkerProcess::State::kBusy) continue;
    if (w->jobs.size() >= PipelineDepth(*w)) continue;
    // Fewest jobs first; between two busy ones, the one whose render started last, which is the
    // less likely to be a long one.
    if (!best || w->jobs.size() < best->jobs.size() ||
        (w->jobs.size() == best->jobs.size() && !w->jobs.empty() &&
         w->jobs.front().render_started_at > best->jobs.front().render_started_at)) {
      best = w;
    }
  }
  return best;
}

void Dispatcher::Dispatch() noexcept {
  while (!queue_.empty()) {
    Worker* idle = WorkerWithRoom();
    if (idle == nullptr) return;
    Job job = std::move(queue_.front());
    queue_.pop_front();
    Clock::time_point now = Clock::now();
    if (now >= job.deadline) {
      ++counters_.timeouts;
      std::int64_t waited = MillisBetween(job.queued_at, now);
      PostError(std::move(job), ipc::ErrorCode::kTimeout,
                "the deadline passed after " + std::to_string(waited) +
                    " ms in the queue, before a worker was free");
      continue;
    }
    // The worker enforces the deadline itself, so it is told the time left, rounded up.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(job.deadline - now).count();
    std::uint64_t client_id = job.request.id;
    std::uint32_t client_timeout = job.request.timeout_ms;
    job.request.id = job.id;  // the worker sees the pool-wide id; PatchReplyId restores the client's
    job.request.timeout_ms = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
    std::string framed;
    ipc::EncodeRequest(job.request, &framed);
    job.request.id = client_id;
    job.request.timeout_ms = client_timeout;
    job.started_at = now;
    job.render_started_at = now;  // from the front of the worker's jobs: see OnWorkerReply
    ++job.attempts;
    // Checked first: the arguments (a tag, an escaped name) cost allocations on every request.
    if (spdlog::should_log(spdlog::level::trace)) {
      spdlog::trace("{} {} {} -> worker {} (job {}, queued {:.1f} ms)",
                    TagOf(job.log_tag, client_id), ipc::OpName(job.request.op),
                    ipc::EscapeForLog(job.request.component), idle->process->pid(), job.id,
                    MillisSince(job.queued_at));
    }
    // Behind another job, its deadline may pass while it waits: the sweep answers it then.
    Clock::time_point due = idle->jobs.empty() ? job.deadline + kDeadlineBackstop : job.deadline;
    idle->jobs.push_back(std::move(job));
    idle->process->SendFramed(std::move(framed));
    ArmDeadlineTimer(due);
  }
}

void Dispatcher::StealFor(Worker& idle) noexcept {
  Clock::time_point now = Clock::now();
  std::optional<Clock::time_point> retry_at;
  for (auto& slot : slots_) {
    Worker* w = slot->active.get();
    if (w == nullptr || w == &idle || w->jobs.size() < 2 || !w->process) continue;
    if (now - w->jobs.front().render_started_at < kStealAfter) {
      Clock::time_point at = w->jobs.front().render_started_at + kStealAfter;
      if (!retry_at || at < *retry_at) retry_at = at;
      continue;
    }
    // The newest job still waiting: the one that would wait longest.
    for (auto it = w->jobs.rbegin(); it + 1 != w->jobs.rend(); ++it) {
      if (it->stolen) continue;
      Job copy;
      copy.id = it->id;
      copy.request = it->request;
      copy.on_reply = std::move(it->on_reply);
      copy.on_chunk = std::move(it->on_chunk);
      copy.log_tag = it->log_tag;
      copy.queued_at = it->queued_at;
      copy.deadline = it->deadline;
      copy.attempts = it->attempts - 1;  // it never started at the worker it leaves
      it->stolen = true;
      it->on_reply = nullptr;
      it->on_chunk = nullptr;
      ++counters_.steals;
      spdlog::debug("{} taken from worker {} (rendering for {:.1f} ms) for idle worker {}",
                    TagOf(copy.log_tag, copy.request.id), w->process->pid(),
                    MillisSince(w->jobs.front().render_started_at), idle.process->pid());
      SendCancel(*w, copy.id);
      queue_.push_front(std::move(copy));
      Dispatch();
      return;
    }
  }
  // Nothing old enough yet: look again when it will be, if a worker is still idle then.
  if (retry_at && !steal_timer_.pending()) {
    auto delay = std::chrono::ceil<std::chrono::milliseconds>(*retry_at - now).count();
    steal_timer_.Start(static_cast<std::uint64_t>(std::max<std::int64_t>(delay, 1)), [this] {
      if (stopping_ || !queue_.empty()) return;
      for (auto& slot : slots_) {
        Worker* w = slot->active.get();
        if (w && w->process && !w->warming &&
            w->process->state() == WorkerProcess::State::kReady && w->jobs.empty()) {
          StealFor(*w);
          return;
        }
      }
    });
  }
}

void Dispatcher::OnWorkerReply(Worker& worker, std::string&& payload) noexcept {
  WorkerProcess& process = *worker.process;
  if (worker.jobs.empty()) return;  // WorkerProcess only delivers replies to requests in flight
  Job& front = worker.jobs.front();
  auto reply_id = ipc::PeekReplyId(payload);
  if (!reply_id || *reply_id != front.id) {
    spdlog::warn("{} worker {} replied with id {} instead of {}; killing it",
                 TagOf(front.log_tag, front.request.id), process.pid(),
                 reply_id ? std::to_string(*reply_id) : "?", front.id);
    process.Kill(SIGKILL);  // its exit answers the jobs with worker_crashed or a retry
    return;
  }
  Clock::time_point now = Clock::now();
  // Replies of a batch arrive together: the first sample spans the batch, the others are near
  // zero, and the average comes out right.
  const Clock::duration took = now - front.render_started_at;
  worker.render_average = worker.render_average.count() < 0
                              ? took
                              : worker.render_average + (took - worker.render_average) / 8;
  Job job = std::move(front);
  worker.jobs.pop_front();
  if (!worker.jobs.empty()) worker.jobs.front().render_started_at = now;
  if (auto heap = ipc::PeekReplyHeapUsed(payload)) worker.heap_used = static_cast<std::int64_t>(*heap);
  if (auto resets = ipc::PeekReplyContextResets(payload); resets && *resets > worker.context_resets) {
    counters_.context_resets += static_cast<std::int64_t>(*resets - worker.context_resets);
    worker.context_resets = *resets;
  }
  if (job.warmup) {
    OnWarmupReply(worker);
    CheckDrained();
    return;
  }
  if (job.stolen) {
    // Its copy went to another worker; this reply (cancelled, or a render that won the race
    // with the cancel) answers nobody.
    AfterWorkerReply(worker);
    CheckDrained();
    return;
  }
  ipc::PatchReplyId(&payload, job.request.id);
  bool ok = ReplyIsOk(payload);
  CountRenderTime(job.queued_at);
  ++counters_.served;
  ++worker.served;
  if (ok) {
    slots_[worker.slot]->backoff_ms = 0;
    samples_.Offer(job.request);
    CountOutcome(std::nullopt);
    if (spdlog::should_log(spdlog::level::debug)) {
      spdlog::debug("{} {} {} on worker {}: {:.1f} ms", TagOf(job.log_tag, job.request.id),
                    ipc::OpName(job.request.op), ipc::EscapeForLog(job.request.component),
                    process.pid(), MillisSince(job.started_at));
    }
  } else {
    ++counters_.errors;
    auto decoded = ipc::DecodeReply(payload);
    CountOutcome(decoded.ok() && decoded->error ? decoded->error->code : ipc::ErrorCode::kInternal);
    if (decoded.ok() && decoded->error && decoded->error->code == ipc::ErrorCode::kTimeout) {
      ++counters_.timeouts;
    }
    // A worker whose heap ran out exits after this reply (docs/protocol.md, worker channel):
    // whatever else is sent to it would die with it.
    if (decoded.ok() && decoded->error && decoded->error->code == ipc::ErrorCode::kOutOfMemory) {
      worker.exiting = true;
    }
    spdlog::warn("{} {} {} on worker {}: {} after {:.1f} ms", TagOf(job.log_tag, job.request.id),
                 ipc::OpName(job.request.op), ipc::EscapeForLog(job.request.component),
                 process.pid(),
                 ipc::EscapeForLog(decoded.ok() && decoded->error ? decoded->error->ToString()
                                                                  : "error reply"),
                 MillisSince(job.started_at));
  }
  AfterWorkerReply(worker);
  if (job.on_reply) job.on_reply(std::move(payload));
  CheckDrained();
}

void Dispatcher::OnWorkerChunk(Worker& worker, std::string&& payload) noexcept {
  if (worker.jobs.empty()) return;
  Job& front = worker.jobs.front();
  auto chunk_id = ipc::PeekReplyId(payload);
  if (!chunk_id || *chunk_id != front.id || !front.request.stream) {
    spdlog::warn("{} worker {} sent a chunk for id {} while rendering {}{}; killing it",
                 TagOf(front.log_tag, front.request.id), worker.process->pid(),
                 chunk_id ? std::to_string(*chunk_id) : "?", front.id,
                 front.request.stream ? "" : " (not streamed)");
    worker.process->Kill(SIGKILL);
    return;
  }
  // A warm-up, a stolen copy or a request whose client is gone: nobody reads it.
  if (front.warmup || front.stolen || !front.on_chunk) return;
  ++front.chunks_sent;
  ipc::PatchReplyId(&payload, front.request.id);
  front.on_chunk(std::move(payload));
}

void Dispatcher::AfterWorkerReply(Worker& worker) noexcept {
  if (worker.role == Role::kRetired) {
    if (worker.jobs.empty()) AskToExit(worker);  // it finished its last job
  } else {
    MaybeRecycle(worker);
  }
  if (stopping_) return;
  Dispatch();
  if (worker.role == Role::kActive && worker.jobs.empty() && queue_.empty()) StealFor(worker);
}

// A worker exited with jobs in flight. The front one may have been rendering: it is retried once
// elsewhere, or answered with why it failed. The ones behind it never started (every reply the
// worker wrote was read before its exit is handled): they go back to the front of the queue, in
// order, whatever their retry setting.
void Dispatcher::HandleJobsOfDeadWorker(Worker& worker, const WorkerExit& exit) noexcept {
  std::deque<Job> jobs = std::move(worker.jobs);
  worker.jobs.clear();
  // The front job may have been rendering, unless the worker had said it was exiting (after an
  // out_of_memory reply it renders nothing more): then none of them ever ran.
  std::optional<Job> rendering;
  if (!worker.exiting) {
    rendering = std::move(jobs.front());
    jobs.pop_front();
  }
  bool requeued = false;
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
    if (it->stolen) continue;
    if (stopping_) {
      PostError(std::move(*it), ipc::ErrorCode::kShuttingDown,
                "the daemon stopped before this request was rendered");
      continue;
    }
    // A job waiting behind the front one has normally never run: it goes back without spending
    // an attempt. But a worker holds the replies of short renders while it renders the next
    // (worker/reply_batch.h), so the one rendering when it died may have been behind the front.
    // From its second such death on, a waiting job spends an attempt like the front one, so that
    // a request that kills its worker cannot go on doing so from behind others. (A request that
    // opted out of retries is never in such a batch: when it renders, it is the front. A worker
    // that said it was exiting wrote every reply it held and rendered nothing after.)
    if (!it->request.retry || worker.exiting || ++it->deaths_waiting < 2) {
      --it->attempts;
    } else if (it->attempts >= kMaxAttempts) {
      std::string what = "worker " + std::to_string(worker.process->pid()) + " " +
                         exit.Describe() + " with this request waiting at it, after " +
                         "other workers died with it; not sent again";
      spdlog::warn("{} {}", TagOf(it->log_tag, it->request.id), ipc::EscapeForLog(what));
      PostError(std::move(*it), ipc::ErrorCode::kWorkerCrashed, std::move(what));
      continue;
    } else {
      ++counters_.retries;  // it may have run: sent again as a retry
    }
    queue_.push_front(std::move(*it));
    requeued = true;
  }
  if (requeued) Post([this] {
    if (!stopping_) Dispatch();
  });
  if (!rendering || rendering->stolen) return;
  Job job = std::move(*rendering);
  if (job.warmup) {
    if (!stopping_) OnWarmupCrash(worker, job, exit);
    return;
  }
  pid_t pid = worker.process->pid();
  if (stopping_) {
    PostError(std::move(job), ipc::ErrorCode::kShuttingDown,
              "the daemon stopped while this request was rendering");
    return;
  }
  if (job.killed_at_deadline) {
    ++counters_.timeouts;
    PostError(std::move(job), ipc::ErrorCode::kTimeout,
              "render of " + job.request.component + " passed its deadline and did not stop; worker " +
                  std::to_string(pid) + " was killed");
    return;
  }
  std::string what = "worker " + std::to_string(pid) + " " + exit.Describe() + " while rendering " +
                     job.request.component;
  // Exit code 2 is a bundle or configuration error: the next worker would fail the same way. A
  // render that made its worker attempt a forbidden system call would make the next one do it too.
  bool fatal = (exit.term_signal == 0 && exit.exit_status == 2) || exit.sandbox_refusal();
  // Part of a streamed page has reached the client: a second render cannot take it back.
  bool may_retry = job.request.retry && !fatal && job.attempts < kMaxAttempts &&
                   Clock::now() < job.deadline && job.chunks_sent == 0;
  if (job.chunks_sent != 0) {
    what += " after " + std::to_string(job.chunks_sent) +
            " chunk(s) of its stream were sent (not retried)";
  }
  if (may_retry && AnyWorkerPossible()) {
    ++counters_.retries;
    spdlog::warn("{} {}; retrying it on another worker", TagOf(job.log_tag, job.request.id),
                 ipc::EscapeForLog(what));
    queue_.push_front(std::move(job));
    Post([this] {
      if (!stopping_) Dispatch();
    });
    return;
  }
  spdlog::warn("{} {}", TagOf(job.log_tag, job.request.id), ipc::EscapeForLog(what));
  if (job.attempts > 1) what += " (after one retry)";
  PostError(std::move(job), ipc::ErrorCode::kWorkerCrashed, std::move(what));
}

bool Dispatcher::AnyWorkerPossible() const {
  return std::any_of(slots_.begin(), slots_.end(), [](const auto& s) {
    return !s->fatal || (s->active && s->active->process) || s->successor;
  });
}

bool Dispatcher::CancelQueued(Pool::JobId id) {
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Job& j) { return j.id == id; });
  if (it == queue_.end()) return false;
  Job job = std::move(*it);
  queue_.erase(it);
  ++counters_.errors;
  ++counters_.cancels;
  CountOutcome(ipc::ErrorCode::kCancelled);
  spdlog::debug("{} cancelled while queued", TagOf(job.log_tag, job.request.id));
  if (job.on_reply)
    job.on_reply(
        EncodeErrorPayload(job.request.id, ipc::ErrorCode::kCancelled,
                           "request " + std::to_string(job.request.id) + " was cancelled"));
  CheckDrained();
  return true;
}

bool Dispatcher::Cancel(Pool::JobId id) {
  if (CancelQueued(id)) return true;
  Worker* running = nullptr;
  const Job* target = nullptr;
  ForEachWorker([&](Worker& w) {
    if (!w.process) return;
    for (const Job& j : w.jobs) {
      if (j.id == id && !j.stolen) {
        running = &w;
        target = &j;
      }
    }
  });
  if (running == nullptr) return false;
  ++counters_.cancels;
  spdlog::debug("{} cancel sent to worker {}", TagOf(target->log_tag, target->request.id),
                running->process->pid());
  SendCancel(*running, id);
  return true;
}

// The worker stops the render if it runs, or answers `cancelled` without rendering when it gets
// to the job; it never replies to the cancel itself.
void Dispatcher::SendCancel(Worker& worker, Pool::JobId job) noexcept {
  ipc::Request cancel;
  cancel.op = ipc::Op::kCancel;
  cancel.target_id = job;
  std::string framed;
  ipc::EncodeRequest(cancel, &framed);
  worker.process->SendControl(std::move(framed));
}

void Dispatcher::FailQueued(ipc::ErrorCode code, const std::string& message) noexcept {
  while (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    PostError(std::move(job), code, message);
  }
}

// One timer for every deadline: armed for the earliest one known, and on firing it sweeps the
// queue and the workers and re-arms for the next. Submit only ever pulls it earlier, so the cost
// per request is constant and the sweep runs only when something is due.
void Dispatcher::ArmDeadlineTimer(Clock::time_point due) noexcept {
  if (deadline_due_ && *deadline_due_ <= due && deadline_timer_.pending()) return;
  deadline_due_ = due;
  auto delay = std::chrono::ceil<std::chrono::milliseconds>(due - Clock::now()).count();
  deadline_timer_.Start(static_cast<std::uint64_t>(std::max<std::int64_t>(delay, 0)),
                        [this] { SweepDeadlines(); });
}

void Dispatcher::SweepDeadlines() noexcept {
  deadline_due_.reset();
  Clock::time_point now = Clock::now();
  std::optional<Clock::time_point> next;
  auto consider = [&next](Clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline <= now) {
      Job job = std::move(*it);
      it = queue_.erase(it);
      ++counters_.timeouts;
      std::int64_t waited = MillisBetween(job.queued_at, now);
      spdlog::warn("{} timed out after {} ms in the queue", TagOf(job.log_tag, job.request.id),
                   waited);
      PostError(std::move(job), ipc::ErrorCode::kTimeout,
                "the deadline passed after " + std::to_string(waited) +
                    " ms in the queue, before a worker was free");
    } else {
      consider(it->deadline);
      ++it;
    }
  }
  // A job waiting at a worker behind another is answered at its deadline, as in the queue; the
  // worker is told to skip it and its late reply is dropped. Only the front job can be rendering.
  ForEachWorker([&](Worker& w) {
    if (w.jobs.empty() || !w.process) return;
    for (auto it = w.jobs.begin() + 1; it != w.jobs.end(); ++it) {
      if (it->stolen) continue;
      if (it->deadline > now) {
        consider(it->deadline);
        continue;
      }
      ++counters_.timeouts;
      std::int64_t waited = MillisBetween(it->queued_at, now);
      spdlog::warn("{} timed out after {} ms, waiting at worker {} behind another render",
                   TagOf(it->log_tag, it->request.id), waited, w.process->pid());
      Job answered;
      answered.request.id = it->request.id;
      answered.on_reply = std::move(it->on_reply);
      it->stolen = true;
      SendCancel(w, it->id);
      PostError(std::move(answered), ipc::ErrorCode::kTimeout,
                "the deadline passed after " + std::to_string(waited) +
                    " ms, waiting at a worker behind another render");
    }
    Job& front = w.jobs.front();
    if (front.killed_at_deadline) return;
    Clock::time_point backstop = front.deadline + kDeadlineBackstop;
    if (backstop > now) {
      consider(backstop);
      return;
    }
    spdlog::error("{} worker {} is still rendering {} ms past the deadline; killing it",
                  TagOf(front.log_tag, front.request.id), w.process->pid(),
                  MillisBetween(front.deadline, now));
    front.killed_at_deadline = true;
    w.process->Kill(SIGKILL);
  });
  if (next) ArmDeadlineTimer(*next);
  CheckDrained();
}

void Dispatcher::Drain(std::uint32_t drain_ms, std::function<void()> on_stopped) {
  if (on_stopped) on_stopped_.push_back(std::move(on_stopped));
  if (draining_ || stopping_) return;
  draining_ = true;
  spdlog::info("draining: {} queued and {} in flight, for up to {} ms", queue_.size(),
               stats().in_flight, drain_ms);
  drain_timer_.Start(drain_ms, [this, drain_ms] {
    spdlog::warn("drain timeout of {} ms reached with {} queued and {} in flight; stopping",
                 drain_ms, queue_.size(), stats().in_flight);
    Stop(nullptr);
  });
  CheckDrained();
}

void Dispatcher::CheckDrained() noexcept {
  if (!draining_ || stopping_ || !queue_.empty()) return;
  bool busy = false;
  ForEachWorker([&busy](Worker& w) { busy = busy || !w.jobs.empty(); });
  if (busy) return;
  drain_timer_.Stop();
  Post([this] { Stop(nullptr); });
}

void Dispatcher::Stop(std::function<void()> on_stopped) {
  if (on_stopped) on_stopped_.push_back(std::move(on_stopped));
  if (stopping_) {
    CheckStopped();
    return;
  }
  stopping_ = true;
  drain_timer_.Stop();
  deadline_timer_.Stop();
  steal_timer_.Stop();
  watcher_.reset();
  snapshot_build_.reset();
  snapshot_timer_.Stop();
  FailQueued(ipc::ErrorCode::kShuttingDown, "the daemon is shutting down");
  for (auto& slot : slots_) slot->respawn_timer.Stop();
  ForEachWorker([this](Worker& w) { AskToExit(w); });
  CheckStopped();
}

void Dispatcher::CheckStopped() noexcept {
  if (!stopping_ || stopped_reported_) return;
  bool any = !retired_.empty();
  for (auto& slot : slots_) any = any || slot->active || slot->successor;
  if (any) return;
  stopped_reported_ = true;
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

void Dispatcher::CountOutcome(std::optional<ipc::ErrorCode> code) noexcept {
  std::size_t index = code ? 1 + static_cast<std::size_t>(*code) : 0;
  if (index < outcome_counts_.size()) ++outcome_counts_[index];
}

void Dispatcher::CountRenderTime(Clock::time_point queued_at) noexcept {
  double seconds = std::chrono::duration<double>(Clock::now() - queued_at).count();
  std::size_t bucket = 0;
  while (bucket < std::size(kRenderSecondsBounds) && seconds > kRenderSecondsBounds[bucket]) {
    ++bucket;
  }
  ++render_buckets_[bucket];
  render_seconds_sum_ += seconds;
}

void Dispatcher::PostError(Job job, ipc::ErrorCode code, std::string message) noexcept {
  ++counters_.errors;
  CountOutcome(code);
  PostReply(std::move(job.on_reply),
            EncodeErrorPayload(job.request.id, code, std::move(message)));
}

void Dispatcher::PostReply(Pool::ReplyFn fn, std::string payload) noexcept {
  Post([this, fn = std::move(fn), payload = std::move(payload)]() mutable {
    if (fn) fn(std::move(payload));
    CheckDrained();
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
  s.worker_table.clear();
  ForEachWorker([&s](Worker& w) {
    if (!w.process) return;
    WorkerProcess::State state = w.process->state();
    if (w.role == Role::kActive && !w.warming &&
        (state == WorkerProcess::State::kReady || state == WorkerProcess::State::kBusy)) {
      ++s.workers;
    }
    for (const Job& j : w.jobs) s.in_flight += j.stolen || j.warmup ? 0 : 1;
    ipc::WorkerInfo info;
    info.pid = static_cast<std::uint32_t>(w.process->pid());
    info.slot = w.slot;
    info.state = w.role == Role::kRetired ? "retiring"
                 : w.warming                ? "warming"
                                            : WorkerStateName(state);
    info.generation = w.generation;
    info.served = w.served;
    info.heap_used = w.heap_used;
    info.rss = ResidentBytes(w.process->pid());
    s.worker_table.push_back(std::move(info));
  });
  for (auto& info : s.worker_table) info.restarts = slots_[info.slot]->restarts;
  s.queued = static_cast<std::int64_t>(queue_.size());
  for (std::size_t i = 0; i < outcome_counts_.size(); ++i) {
    if (outcome_counts_[i] == 0) continue;
    std::string name =
        i == 0 ? "ok" : std::string(ipc::ErrorCodeName(static_cast<ipc::ErrorCode>(i - 1)));
    s.outcomes[name] = outcome_counts_[i];
  }
  s.render_seconds_buckets.assign(render_buckets_.begin(), render_buckets_.end());
  s.render_seconds_sum = render_seconds_sum_;
  return s;
}

std::vector<pid_t> Dispatcher::worker_pids() const {
  std::vector<pid_t> pids;
  ForEachWorker([&pids](Worker& w) {
    if (w.process && w.process->process_running()) pids.push_back(w.process->pid());
  });
  return pids;
}

}  // namespace ssrd::pool
