// Target over a child's stdin/stdout in JSON lines: the pipe-bridge design ssrd replaces, driven
// the way it should have been. Every slot shares the one bridge process; a whole line is written
// under a lock (so requests never interleave) and replies are matched by id, in any order.
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include <poll.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tools/bench/load_target.h"

namespace ssrd::bench {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;

class Bridge {
 public:
  Bridge(int write_fd, int read_fd, std::string request_tail, ResponseCheck check,
         std::chrono::milliseconds timeout)
      : write_fd_(write_fd),
        read_fd_(read_fd),
        request_tail_(std::move(request_tail)),
        check_(std::move(check)),
        timeout_(timeout) {
    reader_ = std::thread([this] { ReadLoop(); });
  }

  // Closing stdin is the bridge's signal to exit; the reader notices within one poll period.
  ~Bridge() {
    ::close(write_fd_);
    stop_.store(true);
    reader_.join();
    ::close(read_fd_);
  }

  CallOutcome Call() {
    const std::uint64_t id = next_id_.fetch_add(1);
    const std::string line = "{\"id\":" + std::to_string(id) + request_tail_;
    Pending pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (dead_) return CallOutcome::Fail("unavailable");
      pending_.emplace(id, &pending);
    }
    if (!WriteLine(line)) {
      Forget(id);
      return CallOutcome::Fail("io");
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (!pending.cv.wait_for(lock, timeout_, [&] { return pending.done; })) {
      pending_.erase(id);
      return CallOutcome::Fail("timeout");
    }
    lock.unlock();
    if (pending.broken) return CallOutcome::Fail("io");
    return Judge(pending.line);
  }

 private:
  struct Pending {
    std::condition_variable cv;
    bool done = false;
    bool broken = false;  // the bridge's stdout ended before this reply
    std::string line;
  };

  bool WriteLine(const std::string& line) {
    std::lock_guard<std::mutex> lock(write_mu_);
    std::size_t written = 0;
    while (written < line.size()) {
      ssize_t n = ::write(write_fd_, line.data() + written, line.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      written += static_cast<std::size_t>(n);
    }
    return true;
  }

  void Forget(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(id);
  }

  // {"id":N,"html":"…"} passes when the check finds its marker in the raw line (the marker has
  // nothing JSON escapes); {"id":N,"error":…} is the bridge's own failure.
  CallOutcome Judge(const std::string& line) const {
    const std::size_t after_id = line.find_first_not_of("0123456789", 6);
    if (after_id == std::string::npos) return CallOutcome::Fail("bad_reply");
    std::string_view rest(line.data() + after_id, line.size() - after_id);
    if (rest.rfind(",\"html\":\"", 0) == 0) {
      if (auto bad = check_.Check(rest); !bad.empty()) return CallOutcome::Fail(std::string(bad));
      return CallOutcome::Ok();
    }
    if (rest.rfind(",\"error\":", 0) == 0) return CallOutcome::Fail("error");
    return CallOutcome::Fail("bad_reply");
  }

  void Deliver(std::string&& line) {
    if (line.rfind("{\"id\":", 0) != 0) return;  // not a reply: ignore, as a bridge client would
    const std::uint64_t id = std::strtoull(line.c_str() + 6, nullptr, 10);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return;  // timed out already
    it->second->line = std::move(line);
    it->second->done = true;
    it->second->cv.notify_one();
    pending_.erase(it);
  }

  void ReadLoop() {
    std::string buffer;
    char chunk[65536];
    std::size_t scanned = 0;
    while (!stop_.load()) {
      pollfd p{read_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0, end;
      while ((end = buffer.find('\n', scanned)) != std::string::npos) {
        Deliver(buffer.substr(start, end - start));
        start = end + 1;
        scanned = start;
      }
      buffer.erase(0, start);
      scanned = buffer.size();
    }
    std::lock_guard<std::mutex> lock(mu_);
    dead_ = true;
    for (auto& [id, pending] : pending_) {
      pending->broken = true;
      pending->done = true;
      pending->cv.notify_one();
    }
    pending_.clear();
  }

  const int write_fd_;
  const int read_fd_;
  const std::string request_tail_;  // ,"component":…,"props":…}\n
  const ResponseCheck check_;
  const std::chrono::milliseconds timeout_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<bool> stop_{false};
  std::mutex write_mu_;
  std::mutex mu_;
  bool dead_ = false;
  std::unordered_map<std::uint64_t, Pending*> pending_;
  std::thread reader_;
};

class PipeSlot final : public Slot {
 public:
  explicit PipeSlot(std::shared_ptr<Bridge> bridge) : bridge_(std::move(bridge)) {}
  CallOutcome Call() override { return bridge_->Call(); }

 private:
  std::shared_ptr<Bridge> bridge_;
};

class PipeTarget final : public Target {
 public:
  explicit PipeTarget(std::shared_ptr<Bridge> bridge) : bridge_(std::move(bridge)) {}

  ipc::Result<std::vector<std::unique_ptr<Slot>>> OpenConnection(int in_flight) override {
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < in_flight; ++i) slots.push_back(std::make_unique<PipeSlot>(bridge_));
    return slots;
  }
  CallOutcome Probe() override { return bridge_->Call(); }
  std::string Name() const override { return "pipe"; }

 private:
  std::shared_ptr<Bridge> bridge_;
};

}  // namespace

ipc::Result<std::unique_ptr<Target>> MakePipeTarget(int write_fd, int read_fd,
                                                    RenderRequest request) {
  // Re-serialised so that the request is one line whatever whitespace the props came with.
  nlohmann::json props = nlohmann::json::parse(request.props_json, nullptr, false);
  if (props.is_discarded()) {
    ::close(write_fd);
    ::close(read_fd);
    return MakeError(ErrorCode::kBadRequest, "--props is not valid JSON");
  }
  std::string tail = ",\"component\":" + nlohmann::json(request.component).dump() +
                     ",\"props\":" + props.dump() + "}\n";
  auto bridge = std::make_shared<Bridge>(write_fd, read_fd, std::move(tail),
                                         std::move(request.check), request.timeout);
  return std::unique_ptr<Target>(new PipeTarget(std::move(bridge)));
}

}  // namespace ssrd::bench
