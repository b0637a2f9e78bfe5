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

// True when `value` is an object with a callable getReader or Symbol.asyncIterator. Property
// getters may run user code: a throw counts as "not a stream" and is left for the caller's read.
bool IsRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                    v8::Local<v8::Value> value);

// Reads `stream` to its end. Returns the text that was not passed to `sink` (all of it when sink
// is null). Caller holds a HandleScope and is inside `context`.
ipc::Result<std::string> DrainRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                           v8::Local<v8::Value> stream, RuntimeState* state,
                                           std::string_view component, StreamSink* sink);

}  // namespace ssrd::isolates
