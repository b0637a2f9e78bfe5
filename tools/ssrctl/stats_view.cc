#include "tools/ssrctl/stats_view.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <vector>

#include "ipc/frame.h"

namespace ssrd::ssrctl {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;
using Clock = std::chrono::steady_clock;

// The counters as the daemon names them, in the order a reader wants them: load first, then
// faults, then lifecycle. Names the daemon adds later are shown after these.
constexpr std::array<std::string_view, 14> kCounterOrder = {
    "workers",  "queued",   "in_flight", "served",   "errors",  "crashes",         "timeouts",
    "overloads", "retries", "cancels",   "recycled", "reloads", "reload_failures", "connections"};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits until fd is ready for `events` or the deadline passes. Returns 0 or an errno value.
int WaitFor(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return 0;
    if (n == 0) return ETIMEDOUT;
    if (errno != EINTR) return errno;
  }
}

ipc::Result<void> Connect(int fd, const std::string& path, Clock::time_point deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return MakeError(ErrorCode::kUnavailable, "invalid socket path '" + path + "'");
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  auto fail = [&path](int err) {
    return MakeError(ErrorCode::kUnavailable,
                     "cannot connect to " + path + ": " + std::strerror(err));
  };
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return {};
    int err = errno;
    if (err == EINTR) continue;
    // A Unix socket whose listen backlog is full answers EAGAIN, not EINPROGRESS: try again.
    if (err == EAGAIN && Clock::now() < deadline) {
      ::poll(nullptr, 0, 2);
      continue;
    }
    if (err != EINPROGRESS) return fail(err == EAGAIN ? ETIMEDOUT : err);
    if (int w = WaitFor(fd, POLLOUT, deadline); w != 0) return fail(w);
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    return so_error == 0 ? ipc::Result<void>{} : fail(so_error);
  }
}

std::string Mib(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// Columns: text left-aligned, numbers right-aligned, two spaces between columns.
std::string FormatRows(const std::vector<std::vector<std::string>>& rows,
                       const std::vector<bool>& right_aligned) {
  std::vector<std::size_t> width(right_aligned.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      std::string pad(width[c] - row[c].size(), ' ');
      line += right_aligned[c] ? pad + row[c] : row[c] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

ipc::Result<ipc::Reply> FetchStats(const std::string& socket_path,
                                   std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return MakeError(ErrorCode::kUnavailable, std::string("socket: ") + std::strerror(errno));
  }
  if (auto connected = Connect(fd.get(), socket_path, deadline); !connected.ok()) {
    return connected.error();
  }
  auto lost = [&socket_path](int err) {
    return MakeError(ErrorCode::kUnavailable,
                     "connection to " + socket_path + " failed: " + std::strerror(err));
  };
  auto timed_out = [timeout] {
    return MakeError(ErrorCode::kTimeout,
                     "no reply within " + std::to_string(timeout.count()) + " ms");
  };

  ipc::Request request;
  request.id = 1;
  request.op = ipc::Op::kStats;
  std::string frame;
  ipc::EncodeRequest(request, &frame);
  for (std::size_t sent = 0; sent < frame.size();) {
    ssize_t n = ::send(fd.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return lost(errno);
    if (int w = WaitFor(fd.get(), POLLOUT, deadline); w != 0) {
      return w == ETIMEDOUT ? timed_out() : lost(w);
    }
  }

  ipc::FrameDecoder decoder;
  std::string payload;
  char buffer[16384];
  for (;;) {
    switch (decoder.Next(&payload)) {
      case ipc::FrameDecoder::Status::kFrame: {
        ipc::Result<ipc::Reply> reply = ipc::DecodeReply(payload);
        if (!reply.ok()) return reply.error();
        if (reply->error) return *reply->error;
        return reply;
      }
      case ipc::FrameDecoder::Status::kTooLarge:
        return MakeError(ErrorCode::kTooLarge, "the stats reply announced " +
                                                   std::to_string(decoder.rejected_length()) +
                                                   " bytes");
      case ipc::FrameDecoder::Status::kNeedMore:
        break;
    }
    if (int w = WaitFor(fd.get(), POLLIN, deadline); w != 0) {
      return w == ETIMEDOUT ? timed_out() : lost(w);
    }
    ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n == 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "the daemon at " + socket_path + " closed the connection");
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return lost(errno);
    }
    decoder.Feed(buffer, static_cast<std::size_t>(n));
  }
}

std::string FormatStatsTable(const ipc::Reply& reply) {
  std::vector<ipc::WorkerInfo> workers = reply.workers;
  std::sort(workers.begin(), workers.end(), [](const auto& a, const auto& b) {
    return std::tie(a.slot, a.generation, a.pid) < std::tie(b.slot, b.generation, b.pid);
  });
  std::vector<std::vector<std::string>> rows = {
      {"PID", "SLOT", "STATE", "GEN", "SERVED", "RESTARTS", "HEAP(MiB)", "RSS(MiB)"}};
  for (const ipc::WorkerInfo& w : workers) {
    rows.push_back({std::to_string(w.pid), std::to_string(w.slot), w.state,
                    std::to_string(w.generation), std::to_string(w.served),
                    std::to_string(w.restarts), Mib(w.heap_used), Mib(w.rss)});
  }
  std::string out = FormatRows(rows, {true, true, false, true, true, true, true, true});

  std::vector<std::vector<std::string>> totals;
  for (std::string_view name : kCounterOrder) {
    auto it = reply.stats.find(std::string(name));
    if (it != reply.stats.end()) totals.push_back({it->first, std::to_string(it->second)});
  }
  for (const auto& [name, value] : reply.stats) {
    if (std::find(kCounterOrder.begin(), kCounterOrder.end(), name) == kCounterOrder.end()) {
      totals.push_back({name, std::to_string(value)});
    }
  }
  out += "\n";
  out += FormatRows(totals, {false, false});
  return out;
}

std::string FormatStatsJson(const ipc::Reply& reply) {
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  for (const auto& [name, value] : reply.stats) stats[name] = value;
  nlohmann::ordered_json workers = nlohmann::ordered_json::array();
  for (const ipc::WorkerInfo& w : reply.workers) {
    workers.push_back({{"pid", w.pid},
                       {"slot", w.slot},
                       {"state", w.state},
                       {"generation", w.generation},
                       {"served", w.served},
                       {"restarts", w.restarts},
                       {"heap_used", w.heap_used},
                       {"rss", w.rss}});
  }
  nlohmann::ordered_json out = {{"stats", std::move(stats)}, {"workers", std::move(workers)}};
  // Invalid UTF-8 in a state name (it never should be) must not make dump() throw.
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ssrd::ssrctl
