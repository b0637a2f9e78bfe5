// ssrd_loadgen: a load generator for ssrd and the peers it is compared with.
//
//   ssrd_loadgen (--socket S | --http HOST:PORT [--http-path P] [--http-body JSON] | --pipe)
//                --component C [--props JSON] [--expect MARKER] [--min-bytes N]
//                --connections N [--in-flight M | --rate R [--max-outstanding K]]
//                --duration-s T [--warmup-s W] [--requests K]
//                [--spawn CMD [--child-log FILE] [--child-pid-file FILE] [--start-timeout-s S]
//                 [--ready-pattern TEXT] [--cold-start-only]] [--rss-pid PID] [--ping] [--label NAME]
//                [--trace FILE]
//
// Closed loop (the default): N connections with M requests in flight on each (one thread per
// request slot, each waiting for its reply before sending the next), for W seconds of warm-up and
// then T measured seconds (or K measured requests, whichever ends first).
//
// Open loop (--rate R, ssrd only): R requests/s in all, paced over N raw connections whatever the
// replies do, however many are in flight (open_loop.h): what the server does past what it can
// render. Counts good replies and each error code (`overloaded` above all) that arrive in the
// measured window; --requests bounds every send, warm-up included.
//
// With --spawn it starts the server itself in a process group of its own, times spawn -> first
// good reply (the cold start) and, with --ready-pattern, spawn -> the first time the child's
// output (its --child-log) contains TEXT, and stops the whole group at the end, also when
// ssrd_loadgen is interrupted (signal_guard.h); --pipe requires it (the bridge IS the child's
// stdin/stdout). While the measured phase runs, the server's process tree is sampled for memory
// (peak RSS and PSS, each process's peak RSS) and CPU time. After it, ssrd's own counters (its
// `stats` reply) are added as stat_NAME fields.
//
// Prints one line of key=value fields on stdout (docs/benchmarks.md reads them). Errors are data:
// the run still exits 0 and counts them by code. Exit 1: the run could not happen (cannot
// connect, no good reply within the start timeout); exit 2: bad arguments.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "tools/bench/child_process.h"
#include "tools/bench/load_target.h"
#include "tools/bench/open_loop.h"
#include "tools/bench/proc_tree.h"
#include "tools/bench/signal_guard.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace ssrd::bench;

struct Options {
  std::string socket_path, http, http_path = "/render", http_body, label;
  bool pipe = false;
  std::string component, props = "{}", expect;
  std::size_t min_bytes = 1;
  int connections = 1, in_flight = 1;
  double duration_s = 5, warmup_s = 1;
  long long requests = 0;  // 0 = no bound but the duration
  std::string spawn, child_log, child_pid_file;
  double start_timeout_s = 60;
  bool cold_start_only = false;
  bool ping = false;
  int rss_pid = 0;
  int timeout_ms = 30000;
  int client_busy_poll_us = -1;  // -1: the client's default
  double rate = 0;  // > 0: open loop at this many requests/s
  int max_outstanding = 65536;
  std::string ready_pattern;
  // Closed loop: one line per measured good reply ("sent_unix_us latency_us slot"), to line the
  // slow ones up with what the server logged at the time (a recycle, a collection).
  std::string trace;
};

struct SlotStats {
  std::vector<std::uint32_t> micros;  // successful requests only
  std::vector<long long> sent_unix_us;  // with --trace: when each of `micros` was sent
  std::map<std::string, std::uint64_t> errors;
  Clock::time_point last_end{};
};

double Percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank, as bench_roundtrip.
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double CpuSecondsOfThisProcess() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Peak memory of the server's process tree while the measured phase runs.
class MemorySampler {
 public:
  explicit MemorySampler(pid_t root) : root_(root) {}
  ~MemorySampler() { Finish(); }

