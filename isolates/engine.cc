#include "isolates/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <thread>
#include <utility>

#include <v8.h>

#include "isolates/budget_allocator.h"
#include "isolates/bundle_context.h"
#include "isolates/context_guard.h"
#include "isolates/event_loop.h"
#include "isolates/library_warmup.h"
#include "isolates/module_loader.h"
#include "isolates/module_snapshot.h"
#include "isolates/native_memory_watch.h"
#include "isolates/promise_rejections.h"
#include "isolates/render_call.h"
#include "isolates/runtime_globals.h"
#include "isolates/runtime_state.h"
#include "isolates/stack_mapper.h"
#include "isolates/v8_process.h"
#include "isolates/young_generation_tidy.h"

namespace ssrd::isolates {

using ipc::ErrorCode;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// The directory the bundle's files are in, absolute, for the stack mapper.
std::string BundleDirectory(const std::string& bundle_path) {
  std::error_code error;
  std::filesystem::path path = std::filesystem::absolute(bundle_path, error);
  return (error ? std::filesystem::path(bundle_path) : path).parent_path().string();
}

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
        allocator_(std::make_unique<BudgetAllocator>(options.heap_limit_mb * kMiB)),
        // Before the bundle is read: a file or map written after this may not be what runs.
        graph_(options.files),
        stack_mapper_(BundleDirectory(options.bundle_path),
                      std::filesystem::file_time_type::clock::now(),
                      StackMapper::kDefaultMaxMapBytes, options.files) {}

  ipc::Result<void> Start();
  ipc::Result<void> PrepareNextRender();
  ipc::Result<RenderOutput> Render(const RenderInput& input, std::vector<ipc::ConsoleLine>* console);

  bool poisoned() const { return poisoned_; }
  std::uint64_t context_resets() const { return context_resets_; }
  std::uint64_t young_generation_tidies() const { return young_tidy_.collections(); }
  std::vector<std::string> TakeLeftBehind() { return std::move(left_behind_); }
  void Interrupt();
  void ClearInterrupt();
  std::size_t heap_used() const;
  const std::vector<ipc::ConsoleLine>& startup_console() const { return startup_console_; }
  const std::vector<std::string>& last_unhandled_rejections() const {
    return last_unhandled_rejections_;
  }
  std::uint64_t source_maps_read() const { return stack_mapper_.maps_read(); }
  ipc::Result<void> WarmUpLibraries() {
    UseStackOfThisThread();
    v8::Isolate* isolate = isolate_.get();
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    return WarmUpLazyLibraries(isolate, context_.Get(isolate));
  }
  std::vector<std::string> TakeSourceMapWarnings() { return stack_mapper_.TakeWarnings(); }

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

  // Appended to the error of a render that met the ArrayBuffer budget (budget_allocator.h).
  std::string BufferLimitNote() const {
    return " (ArrayBuffer memory is limited to the heap limit of " +
           std::to_string(options_.heap_limit_mb) + " MB)";
  }

  std::string HeapLimitMessage() const {
    return "the heap limit of " + std::to_string(options_.heap_limit_mb) + " MB was reached";
  }

  // Makes the context the next render runs in: from the snapshot, or by evaluating the bundle.
  // The bundle's top-level console output goes to *console.
  ipc::Result<void> MakeContext(std::vector<ipc::ConsoleLine>* console);
  bool has_snapshot() const { return !options_.snapshot_blob.empty(); }
  // kGuarded, after a render: true when the context must be replaced (what was found is appended
  // to left_behind_).
  bool GuardFoundLeftovers();
  // V8 takes the stack limit from the thread that created the isolate and keeps it when another
  // thread enters (only a v8::Locker would move it). Without this, the first call on any other
  // thread would see its own stack as overflowed. The calling thread needs more stack than
  // kStackBudget (std::thread's default is 8 MiB).
  void UseStackOfThisThread() {
    if (stack_thread_ == std::this_thread::get_id()) return;
    stack_thread_ = std::this_thread::get_id();
    char here;
    isolate_->SetStackLimit(reinterpret_cast<std::uintptr_t>(&here) - kStackBudget);
  }
  static constexpr std::uintptr_t kStackBudget = 984 * 1024;  // V8's own default (--stack-size)

