// The render engine: one V8 isolate holding one loaded bundle, rendering one request at a time.
//
// The bundle contract: the bundle provides `render(request)` where request is
// {component, props, url}; it returns a string, {html, head?, status?, data?}, or a promise of
// either. The html may also be a stream (a ReadableStream or an async iterable of strings or
// Uint8Arrays), given as `html` or as the result itself: it is read to its end, and head,
// status and data are read after it ends (render_stream.h).
// Which files are ES modules and which are classic scripts is decided by module_loader.h.
//
// Contexts (EngineOptions::isolation): kGuarded (the default) renders in one warm context and,
// after each render, checks with a ContextGuard (context_guard.h) that the render left nothing on
// the global object or the builtins; if it did, the context is replaced before the next render
// (context_resets() counts it, TakeLeftBehind() names what was found). kFresh makes a context per
// render, so nothing a render leaves in global or module state reaches the next. kShared renders
// all in one context with no check. A context is made from the startup snapshot when
// EngineOptions::snapshot_blob holds one, else by evaluating the bundle again.
// Create() fails with kBundleError "the startup snapshot is corrupt" for a blob V8 would refuse.
//
// Failure: Create() returns kBundleError with a one-line message when the bundle cannot be read,
// does not compile, throws while loading, or provides no render function. Render() returns
// kJsError (message + JS stack) when render throws or rejects, kNotFound when the thrown value has
// code === "not_found", kBadRequest for props that are not valid MessagePack or nest too deeply,
// kOutOfMemory when the render hit the heap limit, kTimeout when its promise is pending with
// nothing left that could settle it, kInternal "render was terminated" when Interrupt() stopped
// it. After any error but kOutOfMemory the engine stays usable; after kOutOfMemory poisoned() is
// true and the caller should replace the engine.
//
// Memory: heap_limit_mb bounds the V8 heap and, separately, the memory behind ArrayBuffers and
// typed arrays (budget_allocator.h): an allocation past it throws a RangeError in JS, and a render
// that fails with it gets kJsError "RangeError: Array buffer allocation failed (ArrayBuffer memory
// is limited to the heap limit of N MB)"; the engine collects that garbage before the next render.
//
// Source maps: the stack of a render error shows the bundle's original files, lines and columns
// where the bundle came with source maps, each frame keeping V8's own position beside the
// original one in brackets (stack_mapper.h). A map is read at the first error that needs it, once
// per engine; one that cannot be used leaves its positions as they were and is named once by
// TakeSourceMapWarnings().
//
// Promise rejections no handler took by the end of a render are appended to its console as
// ("error", "unhandled promise rejection: Error: text") lines, whatever the render's outcome,
// and last_unhandled_rejections() holds their texts until the next Render.
//
// Threads: an Engine is not thread-safe; it may be created and used on any thread, but by one
// thread at a time (its owner), except Interrupt(), which any thread may call at any time while
// the engine exists. Several engines may live in one process (each owns its isolate). V8 itself is
// initialised once per process on first use (v8_process.h).
//
// This header does not include <v8.h>: consumers of the engine never compile against V8.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"
#include "ipc/message.h"
#include "isolates/source_files.h"

namespace ssrd::isolates {

// What a render may leave behind for the next one (docs/operations.md, "Isolation").
enum class Isolation { kGuarded, kFresh, kShared };
// "guarded", "fresh", "shared"; nullopt for anything else.
std::optional<Isolation> ParseIsolation(std::string_view name);
std::string_view IsolationName(Isolation isolation);
// kGuarded: the guard also runs its full scan after this many renders, and by default no sooner
// than this interval after the last scan (context_guard.h).
std::uint64_t ContextGuardFullScanEvery();
std::chrono::milliseconds ContextGuardFullScanMinInterval();

struct EngineOptions {
  std::string bundle_path;
  std::size_t heap_limit_mb = 512;  // V8 old+young generation limit of this isolate
  std::string node_env = "production";  // globalThis.process.env.NODE_ENV
  // A startup snapshot of this bundle (snapshots/snapshot_builder.h), or "" to evaluate the bundle
  // instead. With one, a context costs a deserialisation, not a bundle evaluation.
  std::string snapshot_blob;
  Isolation isolation = Isolation::kGuarded;
  // kGuarded: the full scan runs no sooner than this after the last one (context_guard.h).
  std::chrono::milliseconds full_scan_interval = ContextGuardFullScanMinInterval();
  // Where the bundle's files are read (imports, source maps): source_files.h. Null: from disk.
  // A sandboxed worker passes the directory it preloaded, and the engine then makes no
  // file-system call of its own.
  std::shared_ptr<const SourceFiles> files;
};

// Receives the html of a streamed render while it is produced (RenderInput::stream). Write gets
// whole UTF-8 text, in order, in pieces of any size: the engine gathers small pieces and passes
// them on when it has 16 KiB or more, and whenever the render waits for a timer (so the bytes
// before a Suspense boundary leave before its data arrives). It runs on the engine's owner
// thread, inside Render; it must not call back into the engine.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void Write(std::string_view html) = 0;
};

