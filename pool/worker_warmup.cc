// Warm-up of new workers: see dispatcher.h for the model and pool/warmup.h for the requests.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "pool/dispatcher.h"

namespace ssrd::pool {

const std::vector<ipc::Request>& Dispatcher::WarmupRequests() const {
  return warmup_file_requests_.empty() ? samples_.requests() : warmup_file_requests_;
}

bool Dispatcher::StartWarmup(Worker& worker) noexcept {
  if (options_.warmup_requests == 0 || options_.warmup_ms == 0 || stopping_ || draining_ ||
      WarmupRequests().empty()) {
    return false;
  }
  worker.warming = true;
  worker.warmups_sent = 0;
  worker.warm_started_at = Clock::now();
  worker.warm_until = worker.warm_started_at + std::chrono::milliseconds(options_.warmup_ms);
  SendWarmupRender(worker);
  return true;
}

void Dispatcher::SendWarmupRender(Worker& worker) noexcept {
  const std::vector<ipc::Request>& requests = WarmupRequests();
  Job job;
  job.id = next_job_id_++;
  job.warmup = true;
  job.request = requests[worker.warmups_sent % requests.size()];
  Clock::time_point now = Clock::now();
  job.queued_at = job.started_at = job.render_started_at = now;
  job.deadline = worker.warm_until;
  auto left = std::chrono::ceil<std::chrono::milliseconds>(worker.warm_until - now).count();
  job.request.id = job.id;
  job.request.timeout_ms = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
  job.request.retry = false;
  job.request.stream = false;  // nobody reads a warm-up's html
  job.attempts = 1;
  std::string framed;
  ipc::EncodeRequest(job.request, &framed);
  ++worker.warmups_sent;
  Clock::time_point due = job.deadline + kDeadlineBackstop;
  worker.jobs.push_back(std::move(job));
  worker.process->SendFramed(std::move(framed));
  ArmDeadlineTimer(due);
}

void Dispatcher::OnWarmupReply(Worker& worker) noexcept {
  ++counters_.warmups;
  if (worker.role == Role::kRetired) {
    if (worker.jobs.empty()) AskToExit(worker);  // a successor discarded while it warmed up
    return;
  }
  Clock::time_point now = Clock::now();
  if (!stopping_ && !draining_ && worker.warmups_sent < options_.warmup_requests &&
      now < worker.warm_until && !WarmupRequests().empty()) {
    SendWarmupRender(worker);
    return;
  }
  worker.warming = false;
  spdlog::info("worker {} warmed up: {} render(s) in {:.0f} ms", worker.process->pid(),
               worker.warmups_sent,
               std::chrono::duration<double, std::milli>(now - worker.warm_started_at).count());
  OnWorkerWarm(worker);
}

void Dispatcher::OnWarmupCrash(Worker& worker, const Job& job, const WorkerExit& exit) noexcept {
  spdlog::warn("worker {} {} during a warm-up render of {}; that request is not used for warm-up "
               "again",
               worker.process->pid(), exit.Describe(), job.request.component);
  samples_.Forget(job.request);
  EraseWarmupRequest(&warmup_file_requests_, job.request);
}

}  // namespace ssrd::pool
