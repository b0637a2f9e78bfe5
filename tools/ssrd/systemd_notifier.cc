#include "tools/ssrd/systemd_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <ctime>

namespace ssrd::tools {
namespace {

constexpr std::uint64_t kStatusRefreshMs = 1000;

std::string ClockTime() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &local);
  return text;
}

}  // namespace

SystemdNotifier::SystemdNotifier(uv_loop_t* loop, StatusFn status)
    : status_(std::move(status)), watchdog_timer_(loop), status_timer_(loop) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
}

void SystemdNotifier::Start() {
  if (!enabled_ || closed_) return;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this process.
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_usec_ = usec;
    spdlog::info("systemd watchdog: {} ms; sending a heartbeat every {} ms", usec / 1000,
                 usec / 2000);
    Heartbeat();
  }
  status_timer_.Start(kStatusRefreshMs, [this] { RefreshStatus(false); });
}

void SystemdNotifier::Heartbeat() {
  Send("WATCHDOG=1");
  std::uint64_t period_ms = watchdog_usec_ / 2000;
  watchdog_timer_.Start(period_ms > 0 ? period_ms : 1, [this] { Heartbeat(); });
}

void SystemdNotifier::Ready() {
  if (!enabled_ || closed_) return;
  last_status_ = status_();
  Send("READY=1\nSTATUS=" + last_status_);
}

void SystemdNotifier::Reloading() {
  if (!enabled_ || closed_) return;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::uint64_t usec = static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
                       static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
  last_status_ = "reloading; " + status_();
  Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=" + last_status_);
}

void SystemdNotifier::ReloadFinished(bool ok) {
  last_reload_ = "last reload " + ClockTime() + (ok ? " ok" : " failed");
  if (!enabled_ || closed_) return;
  last_status_ = status_();
  Send("READY=1\nSTATUS=" + last_status_);
}

void SystemdNotifier::Stopping() {
  if (!enabled_ || closed_) return;
  last_status_ = "draining; " + status_();
  Send("STOPPING=1\nSTATUS=" + last_status_);
}

void SystemdNotifier::RefreshStatus(bool force) {
  if (closed_) return;
  std::string status = status_();
  if (force || status != last_status_) {
    last_status_ = status;
    Send("STATUS=" + status);
  }
  status_timer_.Start(kStatusRefreshMs, [this] { RefreshStatus(false); });
}

void SystemdNotifier::Close() {
  closed_ = true;
  watchdog_timer_.Stop();
  status_timer_.Stop();
}

void SystemdNotifier::Send(const std::string& state) {
  // Fails only when systemd's socket is gone; systemd then no longer listens either.
  if (int rc = sd_notify(0, state.c_str()); rc < 0) {
    spdlog::debug("sd_notify failed: {}", std::strerror(-rc));
  }
}

}  // namespace ssrd::tools
