// Fuzz target: MessagePack props -> V8 values (isolates/msgpack_to_v8.h), inside a real isolate,
// as a worker converts them before each render. Invariants: no crash or sanitizer report; every
// props value the supervisor's request decoder accepts (ipc::DecodeRequest, which the worker's
// input has always passed) converts without error, so a request is never accepted by one process
// and refused by the other. Slow next to the other targets: every input allocates in V8's heap.
#include <memory>
#include <string>
#include <string_view>

#include <v8.h>

#include "fuzz/fuzz_target.h"
#include "ipc/frame.h"
#include "ipc/message.h"
#include "isolates/msgpack_to_v8.h"
#include "isolates/v8_process.h"

namespace {

struct Engine {
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Context> context;
};

Engine* g_engine = nullptr;

// A render request around the input as its props value, as a client would send it.
std::string RequestWithProps(std::string_view props) {
  std::string payload = "\x84\xa2id\x01\xa2op\xa6render\xa9" "component\xa1" "C\xa5props";
  payload += props;
  return payload;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ssrd::isolates::EnsureV8Initialized();
  g_engine = new Engine;  // lives as long as the process, as a worker's isolate does
  g_engine->allocator.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = g_engine->allocator.get();
  g_engine->isolate = v8::Isolate::New(params);
  v8::Isolate::Scope isolate_scope(g_engine->isolate);
  v8::HandleScope handles(g_engine->isolate);
  g_engine->context.Reset(g_engine->isolate, v8::Context::New(g_engine->isolate));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  v8::Isolate* isolate = g_engine->isolate;
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handles(isolate);
  v8::Local<v8::Context> context = g_engine->context.Get(isolate);
  v8::Context::Scope context_scope(context);

  ssrd::ipc::Result<v8::Local<v8::Value>> converted =
      ssrd::isolates::MsgpackToV8(isolate, context, bytes);
  if (!converted.ok()) {
    FUZZ_CHECK(converted.error().code == ssrd::ipc::ErrorCode::kBadRequest);
    FUZZ_CHECK(!converted.error().message.empty());
  }

  ssrd::ipc::DecodeFailure failure;
  std::optional<ssrd::ipc::Request> request =
      ssrd::ipc::DecodeRequest(RequestWithProps(bytes), &failure);
  if (request && !request->props_msgpack.empty() && request->props_msgpack != bytes) {
    // The decoder normalises nil props to an empty map; convert what the worker would get.
    converted = ssrd::isolates::MsgpackToV8(isolate, context, request->props_msgpack);
  }
  if (request && !converted.ok()) FuzzCheckFailed(converted.error().message.c_str());
  return 0;
}
