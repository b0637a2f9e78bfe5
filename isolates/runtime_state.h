// What the runtime's native functions and the event loop share within one isolate: console
// capture, the timer queue, the JS hook that fires a timer, an uncaught error reported from a
// queueMicrotask callback, and the interrupt flag. Internal to isolates/; owned by the Engine,
// which outlives the context.
#pragma once

#include <chrono>
#include <string>

#include <v8.h>

#include "isolates/console_capture.h"
#include "isolates/interrupt_signal.h"
#include "isolates/timers.h"

namespace ssrd::isolates {

struct RuntimeState {
  ConsoleCapture console;
  TimerQueue timers;
  TimerQueue::Clock::time_point time_origin = TimerQueue::Clock::now();  // performance.now() = 0
  std::string node_env = "production";

  // Set by the prelude on install: fires the JS side of a timer id (see runtime_prelude.cc).
  v8::Global<v8::Function> fire_timer;
  // Set by the prelude on install: forgets every pending timer callback on the JS side.
  v8::Global<v8::Function> clear_timers;
  // First exception a queueMicrotask callback threw since the loop last looked.
  v8::Global<v8::Value> uncaught;
  // Raised by Engine::Interrupt (another thread): the event loop stops, also while it waits.
  InterruptSignal interrupt;
};

}  // namespace ssrd::isolates
