#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "isolates/v8_strings.h"
#include "isolates/web_natives.h"

namespace ssrd::isolates {
namespace {

// Makes every refusal of the serializer a DataCloneError built by structured_clone.js.
class CloneDelegate : public v8::ValueSerializer::Delegate {
 public:
  CloneDelegate(v8::Isolate* isolate, v8::Local<v8::Function> make_error)
      : isolate_(isolate), make_error_(make_error) {}

  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    v8::Local<v8::Value> args[] = {message};
    v8::Local<v8::Value> error;
    // When makeError itself throws, that exception is the one that propagates.
    if (make_error_->Call(isolate_->GetCurrentContext(), v8::Undefined(isolate_), 1, args)
            .ToLocal(&error)) {
      isolate_->ThrowException(error);
    }
  }

  // V8's defaults throw a plain Error here; the standard says DataCloneError.
  v8::Maybe<bool> WriteHostObject(v8::Isolate* /*isolate*/, v8::Local<v8::Object> /*object*/) override {
    ThrowDataCloneError(Literal(isolate_, "A host object could not be cloned."));
    return v8::Nothing<bool>();
  }
  v8::Maybe<std::uint32_t> GetSharedArrayBufferId(v8::Isolate* /*isolate*/,
                                                  v8::Local<v8::SharedArrayBuffer> /*sab*/) override {
    ThrowDataCloneError(Literal(isolate_, "#<SharedArrayBuffer> could not be cloned."));
    return v8::Nothing<std::uint32_t>();
  }

 private:
  v8::Isolate* isolate_;
  v8::Local<v8::Function> make_error_;
};

struct FreeWithStdFree {
  void operator()(std::uint8_t* data) const { std::free(data); }  // the delegate's default realloc
};

// The transfer list's ArrayBuffers; empty with a DataCloneError thrown when one cannot move.
bool CollectTransfers(v8::Isolate* isolate, v8::Local<v8::Context> context,
                      v8::Local<v8::Array> list, CloneDelegate* delegate,
                      std::vector<v8::Local<v8::ArrayBuffer>>* buffers) {
  for (std::uint32_t i = 0; i < list->Length(); ++i) {
    v8::Local<v8::Value> item;
    if (!list->Get(context, i).ToLocal(&item)) return false;
    if (!item->IsArrayBuffer()) {
      isolate->ThrowException(
          v8::Exception::TypeError(Literal(isolate, "Found invalid object in transferList")));
      return false;
    }
    v8::Local<v8::ArrayBuffer> buffer = item.As<v8::ArrayBuffer>();
    for (v8::Local<v8::ArrayBuffer> seen : *buffers) {
      if (seen->StrictEquals(buffer)) {
        delegate->ThrowDataCloneError(
            Literal(isolate, "Transfer list contains duplicate ArrayBuffer"));
        return false;
      }
    }
    if (buffer->WasDetached() || !buffer->IsDetachable()) {
      delegate->ThrowDataCloneError(
          Literal(isolate, "An ArrayBuffer is detached and could not be cloned."));
      return false;
    }
    buffers->push_back(buffer);
  }
  return true;
}

}  // namespace

void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (!info[1]->IsArray() || !info[2]->IsFunction()) {
    isolate->ThrowException(v8::Exception::TypeError(
        Literal(isolate, "structuredClone expects a value, an array and a function")));
    return;
  }
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  CloneDelegate delegate(isolate, info[2].As<v8::Function>());
  std::vector<v8::Local<v8::ArrayBuffer>> transfers;
  if (!CollectTransfers(isolate, context, info[1].As<v8::Array>(), &delegate, &transfers)) return;

  v8::ValueSerializer serializer(isolate, &delegate);
  for (std::uint32_t id = 0; id < transfers.size(); ++id) {
    serializer.TransferArrayBuffer(id, transfers[id]);
  }
  serializer.WriteHeader();
  if (serializer.WriteValue(context, info[0]).IsNothing()) return;
  std::pair<std::uint8_t*, std::size_t> wire = serializer.Release();
  std::unique_ptr<std::uint8_t, FreeWithStdFree> owned(wire.first);

  // The contents move: the clone's buffers take the backing stores, the originals are detached.
  v8::ValueDeserializer deserializer(isolate, wire.first, wire.second);
  for (std::uint32_t id = 0; id < transfers.size(); ++id) {
    std::shared_ptr<v8::BackingStore> contents = transfers[id]->GetBackingStore();
    transfers[id]->Detach();
    deserializer.TransferArrayBuffer(id, v8::ArrayBuffer::New(isolate, std::move(contents)));
  }
  v8::Local<v8::Value> clone;
  if (deserializer.ReadHeader(context).IsNothing() || !deserializer.ReadValue(context).ToLocal(&clone)) {
    return;
  }
  info.GetReturnValue().Set(clone);
}

}  // namespace ssrd::isolates