struct RenderInput {
  std::string_view component;
  std::string_view props_msgpack;  // one MessagePack value (normally a map); empty = {}
  std::string_view url;
  // Also produce RenderOutput::hydration_json: JSON.stringify of {component, props, data?}, where
  // props are the request's props as they were before render ran and data is the `data` property
  // of an object render returned (left out when undefined). A value JSON.stringify refuses
  // (BigInt, a cycle, a throwing toJSON) fails the render with kJsError.
  bool hydration = false;
  // Where the html of a render that returns a stream goes as it is produced (see StreamSink);
  // RenderOutput::html then holds only what was not yet passed on. Null: a stream is read to its
  // end and its html returned whole, as for a string.
  StreamSink* stream = nullptr;
  // The request's CSP nonce ("" = none), given to render as request.nonce: a streaming renderer
  // writes inline <script>s (React's late Suspense boundaries) that a nonce CSP must allow.
  std::string_view nonce = {};
};

struct RenderOutput {
  std::string html;  // UTF-8
  std::string head;  // UTF-8; "" when the bundle returned none
  std::uint32_t status = 200;
  std::string hydration_json;  // UTF-8 JSON, not yet escaped for HTML; "" unless asked for
};

class Engine {
 public:
  // Creates the isolate, installs the runtime globals and loads the bundle. Console output of
  // the bundle's top-level code is kept in startup_console().
  static ipc::Result<std::unique_ptr<Engine>> Create(const EngineOptions& options);
  ~Engine();

  // Runs render(request) to completion: microtasks and the runtime's timers run until the
  // returned promise settles. Timers still pending when it settles are cancelled. Console lines
  // written during the call are appended to *console when it is non-null.
  ipc::Result<RenderOutput> Render(const RenderInput& input,
                                   std::vector<ipc::ConsoleLine>* console);

  // Owner thread: readies the context for the next render if the last render used it, so that a
  // caller can take that cost after its reply is written (Render does it otherwise): kFresh makes
  // a new context; kGuarded runs the guard's check and replaces the context when a render left
  // something behind. A failure poisons the engine (the bundle no longer loads, or the heap is
  // full).
  ipc::Result<void> PrepareNextRender();

  // kGuarded: contexts replaced because a render left something behind, since Create().
  std::uint64_t context_resets() const;
  // kGuarded: what the guard found at the resets since the last call, one entry per property
  // (e.g. "globalThis.leak (added)"); the caller logs it.
  std::vector<std::string> TakeLeftBehind();

  // True once a render hit the heap limit: the isolate may be in a bad state; replace the engine.
  bool poisoned() const;

  // Any thread: stops the JS running in this engine (v8::Isolate::TerminateExecution) and wakes
  // the event loop if it waits for a timer, so the Render in progress returns kInternal "render
  // was terminated" promptly. The request stays pending until ClearInterrupt(): one that comes
  // when no Render runs stops the next Render before it starts. So a caller that interrupts must,
  // once the render it meant to stop has returned, first make sure no further Interrupt() for
  // that render can come, then call ClearInterrupt().
  void Interrupt();
  // Owner thread, between renders: forgets a pending Interrupt() and whatever the stopped render
  // left behind (pending timers). The engine is then usable as before.
  void ClearInterrupt();

  // Scavenges of the young generation done between renders rather than inside them
  // (young_generation_tidy.h), since Create().
  std::uint64_t young_generation_tidies() const;

  // Owner thread: the isolate's used heap in bytes (v8::HeapStatistics::used_heap_size), as read
  // at most 1 ms ago.
  std::size_t heap_used() const;

  // Owner thread: texts of the promise rejections the last Render left unhandled ("Error: text").
  const std::vector<std::string>& last_unhandled_rejections() const;

  const std::vector<ipc::ConsoleLine>& startup_console() const;

  // Owner thread, before a sandbox closes: has ICU and the C library probe the system now rather
  // than in a render (library_warmup.h). Leaves nothing in the context.
  ipc::Result<void> WarmUpLibraries();

  // Owner thread: source maps read and parsed since Create() (each at most once), for tests.
  std::uint64_t source_maps_read() const;
  // Owner thread: why source maps could not be used, each said once; the caller logs them.
  std::vector<std::string> TakeSourceMapWarnings();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  class Impl;  // engine.cc; holds every V8 object

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssrd::isolates
