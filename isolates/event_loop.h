// The render loop: runs microtasks, V8's foreground tasks and the runtime's timers until a promise
// settles. When nothing is runnable it advances to the next timer, sleeping until that timer is
// due. The isolate's microtask policy must be kExplicit.
//
// Limits: the loop has no deadline of its own. A watchdog on another thread stops it with
// Engine::Interrupt, which raises state->interrupt and calls Isolate::TerminateExecution (the
// heap-limit callback calls only the latter): the loop then returns kTerminated at its next step,
// also while it waits for a timer (the wait is state->interrupt.WaitUntil). The caller cancels
// the termination.
#pragma once

#include <v8.h>

#include "isolates/runtime_state.h"

namespace ssrd::isolates {

enum class LoopStatus {
  kSettled,     // promise fulfilled or rejected
  kStuck,       // still pending with no microtask or timer left: it can never settle
  kThrew,       // a timer or queueMicrotask callback threw: *exception holds the value
  kTerminated,  // TerminateExecution was called
};

// Caller holds a HandleScope and is inside `context`.
LoopStatus RunUntilSettled(v8::Isolate* isolate, v8::Local<v8::Context> context,
                           v8::Local<v8::Promise> promise, RuntimeState* state,
                           v8::Local<v8::Value>* exception);

// Forgets every pending timer, native and JS side (a settled render leaves nothing behind).
void DropPendingTimers(v8::Isolate* isolate, v8::Local<v8::Context> context, RuntimeState* state);

}  // namespace ssrd::isolates
