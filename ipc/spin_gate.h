// Whether polling for the next frame without sleeping (--busy-poll-us) pays right now, for the
// supervisor's loop (pool/busy_poll.h) and a worker's channel (worker/channel_reader.h).
//
// Spinning pays only when CPUs are idle: then each sleep costs a wake-up of an idle virtual CPU
// (tens of µs, four per request), and the spinner takes time from nobody. When the CPUs are
// contended, the spinner takes time from the process doing the work (the other worker, the
// client): measured on the 2-core VM, 50 µs of spinning cut Tiny at concurrency 1 from 150 to
// 45 µs p50, and cost 5-20% of throughput at concurrency 16. The gate tells the two apart with the
// spinner's own sched_yield(): on an idle machine it returns at once; when it takes long, another
// thread ran on this CPU meanwhile; when most yields do, the CPUs are contended and spinning
// stops, for a while.
//
// Threads: one SpinGate per spinning thread. Pure C++ (no libuv, no V8).
#pragma once

#include <chrono>

namespace ssrd::ipc {

class SpinGate {
 public:
  using Clock = std::chrono::steady_clock;
  // A yield that took longer than this ran someone else.
  static constexpr std::chrono::microseconds kContendedYield{20};
  // Contended: the moving share of yields that ran someone else (weight kWeight each) reaches
  // kContendedShare. After that, no spinning for kBackOff.
  static constexpr double kWeight = 0.125;
  static constexpr double kContendedShare = 0.2;
  static constexpr std::chrono::milliseconds kBackOff{100};

  // Whether to start spinning now: false during a back-off.
  bool Open(Clock::time_point now) const { return now >= closed_until_; }
  // Gives the CPU to anyone waiting for it. False when the recent yields show the CPUs are
  // contended: the caller stops spinning and sleeps, and Open() is false for kBackOff.
  bool Yield();
  // Back-offs so far (tests, diagnostics).
  unsigned long back_offs() const { return back_offs_; }

 private:
  Clock::time_point closed_until_{};
  double long_share_ = 0;
  unsigned long back_offs_ = 0;
};

}  // namespace ssrd::ipc