  EngineOptions options_;
  std::unique_ptr<BudgetAllocator> allocator_;
  bool buffers_refused_ = false;  // a render met the ArrayBuffer budget; collect before the next
  static constexpr std::chrono::milliseconds kHeapUsedInterval{1};
  mutable std::size_t heap_used_ = 0;
  mutable std::chrono::steady_clock::time_point heap_used_read_;
  NativeMemoryWatch native_memory_;  // memory V8 does not count (ICU's formatters) grew: collect
  YoungGenerationTidy young_tidy_;    // scavenges between renders rather than inside them
  v8::StartupData snapshot_{};  // points into options_.snapshot_blob, which outlives the isolate
  std::unique_ptr<v8::Isolate, IsolateDisposer> isolate_;
  RuntimeState state_;
  ModuleGraph graph_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> render_;
  bool context_used_ = false;  // a render ran in context_ since it was made or last checked
  ContextGuard guard_;          // kGuarded only
  std::uint64_t renders_since_scan_ = 0;
  std::optional<std::chrono::steady_clock::time_point> last_scan_;  // none yet: due by count
  std::uint64_t context_resets_ = 0;
  std::vector<std::string> left_behind_;
  std::thread::id stack_thread_;  // the thread whose stack V8's limit is set for
  std::vector<ipc::ConsoleLine> startup_console_;
  std::vector<std::string> last_unhandled_rejections_;
  bool heap_limit_hit_ = false;
  bool poisoned_ = false;
  StackMapper stack_mapper_;  // touched only when an error has a stack
};

ipc::Result<void> Engine::Impl::Start() {
  EnsureV8Initialized();
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, options_.heap_limit_mb * kMiB);
  // The snapshot's contexts hold the runtime's native functions; V8 finds them by this table.
  params.external_references = RuntimeExternalReferences();
  if (has_snapshot()) {
    snapshot_.data = options_.snapshot_blob.data();
    snapshot_.raw_size = static_cast<int>(options_.snapshot_blob.size());
    // V8 aborts the process on a snapshot it cannot read; this checksum check is the way to fail
    // cleanly instead (snapshots/ also checks the file's own header before it gets here).
    if (!snapshot_.IsValid()) {
      return ipc::MakeError(ErrorCode::kBundleError, "the startup snapshot is corrupt");
    }
    params.snapshot_blob = &snapshot_;
  }
  isolate_.reset(v8::Isolate::New(params));
  stack_thread_ = std::this_thread::get_id();
  v8::Isolate* isolate = isolate_.get();
  // Microtasks run only where the event loop says (event_loop.h), never implicitly.
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate->AddNearHeapLimitCallback(NearHeapLimit, this);
  state_.node_env = options_.node_env;
  AttachRuntimeState(isolate, &state_);
  WatchPromiseRejections(isolate);
  return MakeContext(&startup_console_);
}

ipc::Result<void> Engine::Impl::MakeContext(std::vector<ipc::ConsoleLine>* console) {
  UseStackOfThisThread();
  v8::Isolate* isolate = isolate_.get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  // The previous context's modules go with it; a fresh graph keeps nothing of them alive.
  guard_.Reset();
  context_.Reset();
  render_.Reset();
  graph_ = ModuleGraph(options_.files);
  v8::Local<v8::Context> context;
  if (has_snapshot()) {
    // Deserialises the snapshot's default context: runtime and bundle already evaluated.
    context = v8::Context::New(isolate);
    if (context.IsEmpty()) {
      return ipc::MakeError(ErrorCode::kInternal, "V8 could not make a context from the snapshot");
    }
    AttachModuleGraph(isolate, context, &graph_);
    v8::Context::Scope context_scope(context);
    RestoreModulesFromSnapshot(isolate, context, &graph_);
  } else {
    state_.console.Begin(console);
    ipc::Result<v8::Local<v8::Context>> made =
        NewBundleContext(isolate, &state_, &graph_, options_.bundle_path);
    state_.console.End();
    if (heap_limit_hit_) {
      isolate->CancelTerminateExecution();
      return ipc::MakeError(ErrorCode::kBundleError,
                            "bundle " + options_.bundle_path + ": " + HeapLimitMessage() +
                                " while loading");
    }
    if (!made.ok()) return made.error();
    context = made.value();
  }
  ipc::Result<v8::Local<v8::Function>> render = BindBundleContext(isolate, context, &state_);
  if (!render.ok()) return render.error();
  if (options_.isolation == Isolation::kGuarded) {
    v8::Context::Scope context_scope(context);
    if (ipc::Result<void> guarded = guard_.Install(isolate, context); !guarded.ok()) {
      return guarded.error();
    }
  }
  context_.Reset(isolate, context);
  render_.Reset(isolate, render.value());
  context_used_ = false;
  return {};
}

