// What the runtime's native functions and the event loop share within one isolate: console
// capture, the timer queue, the JS hook that fires a timer, an uncaught error reported from a
// queueMicrotask callback, the interrupt flag and the promise rejections nobody handled. Internal to isolates/; owned by the Engine,
// which outlives the context.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <v8.h>

#include "isolates/console_capture.h"
#include "isolates/interrupt_signal.h"
#include "isolates/timers.h"

namespace ssrd::isolates {

class StreamOutput;

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

  // Promises rejected with no handler during the current render and not handled since
  // (promise_rejections.h); past kMaxKeptRejections only counted.
  struct Rejection {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> reason;
  };
  static constexpr std::size_t kMaxKeptRejections = 16;
  std::vector<Rejection> unhandled_rejections;
  std::size_t unhandled_rejections_dropped = 0;

  // While a render's stream is read (render_stream.h): what the event loop flushes before it
  // sleeps until a timer. Null otherwise.
  StreamOutput* stream_output = nullptr;

  // Properties added to the global object (its interceptor, runtime_globals.cc): the context
  // guard compares it with its value at install.
  std::uint64_t globals_added = 0;

  // Names read from every render's result, internalized once (render_call.cc). Eternal: they
  // live as long as the isolate, and a snapshot builder, which renders nothing, never makes them.
  std::vector<v8::Eternal<v8::String>> result_names;

  // Drops every V8 handle held here. An owner that disposes the isolate before this state (a
  // snapshot builder, whose CreateBlob also refuses to run while a handle is alive; a test) calls
  // it first.
  void ReleaseHandles() {
    fire_timer.Reset();
    clear_timers.Reset();
    uncaught.Reset();
    unhandled_rejections.clear();
  }
};

}  // namespace ssrd::isolates
