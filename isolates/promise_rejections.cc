#include "isolates/promise_rejections.h"

#include <algorithm>

#include "isolates/runtime_globals.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

void Forget(v8::Isolate* isolate, RuntimeState* state, v8::Local<v8::Promise> promise) {
  auto& kept = state->unhandled_rejections;
  kept.erase(std::remove_if(kept.begin(), kept.end(),
                            [&](const RuntimeState::Rejection& r) {
                              return r.promise.Get(isolate) == promise;
                            }),
             kept.end());
}

void OnPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  v8::Isolate* isolate = promise->GetIsolate();
  RuntimeState* state = AttachedRuntimeState(isolate);
  if (state == nullptr) return;
  switch (message.GetEvent()) {
    case v8::kPromiseRejectWithNoHandler:
      if (state->unhandled_rejections.size() >= RuntimeState::kMaxKeptRejections) {
        ++state->unhandled_rejections_dropped;
        return;
      }
      state->unhandled_rejections.push_back(
          {v8::Global<v8::Promise>(isolate, promise),
           v8::Global<v8::Value>(isolate, message.GetValue())});
      return;
    case v8::kPromiseHandlerAddedAfterReject:
      Forget(isolate, state, promise);
      return;
    case v8::kPromiseRejectAfterResolved:
    case v8::kPromiseResolveAfterResolved:
      return;  // a settled promise settled again: harmless, and not a rejection anyone lost
  }
}

// "Uncaught Error: text" from V8's message formatter, without the prefix.
std::string Describe(v8::Isolate* isolate, v8::Local<v8::Value> reason) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Message> message = v8::Exception::CreateMessage(isolate, reason);
  std::string text = message.IsEmpty() ? "" : ToUtf8(isolate, message->Get());
  constexpr std::string_view kPrefix = "Uncaught ";
  if (text.rfind(kPrefix, 0) == 0) text.erase(0, kPrefix.size());
  if (text.empty()) text = "(a value that cannot be shown)";
  return text;
}

}  // namespace

void WatchPromiseRejections(v8::Isolate* isolate) {
  isolate->SetPromiseRejectCallback(OnPromiseReject);
}

void ClearRejections(RuntimeState* state) {
  state->unhandled_rejections.clear();
  state->unhandled_rejections_dropped = 0;
}

void ForgetRejection(v8::Isolate* isolate, RuntimeState* state, v8::Local<v8::Promise> promise) {
  Forget(isolate, state, promise);
}

std::vector<std::string> TakeUnhandledRejections(v8::Isolate* isolate, RuntimeState* state) {
  std::vector<std::string> texts;
  for (const RuntimeState::Rejection& rejection : state->unhandled_rejections) {
    texts.push_back(Describe(isolate, rejection.reason.Get(isolate)));
  }
  if (state->unhandled_rejections_dropped > 0 && !texts.empty()) {
    texts.back() += " \xe2\x80\xa6 and " + std::to_string(state->unhandled_rejections_dropped) +
                    " more";
  }
  ClearRejections(state);
  return texts;
}

}  // namespace ssrd::isolates
