#include "isolates/render_stream.h"

#include <cstdint>
#include <utility>

#include "isolates/await_value.h"
#include "isolates/context_helpers.h"
#include "isolates/js_errors.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

using ipc::ErrorCode;

ipc::Error BadStream(std::string why) {
  return ipc::MakeError(ErrorCode::kJsError, "render stream: " + std::move(why));
}

// Bytes at the end of `bytes` that begin a UTF-8 sequence `bytes` does not finish.
std::size_t IncompleteTail(std::string_view bytes) {
  const std::size_t n = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    auto b = static_cast<unsigned char>(bytes[n - back]);
    if ((b & 0xc0) == 0x80) continue;  // a continuation byte: look further back
    std::size_t need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

// Decodes UTF-8 bytes the way V8 does (invalid sequences become U+FFFD) and re-encodes them, so
// that only valid UTF-8 leaves the worker.
std::string ValidUtf8(v8::Isolate* isolate, std::string_view bytes) {
  v8::Local<v8::String> text;
  if (!NewUtf8(isolate, bytes).ToLocal(&text)) return {};
  return ToUtf8(isolate, text);
}

// Runs the stream's next step (reader.read() or iterator.next()), unless `started` is one already
// under way, and waits for its result. Returns {done, value}; *done is set.
ipc::Result<v8::Local<v8::Value>> NextChunk(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            v8::Local<v8::Object> cursor,
                                            v8::Local<v8::Function> next, RuntimeState* state,
                                            std::string_view component, bool* done,
                                            v8::Local<v8::Value> started = {}) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> step = started;
  if (step.IsEmpty() && !next->Call(context, cursor, 0, nullptr).ToLocal(&step)) {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    return RenderErrorFromException(isolate, try_catch.Exception());
  }
  ipc::Result<v8::Local<v8::Value>> settled = AwaitValue(isolate, context, step, state, component);
  if (!settled.ok()) return settled.error();
  if (!settled.value()->IsObject()) {
    return BadStream("its read must give {done, value}, got " +
                     ToUtf8(isolate, settled.value()->TypeOf(isolate)));
  }
  v8::Local<v8::Object> result = settled.value().As<v8::Object>();
  v8::Local<v8::Value> done_value, value;
  if (!result->Get(context, Literal(isolate, "done")).ToLocal(&done_value) ||
      !result->Get(context, Literal(isolate, "value")).ToLocal(&value)) {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    return RenderErrorFromException(isolate, try_catch.Exception());
  }
  *done = done_value->BooleanValue(isolate);
  return value;
}

// The object to read from and its next function: a ReadableStream's reader and read, or the
// async iterator and next.
ipc::Result<std::pair<v8::Local<v8::Object>, v8::Local<v8::Function>>> OpenCursor(
    v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> stream) {
  v8::TryCatch try_catch(isolate);
  auto failed = [&]() -> ipc::Error {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return TerminatedError();
    if (try_catch.HasCaught()) return RenderErrorFromException(isolate, try_catch.Exception());
    return BadStream("it has neither getReader() nor [Symbol.asyncIterator]()");
  };
  v8::Local<v8::Value> get_reader, opener, cursor, next;
  const char* next_name = "read";
  if (!stream->Get(context, Literal(isolate, "getReader")).ToLocal(&get_reader)) return failed();
  if (get_reader->IsFunction()) {
    opener = get_reader;
  } else {
    if (!stream->Get(context, v8::Symbol::GetAsyncIterator(isolate)).ToLocal(&opener)) {
      return failed();
    }
    next_name = "next";
  }
  if (!opener->IsFunction() ||
      !opener.As<v8::Function>()->Call(context, stream, 0, nullptr).ToLocal(&cursor)) {
    return failed();
  }
  if (!cursor->IsObject()) return BadStream(std::string("its ") + (next_name[0] == 'r' ? "reader" : "iterator") + " is not an object");
  if (!cursor.As<v8::Object>()->Get(context, Literal(isolate, next_name)).ToLocal(&next)) {
    return failed();
  }
  if (!next->IsFunction()) return BadStream(std::string("its ") + next_name + " is not a function");
  return std::make_pair(cursor.As<v8::Object>(), next.As<v8::Function>());
}