bool Engine::Impl::GuardFoundLeftovers() {
  UseStackOfThisThread();
  v8::Isolate* isolate = isolate_.get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);
  // The periodic scan (~250 µs) was 2.8% of a small render's time at every 1000th render; no
  // sooner than 50 ms after the last (options_.full_scan_interval), it costs fast renders 0.5%
  // at most.
  ++renders_since_scan_;
  bool scan = false;
  if (renders_since_scan_ >= ContextGuard::kFullScanEvery) {
    auto now = std::chrono::steady_clock::now();
    scan = !last_scan_ || now - *last_scan_ >= options_.full_scan_interval;
  }
  const ContextGuard::Check check = guard_.QuickCheck(isolate, context);
  if (check == ContextGuard::Check::kClean && !scan) return false;
  renders_since_scan_ = 0;
  last_scan_ = std::chrono::steady_clock::now();
  std::vector<std::string> found = guard_.FullScan(isolate, context);
  // A global added and deleted again within the render leaves nothing: the scan (which sees all
  // the quick check does, and more) says so, and the context stays.
  if (found.empty() && check != ContextGuard::Check::kChanged) return false;
  // The quick check saw a change that the scan cannot name (it compares the same state).
  if (found.empty()) found.push_back("a builtin or global (changed, then the scan saw none)");
  for (std::string& name : found) left_behind_.push_back(std::move(name));
  return true;
}

ipc::Result<void> Engine::Impl::PrepareNextRender() {
  if (young_tidy_.render_pending() && !poisoned_) {
    UseStackOfThisThread();
    v8::Isolate::Scope isolate_scope(isolate_.get());
    young_tidy_.AfterRender(isolate_.get());
  }
  if (buffers_refused_ && !poisoned_) {
    // The buffers of a render that met the budget are garbage now but may wait for a GC for a
    // long time, holding the budget (and resident memory) that the next render needs.
    buffers_refused_ = false;
    UseStackOfThisThread();
    v8::Isolate::Scope isolate_scope(isolate_.get());
    isolate_->LowMemoryNotification();
    native_memory_.Collected();
  } else if (!poisoned_ && native_memory_.Due()) {
    // Memory V8 does not count grew (native_memory_watch.h). Moderate pressure starts an
    // incremental, mostly concurrent mark-sweep that finishes during the next renders, so no
    // request waits for a whole stop-the-world GC here.
    UseStackOfThisThread();
    v8::Isolate::Scope isolate_scope(isolate_.get());
    isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kModerate);
    native_memory_.Collected();
  }
  if (options_.isolation == Isolation::kShared || !context_used_ || poisoned_) return {};
  if (options_.isolation == Isolation::kGuarded) {
    context_used_ = false;
    if (!GuardFoundLeftovers()) return {};
    ++context_resets_;
  }
  std::vector<ipc::ConsoleLine> ignored;  // the bundle's load-time output was kept the first time
  ipc::Result<void> made = MakeContext(&ignored);
  // A bundle that loaded once but not now (its load-time code is not deterministic, or the heap is
  // full) leaves no context to render in: the engine must be replaced.
  if (!made.ok()) poisoned_ = true;
  return made;
}

ipc::Result<RenderOutput> Engine::Impl::Render(const RenderInput& input,
                                               std::vector<ipc::ConsoleLine>* console) {
  if (poisoned_) {
    return ipc::MakeError(ErrorCode::kOutOfMemory,
                          "this engine reached its heap limit earlier and must be replaced");
  }
  if (ipc::Result<void> prepared = PrepareNextRender(); !prepared.ok()) {
    return ipc::MakeError(heap_limit_hit_ ? ErrorCode::kOutOfMemory : ErrorCode::kInternal,
                          "no fresh context for this render: " + prepared.error().message);
  }
  context_used_ = true;
  UseStackOfThisThread();
  v8::Isolate* isolate = isolate_.get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);

  state_.console.Begin(console);
  ClearRejections(&state_);
  allocator_->ClearRefused();
  young_tidy_.RenderStarts(isolate);
  ipc::Result<RenderOutput> result =
      CallRender(isolate, context, render_.Get(isolate), input, &state_);
  state_.console.End();

  if (isolate->IsExecutionTerminating() || heap_limit_hit_ || state_.interrupt.raised()) {
    isolate->CancelTerminateExecution();
    DropPendingTimers(isolate, context, &state_);
  }
  if (heap_limit_hit_) {
    ClearRejections(&state_);
    last_unhandled_rejections_.clear();
    return ipc::MakeError(ErrorCode::kOutOfMemory, "render failed: " + HeapLimitMessage());
  }
  last_unhandled_rejections_ = TakeUnhandledRejections(isolate, &state_);
  if (console != nullptr) {
    for (const std::string& text : last_unhandled_rejections_) {
      console->push_back({"error", "unhandled promise rejection: " + text});
    }
  }
  if (!result.ok() && !result.error().stack.empty()) {
    ipc::Error error = result.error();
    error.stack = stack_mapper_.Map(error.stack);
    result = std::move(error);
  }
  if (allocator_->refused()) {
    buffers_refused_ = true;
    if (!result.ok() && result.error().code == ErrorCode::kJsError) {
      ipc::Error error = result.error();
      error.message += BufferLimitNote();
      return error;
    }
  }
  return result;
}

