// Loads the bundle file into a context and finds its render function.
//
// ES module or classic script, by file name:
//   *.mjs          ES module; `render` must be a named export.
//   *.cjs          classic script; it must set globalThis.render.
//   anything else  compiled as a classic script first; if that is a SyntaxError (import/export
//                  statements are one), compiled as an ES module. When both fail, the module's
//                  error is reported if the script's error was about import/export syntax,
//                  otherwise the script's.
// Modules may import other files by relative specifier ("./x.mjs", "../y.js"), resolved from the
// importing module's directory and cached by absolute path, so each file is evaluated once. Bare
// specifiers ("react", "node:fs") are refused: the bundle must include its dependencies. The
// exception is the modules a worker provides: node:async_hooks (or async_hooks), whose
// AsyncLocalStorage is the runtime's global one (runtime_globals.h).
// import.meta.url is "file://" + path.
//
// Dynamic import() (dynamic_import.h) loads files inside the bundle's directory (root()) through
// the same graph, so a file imported both ways is one module instance. It rejects, naming the
// specifier and why, a file outside that directory, a URL, a node: specifier and a bare name:
//   "cannot import '../x.mjs' from /b/e.mjs: /x.mjs is outside the bundle's directory /b"
//   "cannot import 'node:fs' from /b/e.mjs: node: modules are not available in ssrd workers (only node:async_hooks is)"
//   "cannot import 'https://x/y.js' from /b/e.mjs: URLs cannot be imported (renders have no network)"
//   "cannot import 'react' from /b/e.mjs: bare specifiers are not resolved (the bundle must include its dependencies)"
//
// Failure (all kBundleError, one line):
//   "cannot read bundle /b.mjs: No such file or directory"
//   "SyntaxError: Unexpected token ')' at /b.mjs:3"
//   "cannot import './x.mjs' from /b.mjs: cannot read /x.mjs: No such file or directory"
//   "bundle /b.mjs imports 'react': only relative imports are supported"
//   "Error: boom at /b.mjs:7"  (the top-level code threw or its top-level await rejected)
//   "bundle /b.mjs does not export a render function"
//
// One ModuleGraph per context, owned by the engine and outliving the context; V8 finds it
// through the context's embedder data. Caller holds a HandleScope and is inside the context.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <v8.h>

#include "ipc/error.h"
#include "isolates/runtime_state.h"
#include "isolates/source_files.h"

namespace ssrd::isolates {

class ModuleGraph {
 public:
  // Files are read through `files` (source_files.h); null: from disk.
  explicit ModuleGraph(std::shared_ptr<const SourceFiles> files = nullptr)
      : files_(files ? std::move(files) : DiskFiles()) {}
  const SourceFiles& files() const { return *files_; }

  // Reads, compiles and links the module at absolute `path` and everything it imports.
  ipc::Result<v8::Local<v8::Module>> Load(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                          const std::string& path);
  // The same for a module whose source is given, named `path` (imports resolve from its folder).
  ipc::Result<v8::Local<v8::Module>> LoadSource(v8::Isolate* isolate,
                                                v8::Local<v8::Context> context,
                                                const std::string& path, const std::string& source);
  // The path a module was loaded from, or "" for a module this graph did not load.
  std::string PathOf(v8::Local<v8::Module> module) const;
  // Every file read from disk into this graph, by absolute path, with the ipc::Digest digest of the
  // bytes that were compiled: what a snapshot of it depends on.
  const std::map<std::string, std::uint64_t>& source_digests() const { return source_digests_; }
  // The module `specifier` names when imported from `referrer`; empty if not loaded.
  v8::MaybeLocal<v8::Module> Find(v8::Isolate* isolate, v8::Local<v8::Module> referrer,
                                  const std::string& specifier) const;

  // The directory dynamic import() may load from: the bundle's own (set by LoadBundle, or from a
  // snapshot by RestoreModulesFromSnapshot). "" until then, and import() then refuses everything.
  const std::string& root() const { return root_; }
  void set_root(std::string root) { root_ = std::move(root); }
  // For import(): checks `specifier` as the header comment says, resolved from the file
  // `referrer` ("" or unknown: from root()), then loads and instantiates the module (or returns
  // the one already loaded). kBundleError with the one-line reason on refusal or failure.
  ipc::Result<v8::Local<v8::Module>> LoadDynamic(v8::Isolate* isolate,
                                                 v8::Local<v8::Context> context,
                                                 const std::string& referrer,
                                                 const std::string& specifier);
  // Every module in the graph, with its path (for a snapshot: module_snapshot.h).
  std::vector<std::pair<std::string, v8::Local<v8::Module>>> Modules(v8::Isolate* isolate) const;
  // Enters `module`, which came with a context made from a snapshot, as the one at `path`.
  void Adopt(v8::Isolate* isolate, const std::string& path, v8::Local<v8::Module> module);

 private:
  // A module the worker provides (node:async_hooks), kept under its "node:" name.
  ipc::Result<v8::Local<v8::Module>> LoadBuiltin(v8::Isolate* isolate,
                                                 v8::Local<v8::Context> context,
                                                 const std::string& specifier);

  std::shared_ptr<const SourceFiles> files_;
  std::map<std::string, v8::Global<v8::Module>> by_path_;
  std::unordered_multimap<int, std::string> path_by_hash_;
  std::map<std::string, std::uint64_t> source_digests_;
  std::string root_;
};

// The graph attached to `context` (AttachModuleGraph), or null.
ModuleGraph* AttachedModuleGraph(v8::Local<v8::Context> context);

// Associates `graph` with `context` and installs the isolate's import.meta and import() hooks.
void AttachModuleGraph(v8::Isolate* isolate, v8::Local<v8::Context> context, ModuleGraph* graph);

// Loads and evaluates the bundle (running its top-level await, if any, to completion with the
// event loop) and returns its render function.
ipc::Result<v8::Local<v8::Function>> LoadBundle(v8::Isolate* isolate,
                                                v8::Local<v8::Context> context,
                                                const std::string& path, ModuleGraph* graph,
                                                RuntimeState* state);

}  // namespace ssrd::isolates