// Points state->stream_output at an output for the length of a drain, so that the event loop can
// flush it before it waits.
class ActiveOutput {
 public:
  ActiveOutput(RuntimeState* state, StreamOutput* output) : state_(state) {
    state_->stream_output = output;
  }
  ~ActiveOutput() { state_->stream_output = nullptr; }
  ActiveOutput(const ActiveOutput&) = delete;
  ActiveOutput& operator=(const ActiveOutput&) = delete;

 private:
  RuntimeState* state_;
};

// kLive: `true` while the render is on (the value for a result that is not a promise: the step
// finds it there), undefined once abandoned, so that one store both stops a late step and lets the
// value go. The rest only when the step opened a stream.
enum EarlySlot : std::uint32_t { kLive, kStream, kCursor, kNext, kFirstStep };

v8::Local<v8::Value> Slot(v8::Local<v8::Context> context, v8::Local<v8::Array> holder,
                          EarlySlot slot) {
  v8::Local<v8::Value> value;
  if (!holder->Get(context, slot).ToLocal(&value)) return {};
  return value;
}

bool Put(v8::Local<v8::Context> context, v8::Local<v8::Array> holder, EarlySlot slot,
         v8::Local<v8::Value> value) {
  return holder->Set(context, slot, value).FromMaybe(false);
}

// The early step: runs as a microtask, called by a render's closure (kStepFactorySource) with the
// holder and the value render gave (or, queued for a value that is no promise, only the holder:
// the value is in it). Never throws: what it cannot do it leaves for ReadOutput.
void OpenEarly(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::HandleScope scope(isolate);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (info.Length() < 1 || !info[0]->IsArray()) return;
  v8::Local<v8::Array> holder = info[0].As<v8::Array>();
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> live = Slot(context, holder, kLive);
  if (live.IsEmpty() || live->IsUndefined()) return;
  v8::Local<v8::Value> value = info.Length() > 1 ? info[1] : live;
  if (value.IsEmpty() || !value->IsObject() || value->IsString()) return;
  // What ReadOutput reads: the stream is `html`, or the result itself.
  v8::Local<v8::Object> object = value.As<v8::Object>();
  v8::Local<v8::Value> stream;
  if (!object->Get(context, Literal(isolate, "html")).ToLocal(&stream)) return;
  if (stream->IsUndefined() && IsRenderStream(isolate, context, object)) stream = object;
  if (!IsRenderStream(isolate, context, stream)) return;
  auto cursor = OpenCursor(isolate, context, stream.As<v8::Object>());
  if (!cursor.ok()) return;
  v8::Local<v8::Value> step;
  if (!cursor->second->Call(context, cursor->first, 0, nullptr).ToLocal(&step)) {
    if (try_catch.HasTerminated() || isolate->IsExecutionTerminating()) return;
    // The read threw: the drain meets the same error as a rejected first read.
    v8::Local<v8::Promise::Resolver> failed;
    if (!v8::Promise::Resolver::New(context).ToLocal(&failed)) return;
    if (failed->Reject(context, try_catch.Exception()).IsNothing()) return;
    step = failed->GetPromise();
  }
  // The reader before its first step: Take() uses a reader it finds, with its step if there is one.
  if (!Put(context, holder, kStream, stream) || !Put(context, holder, kCursor, cursor->first) ||
      !Put(context, holder, kNext, cursor->second)) {
    return;
  }
  (void)Put(context, holder, kFirstStep, step);
}

// Render's promise rejected: that is the render's error (AwaitValue), and handling it here keeps
// the reaction's own promise from being reported as a rejection nobody handled.
void IgnoreRejection(const v8::FunctionCallbackInfo<v8::Value>&) {}

