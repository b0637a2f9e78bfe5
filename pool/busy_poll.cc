#include "pool/busy_poll.h"

#include <sched.h>

#include "ipc/connection.h"
#include "ipc/spin_gate.h"

namespace ssrd::pool {

void RunLoop(uv_loop_t* loop, std::chrono::microseconds busy_poll) {
  if (busy_poll.count() <= 0) {
    uv_run(loop, UV_RUN_DEFAULT);
    return;
  }
  using Clock = std::chrono::steady_clock;
  ipc::SpinGate gate;
  for (;;) {
    // Sleeps until something happens; 0: nothing is left to run.
    std::uint64_t reads = ipc::Connection::reads_total();
    if (uv_run(loop, UV_RUN_ONCE) == 0) return;
    if (ipc::Connection::reads_total() == reads) continue;  // a timer or a signal: sleep again
    // Frames are flowing: look again without sleeping until none came for busy_poll. Each look
    // yields the CPU to whoever else wants it (a worker, the client); on a machine whose CPUs
    // are busy that still costs more than it saves (architecture.md, "Busy polling").
    // Only while the CPUs are idle (ipc/spin_gate.h): on a contended machine it costs more than
    // it saves.
    Clock::time_point until = Clock::now() + busy_poll;
    if (!gate.Open(Clock::now())) continue;
    while (Clock::now() < until) {
      reads = ipc::Connection::reads_total();
      if (uv_run(loop, UV_RUN_NOWAIT) == 0) return;
      if (ipc::Connection::reads_total() != reads) {
        until = Clock::now() + busy_poll;
      } else if (!gate.Yield()) {
        break;
      }
    }
  }
}

}  // namespace ssrd::pool
