// Reading html a render returned as a stream: a ReadableStream (read through getReader()) or any
// async iterable (Symbol.asyncIterator), yielding strings or Uint8Arrays of UTF-8. Each read is
// awaited with the event loop (await_value.h), so timers and microtasks run between chunks as in
// any render. Bytes are decoded as UTF-8, a sequence split across chunks included; invalid bytes
// become U+FFFD, so whatever the stream yields, the text passed on is valid UTF-8.
//
// With a StreamSink the text is passed on as it comes (StreamOutput says when); without one it is
// gathered and returned whole. On failure, what was gathered is passed on first. Failure: the stream's own error (a rejected read), a chunk of another
// type (kJsError "render stream: it must yield strings or
// Uint8Arrays, got number"), a reader that
// does not answer {done, value}, or any error AwaitValue reports. Internal to isolates/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/engine.h"
#include "isolates/runtime_state.h"

namespace ssrd::isolates {

// Text of a stream not yet passed to the sink. The event loop calls FlushBeforeWait when the
// render has nothing to do until a timer is due: what was produced so far then leaves at once.
class StreamOutput {
 public:
  // Pieces are gathered up to this size before they are passed on between waits.
  static constexpr std::size_t kFlushBytes = 16 * 1024;

  explicit StreamOutput(StreamSink* sink) : sink_(sink) {}
  void Append(std::string_view utf8);
  // Passes on what is pending (nothing without a sink).
  void FlushBeforeWait();
  // What was never passed on; the output is then empty.
  std::string TakeRest();

 private:
  StreamSink* sink_;
  std::string pending_;
};

// Starts the first read of a stream that render returned in the microtask in which a JS caller's
// `const result = await render(request)` would go on, and not once every microtask pending then
// has run: React flushes its shell at the first read, so a Suspense boundary whose data settles
// within those microtasks would otherwise come out in place where Node's page has its fallback
// (tests/examples/test_corpus.py). Watch() attaches the step to render's promise (a value that
// is not a promise goes on after the microtasks queued so far, as `await value` would); Take()
// hands the opened reader and its pending first read to DrainRenderStream. Whatever the step
// cannot do (a getter that throws, no stream) it leaves for ReadOutput to meet again. A step that
// fires after Abandon() (render's promise settled after its deadline) does nothing. Caller holds
// a HandleScope and is inside the context; not copyable.
class EarlyRead {
 public:
  struct Opened {
    v8::Local<v8::Object> cursor;
    v8::Local<v8::Function> next;
    v8::Local<v8::Value> first_step;  // empty: no read was started
  };
  EarlyRead() = default;
  EarlyRead(const EarlyRead&) = delete;
  EarlyRead& operator=(const EarlyRead&) = delete;

  void Watch(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> returned);
  // The reader opened on `stream`, if the early step opened one on that very object.
  bool Take(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> stream,
            Opened* opened);
  void Abandon(v8::Isolate* isolate, v8::Local<v8::Context> context);

 private:
  // [live (or the value), stream, cursor, next, first step]: JS values only, so that a step firing
  // late touches no C++ object.
  v8::Global<v8::Array> holder_;
};

// True when `value` is an object with a callable getReader or Symbol.asyncIterator. Property
// getters may run user code: a throw counts as "not a stream" and is left for the caller's read.
bool IsRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                    v8::Local<v8::Value> value);

// Reads `stream` to its end (from the reader `early` opened on it, if it did). Returns the text
// that was not passed to `sink` (all of it when sink is null). Caller holds a HandleScope and is
// inside `context`.
ipc::Result<std::string> DrainRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                           v8::Local<v8::Value> stream, RuntimeState* state,
                                           std::string_view component, StreamSink* sink,
                                           EarlyRead* early = nullptr);

}  // namespace ssrd::isolates