void Engine::Impl::Interrupt() {
  // The flag first: the loop checks it after waking, and TerminateExecution alone would not wake
  // it from a wait for a timer.
  state_.interrupt.Raise();
  isolate_->TerminateExecution();
}

void Engine::Impl::ClearInterrupt() {
  v8::Isolate* isolate = isolate_.get();
  // Also clears a termination V8 has been asked for but not yet acted on (no JS ran since).
  isolate->CancelTerminateExecution();
  if (!state_.interrupt.raised()) return;
  state_.interrupt.Clear();
  UseStackOfThisThread();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = context_.Get(isolate);
  v8::Context::Scope context_scope(context);
  DropPendingTimers(isolate, context, &state_);
}

std::size_t Engine::Impl::heap_used() const {
  // Every reply carries it, and GetHeapStatistics visits every space (2.5% of a worker's samples
  // under small renders): read at most once a millisecond, as NativeMemoryWatch reads malloc.
  auto now = std::chrono::steady_clock::now();
  if (heap_used_read_ == std::chrono::steady_clock::time_point() ||
      now - heap_used_read_ >= kHeapUsedInterval) {
    v8::HeapStatistics stats;
    isolate_->GetHeapStatistics(&stats);
    heap_used_ = stats.used_heap_size();
    heap_used_read_ = now;
  }
  return heap_used_;
}

std::optional<Isolation> ParseIsolation(std::string_view name) {
  if (name == "guarded") return Isolation::kGuarded;
  if (name == "fresh") return Isolation::kFresh;
  if (name == "shared") return Isolation::kShared;
  return std::nullopt;
}

std::string_view IsolationName(Isolation isolation) {
  switch (isolation) {
    case Isolation::kGuarded: return "guarded";
    case Isolation::kFresh: return "fresh";
    case Isolation::kShared: return "shared";
  }
  return "guarded";
}

std::uint64_t ContextGuardFullScanEvery() { return ContextGuard::kFullScanEvery; }
std::chrono::milliseconds ContextGuardFullScanMinInterval() {
  return ContextGuard::kFullScanMinInterval;
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

ipc::Result<void> Engine::PrepareNextRender() { return impl_->PrepareNextRender(); }
std::uint64_t Engine::young_generation_tidies() const { return impl_->young_generation_tidies(); }
bool Engine::poisoned() const { return impl_->poisoned(); }
std::uint64_t Engine::context_resets() const { return impl_->context_resets(); }
std::vector<std::string> Engine::TakeLeftBehind() { return impl_->TakeLeftBehind(); }
void Engine::Interrupt() { impl_->Interrupt(); }
void Engine::ClearInterrupt() { impl_->ClearInterrupt(); }
std::size_t Engine::heap_used() const { return impl_->heap_used(); }
const std::vector<std::string>& Engine::last_unhandled_rejections() const {
  return impl_->last_unhandled_rejections();
}

std::uint64_t Engine::source_maps_read() const { return impl_->source_maps_read(); }
ipc::Result<void> Engine::WarmUpLibraries() { return impl_->WarmUpLibraries(); }
std::vector<std::string> Engine::TakeSourceMapWarnings() { return impl_->TakeSourceMapWarnings(); }

const std::vector<ipc::ConsoleLine>& Engine::startup_console() const {
  return impl_->startup_console();
}

}  // namespace ssrd::isolates
