#include "isolates/event_loop.h"

#include <optional>

#include <libplatform/libplatform.h>

#include "isolates/render_stream.h"
#include "isolates/v8_process.h"

namespace ssrd::isolates {
namespace {

// Runs whatever V8 posted to this thread (e.g. FinalizationRegistry clean-ups). Returns false if
// execution was terminated meanwhile.
bool PumpPlatformTasks(v8::Isolate* isolate) {
  v8::Platform* platform = V8Platform();
  if (platform == nullptr) return true;
  while (v8::platform::PumpMessageLoop(platform, isolate,
                                       v8::platform::MessageLoopBehavior::kDoNotWait)) {
    if (isolate->IsExecutionTerminating()) return false;
  }
  return true;
}

// Runs one timer's callback in its own HandleScope (a long loop must not pile up handles).
// Returns nullopt when it ran without throwing, else why the loop must stop.
std::optional<LoopStatus> FireTimer(v8::Isolate* isolate, v8::Local<v8::Context> context, RuntimeState* state,
                     std::uint64_t id, v8::Global<v8::Value>* thrown) {
  v8::HandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> args[] = {v8::Number::New(isolate, static_cast<double>(id))};
  if (!state->fire_timer.Get(isolate)->Call(context, v8::Undefined(isolate), 1, args).IsEmpty()) {
    return std::nullopt;
  }
  if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) {
    return LoopStatus::kTerminated;
  }
  thrown->Reset(isolate, try_catch.Exception());
  return LoopStatus::kThrew;
}

}  // namespace

LoopStatus RunUntilSettled(v8::Isolate* isolate, v8::Local<v8::Context> context,
                           v8::Local<v8::Promise> promise, RuntimeState* state,
                           v8::Local<v8::Value>* exception) {
  for (;;) {
    isolate->PerformMicrotaskCheckpoint();
    // The flag as well: TerminateExecution only takes effect when JS runs next, and the loop may
    // have none left to run.
    if (isolate->IsExecutionTerminating() || state->interrupt.raised()) {
      return LoopStatus::kTerminated;
    }
    if (!state->uncaught.IsEmpty()) {
      *exception = state->uncaught.Get(isolate);
      state->uncaught.Reset();
      return LoopStatus::kThrew;
    }
    if (promise->State() != v8::Promise::kPending) return LoopStatus::kSettled;
    if (!PumpPlatformTasks(isolate)) return LoopStatus::kTerminated;

    std::optional<TimerQueue::Clock::time_point> due = state->timers.NextDue();
    if (!due) {
      // A platform task may still have queued a microtask; only an empty queue proves stuck.
      isolate->PerformMicrotaskCheckpoint();
      if (promise->State() != v8::Promise::kPending) return LoopStatus::kSettled;
      if (!state->timers.NextDue()) return LoopStatus::kStuck;
      continue;
    }
    // A streamed render is about to sit idle: what it produced so far leaves now.
    if (state->stream_output != nullptr && *due > TimerQueue::Clock::now()) {
      state->stream_output->FlushBeforeWait();
    }
    if (state->interrupt.WaitUntil(*due)) return LoopStatus::kTerminated;
    std::optional<std::uint64_t> id = state->timers.PopDue(TimerQueue::Clock::now());
    if (!id) continue;

    v8::Global<v8::Value> thrown;
    std::optional<LoopStatus> stop = FireTimer(isolate, context, state, *id, &thrown);
    if (stop == LoopStatus::kThrew) *exception = thrown.Get(isolate);
    if (stop) return *stop;
  }
}

void DropPendingTimers(v8::Isolate* isolate, v8::Local<v8::Context> context, RuntimeState* state) {
  state->timers.Clear();
  state->uncaught.Reset();
  v8::TryCatch try_catch(isolate);
  // It cannot fail short of termination, which the caller handles.
  v8::MaybeLocal<v8::Value> ignored =
      state->clear_timers.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr);
  (void)ignored;
}

}  // namespace ssrd::isolates