// Each render's step is a closure over its holder. v8::Function::New per render made a function
// template and a SharedFunctionInfo every time (~6% of a small render's CPU, perf); a closure made
// by JS compiled once per context (context_helpers.h) is an allocation.
constexpr const char* kStepFactorySource = R"JS(
(function (open) {
  'use strict';
  return function (holder) {
    return function (value) { return arguments.length === 0 ? open(holder) : open(holder, value); };
  };
}))JS";

v8::MaybeLocal<v8::Function> MakeStepFactory(v8::Isolate* isolate,
                                             v8::Local<v8::Context> context) {
  v8::Local<v8::Function> open;
  if (!v8::Function::New(context, OpenEarly, {}, 2, v8::ConstructorBehavior::kThrow)
           .ToLocal(&open)) {
    return {};
  }
  v8::Local<v8::Value> args[] = {open};
  return CompileContextHelper(isolate, context, kStepFactorySource, 1, args);
}

v8::MaybeLocal<v8::Function> MakeIgnoreRejection(v8::Isolate*, v8::Local<v8::Context> context) {
  return v8::Function::New(context, IgnoreRejection, {}, 1, v8::ConstructorBehavior::kThrow);
}

}  // namespace

void EarlyRead::Watch(v8::Isolate* isolate, v8::Local<v8::Context> context,
                      v8::Local<v8::Value> returned) {
  // Nothing to open on a string or a primitive; OpenEarly would return at once.
  if (!returned->IsObject() || returned->IsString()) return;
  v8::Local<v8::Function> factory = ContextHelper(
      isolate, context, ContextHelperSlot::kEarlyReadStepFactory, MakeStepFactory);
  if (factory.IsEmpty()) return;
  bool promised = returned->IsPromise();
  v8::Local<v8::Value> live[] = {promised ? v8::True(isolate).As<v8::Value>() : returned};
  v8::Local<v8::Array> holder = v8::Array::New(isolate, live, 1);
  v8::Local<v8::Value> args[] = {holder};
  v8::Local<v8::Value> step;
  if (!factory->Call(context, v8::Undefined(isolate), 1, args).ToLocal(&step) ||
      !step->IsFunction()) {
    return;
  }
  if (promised) {
    v8::Local<v8::Function> ignore = ContextHelper(
        isolate, context, ContextHelperSlot::kEarlyReadIgnoreRejection, MakeIgnoreRejection);
    v8::Local<v8::Promise> reaction;
    if (ignore.IsEmpty() || !returned.As<v8::Promise>()
                                 ->Then(context, step.As<v8::Function>(), ignore)
                                 .ToLocal(&reaction)) {
      return;
    }
  } else {
    isolate->EnqueueMicrotask(step.As<v8::Function>());
  }
  holder_.Reset(isolate, holder);
}

bool EarlyRead::Take(v8::Isolate* isolate, v8::Local<v8::Context> context,
                     v8::Local<v8::Value> stream, Opened* opened) {
  if (holder_.IsEmpty()) return false;
  v8::Local<v8::Array> holder = holder_.Get(isolate);
  v8::Local<v8::Value> seen = Slot(context, holder, kStream);
  if (seen.IsEmpty() || !seen->StrictEquals(stream)) return false;
  v8::Local<v8::Value> cursor = Slot(context, holder, kCursor);
  v8::Local<v8::Value> next = Slot(context, holder, kNext);
  v8::Local<v8::Value> step = Slot(context, holder, kFirstStep);
  if (cursor.IsEmpty() || !cursor->IsObject() || next.IsEmpty() || !next->IsFunction()) {
    return false;
  }
  // Without a first step (it could not be recorded) the drain starts its own read.
  if (!step.IsEmpty() && step->IsUndefined()) step = {};
  *opened = Opened{cursor.As<v8::Object>(), next.As<v8::Function>(), step};
  holder_.Reset();
  return true;
}

