#include "isolates/engine.h"

#include <algorithm>
#include <utility>

#include <v8.h>

#include "isolates/event_loop.h"
#include "isolates/module_loader.h"
#include "isolates/render_call.h"
#include "isolates/runtime_globals.h"
#include "isolates/runtime_state.h"
#include "isolates/v8_process.h"

namespace ssrd::isolates {

using ipc::ErrorCode;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

struct IsolateDisposer {
  void operator()(v8::Isolate* isolate) const { isolate->Dispose(); }
};

}  // namespace

// Members are declared so that everything holding a v8::Global is destroyed before the isolate
// is disposed, and the isolate before its array-buffer allocator.
class Engine::Impl {
 public:
  explicit Impl(const EngineOptions& options)
      : options_(options),
        allocator_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}

  ipc::Result<void> Start();
  ipc::Result<RenderOutput> Render(const RenderInput& input, std::vector<ipc::ConsoleLine>* console);

  bool poisoned() const { return poisoned_; }
  const std::vector<ipc::ConsoleLine>& startup_console() const { return startup_console_; }

 private:
  // Called by V8 (on this thread, inside a GC) when the heap nears its limit. Stopping the JS
  // that allocates is the only way to avoid V8's fatal out-of-memory abort; the returned, higher
  // limit gives V8 room to unwind to the termination check.
  static std::size_t NearHeapLimit(void* data, std::size_t current_limit,
                                   std::size_t /*initial_limit*/) {
    auto* self = static_cast<Impl*>(data);
    self->heap_limit_hit_ = true;
    self->poisoned_ = true;
    self->isolate_->TerminateExecution();
    return current_limit + std::max<std::size_t>(current_limit / 4, 32 * kMiB);
  }

  std::string HeapLimitMessage() const {
    return "the heap limit of " + std::to_string(options_.heap_limit_mb) + " MB was reached";
  }

  EngineOptions options_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  std::unique_ptr<v8::Isolate, IsolateDisposer> isolate_;
  RuntimeState state_;
  ModuleGraph graph_;
  // The one context: made once at Start by NewRuntimeContext, which a context per render will
  // call instead (from a snapshot).
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> render_;
  std::vector<ipc::ConsoleLine> startup_console_;
  bool heap_limit_hit_ = false;
  bool poisoned_ = false;
};

ipc::Result<void> Engine::Impl::Start() {
  EnsureV8Initialized();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, options_.heap_limit_mb * kMiB);
  isolate_.reset(v8::Isolate::New(params));
  v8::Isolate* isolate = isolate_.get();
  // Microtasks run only where the event loop says (event_loop.h), never implicitly.
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate->AddNearHeapLimitCallback(NearHeapLimit, this);
  state_.node_env = options_.node_env;

  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  ipc::Error error;
  v8::Local<v8::Context> context;
  if (!NewRuntimeContext(isolate, &state_, &error).ToLocal(&context)) return error;
  context_.Reset(isolate, context);
  v8::Context::Scope context_scope(context);
  AttachModuleGraph(isolate, context, &graph_);

  state_.console.Begin(&startup_console_);
  ipc::Result<v8::Local<v8::Function>> render =
      LoadBundle(isolate, context, options_.bundle_path, &graph_, &state_);
  state_.console.End();
  if (heap_limit_hit_) {
    isolate->CancelTerminateExecution();
    return ipc::MakeError(ErrorCode::kBundleError,
                          "bundle " + options_.bundle_path + ": " + HeapLimitMessage() +
                              " while loading");
  }
  if (!render.ok()) return render.error();
  render_.Reset(isolate, render.value());
  return {};
}

ipc::Result<RenderOutput> Engine::Impl::Render(const RenderInput& input,
                                               std::vector<ipc::ConsoleLine>* console) {
  if (poisoned_) {
    return ipc::MakeError(ErrorCode::kOutOfMemory,
                          "this engine reached its heap limit earlier and must be replaced");
  }
  v8::Isolate* isolate = isolate_.get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);

  state_.console.Begin(console);
  ipc::Result<RenderOutput> result =
      CallRender(isolate, context, render_.Get(isolate), input, &state_);
  state_.console.End();

  if (isolate->IsExecutionTerminating() || heap_limit_hit_) {
    isolate->CancelTerminateExecution();
    DropPendingTimers(isolate, context, &state_);
  }
  if (heap_limit_hit_) {
    return ipc::MakeError(ErrorCode::kOutOfMemory, "render failed: " + HeapLimitMessage());
  }
  return result;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

ipc::Result<std::unique_ptr<Engine>> Engine::Create(const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(options);
  ipc::Result<void> started = impl->Start();
  if (!started.ok()) return started.error();
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

ipc::Result<RenderOutput> Engine::Render(const RenderInput& input,
                                         std::vector<ipc::ConsoleLine>* console) {
  return impl_->Render(input, console);
}

bool Engine::poisoned() const { return impl_->poisoned(); }

const std::vector<ipc::ConsoleLine>& Engine::startup_console() const {
  return impl_->startup_console();
}

}  // namespace ssrd::isolates