  void Begin() {
    if (root_ <= 0) return;
    thread_ = std::thread([this] {
      while (!stop_.load()) {
        Take();
        // Every 500 ms: each sample walks all of /proc, CPU that the 2-core machine's server
        // under test would otherwise have.
        for (int i = 0; i < 50 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }

  void Finish() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

  bool any() const { return samples_ > 0; }
  std::uint64_t peak_rss_kb() const { return peak_rss_kb_; }
  std::uint64_t peak_pss_kb() const { return peak_pss_kb_; }
  std::size_t processes() const { return per_pid_.size(); }
  // name:kb (its peak) for each process, in the order first seen: the root first.
  std::string EachRss() const {
    std::string out;
    for (pid_t pid : order_) {
      const auto& [name, kb] = per_pid_.at(pid);
      if (!out.empty()) out += ',';
      out += name + ":" + std::to_string(kb);
    }
    return out;
  }

 private:
  void Take() {
    TreeSample sample = SampleTree(root_);
    if (sample.processes.empty()) return;
    ++samples_;
    peak_rss_kb_ = std::max(peak_rss_kb_, sample.rss_kb);
    peak_pss_kb_ = std::max(peak_pss_kb_, sample.pss_kb);
    for (const ProcessUsage& p : sample.processes) {
      auto [it, fresh] = per_pid_.try_emplace(p.pid, p.name, p.rss_kb);
      if (fresh) order_.push_back(p.pid);
      it->second.second = std::max(it->second.second, p.rss_kb);
    }
  }

  const pid_t root_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int samples_ = 0;
  std::uint64_t peak_rss_kb_ = 0, peak_pss_kb_ = 0;
  std::map<pid_t, std::pair<std::string, std::uint64_t>> per_pid_;
  std::vector<pid_t> order_;
};

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// Times spawn -> the first time the child's log contains a pattern (ssrd's "ready" line), by
// reading what the log gained every millisecond on a thread of its own: the cold-start probe
// blocks in its request meanwhile.
class ReadyWatcher {
 public:
  ReadyWatcher(std::string path, std::string pattern, Clock::time_point since)
      : path_(std::move(path)), pattern_(std::move(pattern)), since_(since) {
    thread_ = std::thread([this] { Watch(); });
  }
  ~ReadyWatcher() { Stop(); }

  // Waits up to `wait` for the pattern; then stops watching. The milliseconds from `since`, or
  // a negative value when the pattern was not seen.
  double WaitMs(std::chrono::milliseconds wait) {
    const auto until = Clock::now() + wait;
    while (found_ms_.load() < 0 && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    Stop();
    return found_ms_.load();
  }

  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Watch() {
    int fd = -1;
    std::string text;  // what was read and not yet ruled out
    char chunk[4096];
    while (!stop_.load()) {
      if (fd < 0) fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        ssize_t n;
        while ((n = ::read(fd, chunk, sizeof chunk)) > 0) {
          const auto now = Clock::now();
          text.append(chunk, static_cast<std::size_t>(n));
          if (text.find(pattern_) != std::string::npos) {
            found_ms_.store(std::chrono::duration<double, std::milli>(now - since_).count());
            ::close(fd);
            return;
          }
          // Keep only what could still begin the pattern.
          if (text.size() >= pattern_.size()) text.erase(0, text.size() - pattern_.size() + 1);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (fd >= 0) ::close(fd);
  }

  const std::string path_, pattern_;
  const Clock::time_point since_;
  std::atomic<bool> stop_{false};
  std::atomic<double> found_ms_{-1};
  std::thread thread_;
};

// The server started with --spawn: stopped, and its signal guard released, on every way out of
// Run(), early error returns included.
class SpawnedServer {
 public:
  SpawnedServer() = default;
  ~SpawnedServer() { Stop(); }
  SpawnedServer(const SpawnedServer&) = delete;
  SpawnedServer& operator=(const SpawnedServer&) = delete;

  ssrd::ipc::Result<void> Start(const Options& o) {
    auto started = ChildProcess::Start(o.spawn, o.pipe, o.child_log);
    if (!started) return started.error();
    child_ = std::move(started).value();
    GuardGroupOnSignals(child_->pid(), o.child_pid_file);
    return {};
  }
  void Stop() {
    if (!child_) return;
    child_->Stop();
    ReleaseGroup();
  }
  ChildProcess* get() const { return child_.get(); }
  explicit operator bool() const { return child_ != nullptr; }
  ChildProcess* operator->() const { return child_.get(); }

 private:
  std::unique_ptr<ChildProcess> child_;
};

ssrd::ipc::Result<std::unique_ptr<Target>> MakeTarget(const Options& o, RenderRequest request,
                                                      ChildProcess* child) {
  if (!o.socket_path.empty()) return MakeSsrdTarget(o.socket_path, std::move(request));
  if (!o.http.empty()) {
    std::string body = o.http_body;
    if (body.empty()) {
      nlohmann::json props = nlohmann::json::parse(o.props, nullptr, false);
      if (props.is_discarded()) {
        return ssrd::ipc::MakeError(ssrd::ipc::ErrorCode::kBadRequest, "--props is not valid JSON");
      }
      body = nlohmann::json{{"component", o.component}, {"props", props}}.dump();
    }
    return MakeHttpTarget(o.http, o.http_path, std::move(body), std::move(request));
  }
  return MakePipeTarget(child->TakeStdin(), child->TakeStdout(), std::move(request));
}

// The measured phase of either loop: started before the warm-up ends, finished after the window.
struct Measured {
  std::vector<std::uint32_t> micros;  // good requests only
  std::map<std::string, std::uint64_t> errors;
  double seconds = 0;
  std::string extra;  // the loop's own fields
};

// Closed loop: one thread per slot, each waiting for its reply before sending the next.
class ClosedLoop {
 public:
  ClosedLoop(const Options& o, std::vector<std::unique_ptr<Slot>> slots,
             Clock::time_point measure_start, Clock::time_point measure_end)
      : o_(o), slots_(std::move(slots)), start_(measure_start), end_(measure_end),
        stats_(slots_.size()) {
    for (std::size_t i = 0; i < slots_.size(); ++i) threads_.emplace_back([this, i] { Drive(i); });
  }

  Measured Finish() {
    for (auto& t : threads_) t.join();
    Measured m;
    auto last_end = start_;
    for (const SlotStats& s : stats_) {
      m.micros.insert(m.micros.end(), s.micros.begin(), s.micros.end());
      for (const auto& [code, n] : s.errors) m.errors[code] += n;
      last_end = std::max(last_end, s.last_end);
    }
    // With --requests the run may end before the duration; the rate is over the time it took.
    const auto end = (o_.requests > 0 && last_end < end_) ? last_end : end_;
    m.seconds = std::max(1e-9, std::chrono::duration<double>(end - start_).count());
    if (!o_.trace.empty()) WriteTrace();
    m.extra = " connections=" + std::to_string(o_.connections) +
              " in_flight=" + std::to_string(o_.in_flight) +
              " concurrency=" + std::to_string(o_.connections * o_.in_flight);
    return m;
  }

 private:
  void Drive(std::size_t i) {
    SlotStats& s = stats_[i];
    s.micros.reserve(4096);
    for (;;) {
      const auto t0 = Clock::now();
      if (t0 >= end_) break;
      const bool measured = t0 >= start_;
      if (measured && o_.requests > 0 && tickets_.fetch_add(1) >= o_.requests) break;
      CallOutcome outcome = slots_[i]->Call();
      const auto t1 = Clock::now();
      // A request counts when it was sent after the warm-up and answered before the end.
      if (!measured || t1 > end_) continue;
      s.last_end = std::max(s.last_end, t1);
      if (outcome.ok) {
        s.micros.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
        if (!o_.trace.empty()) s.sent_unix_us.push_back(UnixMicros(t0));
      } else {
        ++s.errors[outcome.error_code];
      }
    }
  }

  // The steady clock's reading as wall-clock µs, which is what the server's log shows.
  long long UnixMicros(Clock::time_point t) const {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch() +
                                                                 unix_offset_)
        .count();
  }

  void WriteTrace() const {
    std::ofstream out(o_.trace);
    for (std::size_t i = 0; i < stats_.size(); ++i) {
      const SlotStats& s = stats_[i];
      for (std::size_t k = 0; k < s.sent_unix_us.size(); ++k) {
        out << s.sent_unix_us[k] << ' ' << s.micros[k] << ' ' << i << '\n';
      }
    }
    if (!out) std::cerr << "ssrd_loadgen: could not write the trace to " << o_.trace << "\n";
  }

  const Options& o_;
  // Taken once, so that every traced time is shifted by the same amount.
  const std::chrono::nanoseconds unix_offset_ =
      std::chrono::system_clock::now().time_since_epoch() - Clock::now().time_since_epoch();
  std::vector<std::unique_ptr<Slot>> slots_;
  const Clock::time_point start_, end_;
  std::atomic<long long> tickets_{0};
  std::vector<SlotStats> stats_;
  std::vector<std::thread> threads_;
};

int Run(const Options& o) {
  RenderRequest request{o.component, o.props, ResponseCheck{o.expect, o.min_bytes},
                        std::chrono::milliseconds(o.timeout_ms), o.ping,
                        std::chrono::microseconds(o.client_busy_poll_us)};
  const bool open_loop = o.rate > 0;
  std::ostringstream line;
  line << "loadgen label=" << (o.label.empty() ? "-" : o.label) << " target="
       << (!o.socket_path.empty() ? "ssrd" : !o.http.empty() ? "http" : "pipe")
       << " component=" << (o.ping ? "ping" : o.component)
       << " loop=" << (open_loop ? "open" : "closed");

  // Declared before the target, so destroyed after it: the pipe bridge's target closes the
  // child's stdin first, which is the bridge's signal to exit.
  SpawnedServer child;
  std::unique_ptr<ReadyWatcher> ready;
  const auto spawned_at = Clock::now();
  if (!o.spawn.empty()) {
    if (auto started = child.Start(o); !started) {
      std::cerr << "ssrd_loadgen: " << started.error().ToString() << "\n";
      return 1;
    }
    if (!o.ready_pattern.empty()) {
      ready = std::make_unique<ReadyWatcher>(o.child_log, o.ready_pattern, spawned_at);
    }
  }
  auto target = MakeTarget(o, request, child.get());
  if (!target) {
    std::cerr << "ssrd_loadgen: " << target.error().ToString() << "\n";
    return 1;
  }

  if (child) {
    // Cold start: spawn -> first good reply, all of start-up inside the clock. Polls every
    // millisecond: the server being started needs the CPU more than the prober does.
    const auto give_up = spawned_at + std::chrono::duration<double>(o.start_timeout_s);
    std::string last_error;
    for (;;) {
      CallOutcome outcome = (*target)->Probe();
      if (outcome.ok) break;
      last_error = outcome.error_code;
      if (!child->running() || Clock::now() >= give_up) {
        std::cerr << "ssrd_loadgen: no good reply from '" << o.spawn << "' ("
                  << (child->running() ? "timed out" : "it exited") << "; last error: "
                  << last_error << ")" << (o.child_log.empty() ? "" : "; see " + o.child_log)
                  << "\n";
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double cold_ms = std::chrono::duration<double, std::milli>(Clock::now() - spawned_at).count();
    line << " cold_start_ms=" << Fixed(cold_ms, 1);
    if (ready) {
      // The line comes before the first reply, or (it is printed by another path) just after.
      const double ready_ms = ready->WaitMs(std::chrono::milliseconds(1000));
      line << " ready_ms=" << (ready_ms < 0 ? std::string("-") : Fixed(ready_ms, 1));
      ready.reset();
    }
    if (o.cold_start_only) {
      TreeSample sample = SampleTree(child->pid());
      line << " rss_kb=" << sample.rss_kb << " pss_kb=" << sample.pss_kb
           << " procs=" << sample.processes.size();
      child.Stop();
      std::cout << line.str() << std::endl;
      return 0;
    }
  }

  const auto measure_start = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                std::chrono::duration<double>(o.warmup_s));
  const auto measure_end = measure_start + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(o.duration_s));
  std::unique_ptr<ClosedLoop> closed;
  std::unique_ptr<OpenLoop> open;
  if (open_loop) {
    OpenLoopOptions options;
    options.socket_path = o.socket_path;
    options.component = o.component;
    options.props_json = o.props;
    options.check = request.check;
    options.rate = o.rate;
    options.connections = o.connections;
    options.measure_start = measure_start;
    options.measure_end = measure_end;
    options.max_requests = o.requests;
    options.max_outstanding = o.max_outstanding;
    options.drain = std::chrono::milliseconds(std::min(o.timeout_ms, 5000));
    auto started = OpenLoop::Start(std::move(options));
    if (!started) {
      std::cerr << "ssrd_loadgen: " << started.error().ToString() << "\n";
      return 1;
    }
    open = std::move(started).value();
  } else {
    std::vector<std::unique_ptr<Slot>> slots;
    for (int c = 0; c < o.connections; ++c) {
      auto opened = (*target)->OpenConnection(o.in_flight);
      if (!opened) {
        std::cerr << "ssrd_loadgen: connection " << c << ": " << opened.error().ToString() << "\n";
        return 1;
      }
      for (auto& slot : *opened) slots.push_back(std::move(slot));
    }
    closed = std::make_unique<ClosedLoop>(o, std::move(slots), measure_start, measure_end);
  }

  const pid_t rss_root = o.rss_pid > 0 ? o.rss_pid : child ? child->pid() : 0;
  MemorySampler memory(rss_root);
  std::this_thread::sleep_until(measure_start);
  memory.Begin();
  const double machine_cpu_start = MachineBusySeconds();
  const double client_cpu_start = CpuSecondsOfThisProcess();
  const double server_cpu_start = rss_root > 0 ? SampleTree(rss_root).cpu_s : 0;
  Measured m;
  std::uint64_t overloaded = 0;
  if (open) {
    OpenLoopResult r = open->Finish();
    m.micros = std::move(r.micros);
    m.errors = std::move(r.errors);
    m.seconds = r.seconds;
    overloaded = m.errors.count("overloaded") ? m.errors.at("overloaded") : 0;
    m.extra = " connections=" + std::to_string(o.connections) + " rate=" + Fixed(o.rate, 0) +
              " sent=" + std::to_string(r.sent) +
              " offered_per_s=" + Fixed(static_cast<double>(r.sent_measured) / m.seconds, 1) +
              " unsent=" + std::to_string(r.unsent) + " unanswered=" + std::to_string(r.unanswered);
  } else {
    m = closed->Finish();
  }
  const double client_cpu = CpuSecondsOfThisProcess() - client_cpu_start;
  const double server_cpu = rss_root > 0 ? SampleTree(rss_root).cpu_s - server_cpu_start : 0;
  const double machine_cpu = MachineBusySeconds() - machine_cpu_start;
  memory.Finish();
  const std::string server_stats = (*target)->ServerStats();
  closed.reset();
  open.reset();
  target->reset();
  child.Stop();

  std::sort(m.micros.begin(), m.micros.end());
  std::uint64_t error_count = 0;
  std::string by_code;
  for (const auto& [code, n] : m.errors) {
    error_count += n;
    by_code += (by_code.empty() ? "" : ",") + code + ":" + std::to_string(n);
  }
  const double mean = m.micros.empty() ? 0
      : std::accumulate(m.micros.begin(), m.micros.end(), 0.0) / static_cast<double>(m.micros.size());

  line << m.extra << " seconds=" << Fixed(m.seconds, 3)
       << " total=" << m.micros.size() + error_count << " ok=" << m.micros.size()
       << " errors=" << error_count << " errors_by_code=" << (by_code.empty() ? "-" : by_code)
       << " renders_per_s=" << Fixed(static_cast<double>(m.micros.size()) / m.seconds, 1);
  if (open_loop) {
    // Good replies/s is renders_per_s; what the refusals cost is beside it.
    line << " overloaded=" << overloaded
         << " overloaded_per_s=" << Fixed(static_cast<double>(overloaded) / m.seconds, 1);
  }
  line << " p50_us=" << Fixed(Percentile(m.micros, 50), 0)
       << " p90_us=" << Fixed(Percentile(m.micros, 90), 0)
       << " p99_us=" << Fixed(Percentile(m.micros, 99), 0) << " mean_us=" << Fixed(mean, 0)
       << " max_us=" << (m.micros.empty() ? 0 : m.micros.back())
       << " client_cpu_s=" << Fixed(client_cpu, 2) << " machine_cpu_s=" << Fixed(machine_cpu, 2);
  if (rss_root > 0) {
    // Busy time that was neither the server's nor ours: other work on the machine, which skews
    // this measurement. (The kernel's own threads count here too; they are normally near 0.)
    line << " server_cpu_s=" << Fixed(server_cpu, 2) << " other_cpu_s="
         << Fixed(std::max(0.0, machine_cpu - server_cpu - client_cpu), 2);
    if (memory.any()) {
      line << " rss_kb=" << memory.peak_rss_kb() << " pss_kb=" << memory.peak_pss_kb()
           << " procs=" << memory.processes() << " rss_each_kb=" << memory.EachRss();
    }
  }
  line << server_stats;
  std::cout << line.str() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A peer that dies mid-write must be an error count, not the end of the load generator.
  std::signal(SIGPIPE, SIG_IGN);
  Options o;
  CLI::App app{"ssrd_loadgen: N connections x M requests in flight (or R requests/s) against ssrd or a peer"};
  auto* socket = app.add_option("--socket", o.socket_path, "ssrd's Unix socket");
  auto* http = app.add_option("--http", o.http, "HTTP/1.1 server on loopback, HOST:PORT");
  auto* pipe = app.add_flag("--pipe", o.pipe, "JSON lines on the --spawn'ed child's stdin/stdout");
  socket->excludes(http)->excludes(pipe);
  http->excludes(pipe);
  app.add_option("--http-path", o.http_path, "path to POST to")->capture_default_str();
  app.add_option("--http-body", o.http_body,
                 "request body (default {\"component\":C,\"props\":P})");
  app.add_option("--component", o.component, "component to render (required unless --ping)");
  app.add_option("--props", o.props, "props as JSON")->capture_default_str();
  app.add_option("--expect", o.expect,
                 "text every good reply contains (no quotes or backslashes: it is searched in "
                 "JSON replies too)");
  app.add_option("--min-bytes", o.min_bytes, "smallest good reply")->capture_default_str();
  app.add_option("--connections", o.connections, "client connections")
      ->check(CLI::PositiveNumber)->capture_default_str();
  auto* in_flight = app.add_option("--in-flight", o.in_flight, "requests in flight per connection")
      ->check(CLI::PositiveNumber)->capture_default_str();
  auto* rate = app.add_option("--rate", o.rate,
                              "open loop: send this many requests/s in all, whatever the replies "
                              "(ssrd only)")
      ->check(CLI::PositiveNumber);
  rate->excludes(in_flight);
  app.add_option("--max-outstanding", o.max_outstanding,
                 "open loop: unanswered requests per connection above which a due request is "
                 "not sent (counted as unsent)")
      ->check(CLI::PositiveNumber)->capture_default_str()->needs(rate);
  app.add_option("--duration-s", o.duration_s, "measured seconds")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup-s", o.warmup_s, "unmeasured seconds first")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--requests", o.requests, "stop after this many measured requests (0: no bound)")
      ->check(CLI::NonNegativeNumber);
  auto* spawn = app.add_option("--spawn", o.spawn,
                               "start this shell command as the server; time its cold start");
  app.add_option("--child-log", o.child_log, "the spawned server's output (default: discarded)");
  app.add_option("--child-pid-file", o.child_pid_file,
                 "write the spawned server's process group id here while it runs");
  app.add_option("--start-timeout-s", o.start_timeout_s, "bound on the cold start")
      ->capture_default_str();
  app.add_flag("--cold-start-only", o.cold_start_only, "stop after the first good reply")
      ->needs(spawn);
  app.add_option("--ready-pattern", o.ready_pattern,
                 "also time spawn -> the first time the child's log contains this text "
                 "(ready_ms; needs --child-log)")
      ->needs(spawn);
  app.add_option("--rss-pid", o.rss_pid,
                 "sample this process tree's memory (default: the spawned child)");
  app.add_flag("--ping", o.ping, "ssrd: ping the supervisor instead of rendering")->needs(socket);
  app.add_option("--timeout-ms", o.timeout_ms, "per-request timeout")->capture_default_str();
  app.add_option("--client-busy-poll-us", o.client_busy_poll_us,
                 "ssrd: the C++ client's busy_poll in µs (default: the client's own)")
      ->check(CLI::Range(0, 100000))
      ->needs(socket);
  app.add_option("--label", o.label, "copied into the output line");
  app.add_option("--trace", o.trace,
                 "closed loop: write one line per good reply to this file: sent (unix µs), "
                 "latency µs, slot")
      ->excludes(rate);
  CLI11_PARSE(app, argc, argv);
  if (o.socket_path.empty() && o.http.empty() && !o.pipe) {
    std::cerr << "ssrd_loadgen: one of --socket, --http or --pipe is required\n";
    return 2;
  }
  if (o.component.empty() && !o.ping) {
    std::cerr << "ssrd_loadgen: --component is required\n";
    return 2;
  }
  // Before the run, not after it: a trace that cannot be written would waste the whole run.
  if (!o.trace.empty() && !std::ofstream(o.trace)) {
    std::cerr << "ssrd_loadgen: cannot write the trace to " << o.trace << "\n";
    return 2;
  }
  if (o.rate > 0 && (o.socket_path.empty() || o.ping)) {
    std::cerr << "ssrd_loadgen: --rate drives ssrd's socket (--socket) with renders\n";
    return 2;
  }
  if (!o.ready_pattern.empty() && o.child_log.empty()) {
    std::cerr << "ssrd_loadgen: --ready-pattern reads the child's output from --child-log\n";
    return 2;
  }
  if (o.pipe && o.spawn.empty()) {
    std::cerr << "ssrd_loadgen: --pipe needs --spawn (the bridge is the child's stdin/stdout)\n";
    return 2;
  }
  return Run(o);
}
