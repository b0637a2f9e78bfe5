#include "isolates/render_stream.h"

#include <utility>

#include "isolates/await_value.h"
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

// Runs the stream's next step (reader.read() or iterator.next()) and waits for its result.
// Returns {done, value}; *done is set.
ipc::Result<v8::Local<v8::Value>> NextChunk(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                            v8::Local<v8::Object> cursor,
                                            v8::Local<v8::Function> next, RuntimeState* state,
                                            std::string_view component, bool* done) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> step;
  if (!next->Call(context, cursor, 0, nullptr).ToLocal(&step)) {
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

}  // namespace

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
                                           std::string_view component, StreamSink* sink) {
  if (!stream->IsObject()) return BadStream("it is not an object");
  auto cursor = OpenCursor(isolate, context, stream.As<v8::Object>());
  if (!cursor.ok()) return cursor.error();
  StreamOutput output(sink);
  ActiveOutput active(state, &output);
  std::string split;  // the start of a UTF-8 sequence the last byte chunk did not finish
  for (;;) {
    v8::HandleScope scope(isolate);
    bool done = false;
    ipc::Result<v8::Local<v8::Value>> chunk =
        NextChunk(isolate, context, cursor->first, cursor->second, state, component, &done);
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
