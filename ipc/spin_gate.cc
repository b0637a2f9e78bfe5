#include "ipc/spin_gate.h"

#include <sched.h>

namespace ssrd::ipc {

bool SpinGate::Yield() {
  const Clock::time_point before = Clock::now();
  sched_yield();
  const Clock::time_point after = Clock::now();
  // One long yield is no proof: with more threads than CPUs in a request's chain (client,
  // supervisor, worker on 2 CPUs) the next one in line is handed the CPU once per request. Only a
  // run of them, most yields running someone else, shows the CPUs are short.
  const bool ran_someone = after - before >= kContendedYield;
  long_share_ = long_share_ * (1 - kWeight) + (ran_someone ? kWeight : 0);
  if (long_share_ < kContendedShare) return true;
  long_share_ = 0;
  closed_until_ = after + kBackOff;
  ++back_offs_;
  return false;
}

}  // namespace ssrd::ipc
