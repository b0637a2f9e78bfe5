// What ssrd tells systemd through sd_notify: READY=1 once the workers are ready, STATUS= lines for
// `systemctl status`, RELOADING=1/READY=1 around a reload, STOPPING=1 when the drain starts, and
// WATCHDOG=1 from the loop when the unit sets WatchdogSec=.
//
// Without NOTIFY_SOCKET (not under Type=notify) every call does nothing and no timer runs.
// Loop thread only. Close() before the loop is expected to end: the timers keep it alive.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "pool/timer.h"

namespace ssrd::tools {

class SystemdNotifier {
 public:
  // The STATUS= text of the moment (workers, generation, served…), asked for at each refresh.
  using StatusFn = std::function<std::string()>;

  SystemdNotifier(uv_loop_t* loop, StatusFn status);
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  // Starts the watchdog heartbeat (half of WATCHDOG_USEC, when systemd asked for one and meant
  // this process) and the STATUS= refresh.
  void Start();
  void Ready();
  // MONOTONIC_USEC lets systemd 253+ tell this reload's READY=1 from an older one.
  void Reloading();
  // `ok`: the new bundle serves; otherwise the previous one still does. Either way ssrd is ready.
  void ReloadFinished(bool ok);
  void Stopping();
  void Close();

  bool enabled() const { return enabled_; }
  std::uint64_t watchdog_usec() const { return watchdog_usec_; }
  // "last reload HH:MM:SS ok|failed", or "" before the first.
  const std::string& last_reload() const { return last_reload_; }

 private:
  void Send(const std::string& state);
  void RefreshStatus(bool force);
  void Heartbeat();

  StatusFn status_;
  bool enabled_ = false;
  bool closed_ = false;
  std::uint64_t watchdog_usec_ = 0;
  std::string last_status_;
  std::string last_reload_;
  pool::Timer watchdog_timer_;
  pool::Timer status_timer_;
};

}  // namespace ssrd::tools
