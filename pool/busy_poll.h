// Runs a libuv loop like uv_run(UV_RUN_DEFAULT), except that after a turn that read anything it
// keeps polling (without sleeping) for up to `busy_poll` before it lets the loop sleep in the
// kernel. On a virtual machine a sleeping process is woken through its idle virtual CPU, which
// costs tens of µs per wake-up; a request crosses four such wake-ups on its way, and under load
// the next frame usually arrives sooner than that. docs/architecture.md, "Busy polling".
#pragma once

#include <chrono>

#include <uv.h>

namespace ssrd::pool {

// Returns when the loop has no more active handles, as uv_run does.
// busy_poll of 0 is exactly uv_run(loop, UV_RUN_DEFAULT).
void RunLoop(uv_loop_t* loop, std::chrono::microseconds busy_poll);

}  // namespace ssrd::pool