void EarlyRead::Abandon(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  if (holder_.IsEmpty()) return;
  v8::Local<v8::Array> holder = holder_.Get(isolate);
  (void)Put(context, holder, kLive, v8::Undefined(isolate));
  // The step may still sit in the microtask queue (a value that was not a promise: nothing ran
  // the queue since), holding the holder until the next render runs it. Emptied, the holder keeps
  // the render's result alive no longer: otherwise a page's html survived the young generation's
  // collection after the render and was promoted, to be collected by a mark-sweep later. Most
  // holders are [live] alone (no stream was opened): the store above emptied them.
  if (holder->Length() > 1) {
    (void)holder->Set(context, Literal(isolate, "length"), v8::Integer::New(isolate, 1));
  }
  holder_.Reset();
}

void StreamOutput::Append(std::string_view utf8) {
  pending_ += utf8;
  if (pending_.size() >= kFlushBytes) FlushBeforeWait();
}

void StreamOutput::FlushBeforeWait() {
  if (sink_ == nullptr || pending_.empty()) return;
  sink_->Write(pending_);
  pending_.clear();
}

std::string StreamOutput::TakeRest() { return std::exchange(pending_, {}); }

bool IsRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                    v8::Local<v8::Value> value) {
  if (!value->IsObject() || value->IsString()) return false;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Object> object = value.As<v8::Object>();
  v8::Local<v8::Value> member;
  if (object->Get(context, Literal(isolate, "getReader")).ToLocal(&member) &&
      member->IsFunction()) {
    return true;
  }
  return object->Get(context, v8::Symbol::GetAsyncIterator(isolate)).ToLocal(&member) &&
         member->IsFunction();
}

ipc::Result<std::string> DrainRenderStream(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                           v8::Local<v8::Value> stream, RuntimeState* state,
                                           std::string_view component, StreamSink* sink,
                                           EarlyRead* early) {
  if (!stream->IsObject()) return BadStream("it is not an object");
  EarlyRead::Opened opened;
  v8::Local<v8::Value> started;
  ipc::Result<std::pair<v8::Local<v8::Object>, v8::Local<v8::Function>>> cursor =
      BadStream("not opened");
  if (early != nullptr && early->Take(isolate, context, stream, &opened)) {
    cursor = std::make_pair(opened.cursor, opened.next);
    started = opened.first_step;
  } else {
    cursor = OpenCursor(isolate, context, stream.As<v8::Object>());
  }
  if (!cursor.ok()) return cursor.error();
  StreamOutput output(sink);
  ActiveOutput active(state, &output);
  std::string split;  // the start of a UTF-8 sequence the last byte chunk did not finish
  for (;;) {
    v8::HandleScope scope(isolate);
    bool done = false;
    ipc::Result<v8::Local<v8::Value>> chunk = NextChunk(
        isolate, context, cursor->first, cursor->second, state, component, &done,
        std::exchange(started, v8::Local<v8::Value>()));
    if (!chunk.ok()) {
      // What the stream produced before it failed still leaves, so that the client sees how far
      // it got; the error reply follows.
      output.FlushBeforeWait();
      return chunk.error();
    }
    if (done) break;
    v8::Local<v8::Value> value = chunk.value();
    if (value->IsString()) {
      if (!split.empty()) output.Append(ValidUtf8(isolate, std::exchange(split, {})));
      output.Append(ToUtf8(isolate, value));
    } else if (value->IsUint8Array()) {
      v8::Local<v8::Uint8Array> array = value.As<v8::Uint8Array>();
      std::string bytes = std::exchange(split, {});
      std::size_t start = bytes.size();
      bytes.resize(start + array->ByteLength());
      array->CopyContents(bytes.data() + start, array->ByteLength());
      std::size_t tail = IncompleteTail(bytes);
      split.assign(bytes, bytes.size() - tail, tail);
      bytes.resize(bytes.size() - tail);
      output.Append(ValidUtf8(isolate, bytes));
    } else {
      output.FlushBeforeWait();
      return BadStream("it must yield strings or Uint8Arrays, got " +
                       (value->IsNull() ? std::string("null")
                                        : ToUtf8(isolate, value->TypeOf(isolate))));
    }
  }
  if (!split.empty()) output.Append(ValidUtf8(isolate, split));
  return output.TakeRest();
}

}  // namespace ssrd::isolates
