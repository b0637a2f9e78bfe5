#include "isolates/module_loader.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ipc/digest.h"
#include "isolates/dynamic_import.h"
#include "isolates/event_loop.h"
#include "isolates/js_errors.h"
#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

using ipc::ErrorCode;

// Context embedder-data slot holding the ModuleGraph*. Low slots are free: no Node here.
constexpr int kModuleGraphSlot = 2;

ipc::Error BundleError(std::string message) {
  return ipc::MakeError(ErrorCode::kBundleError, std::move(message));
}

// Returns "" on success, else strerror's text.
std::string ReadFile(const SourceFiles& files, const std::string& path, std::string* out) {
  ipc::Result<std::string> read = files.Read(path);
  if (!read.ok()) return read.error().message;
  *out = std::move(read).value();
  return {};
}

bool IsRelative(const std::string& specifier) {
  return specifier.rfind("./", 0) == 0 || specifier.rfind("../", 0) == 0;
}

std::string Resolve(const std::string& referrer_path, const std::string& specifier) {
  std::filesystem::path base = std::filesystem::path(referrer_path).parent_path();
  return (base / specifier).lexically_normal().string();
}

// The node: modules a worker provides, by specifier (with or without "node:"): their source, or
// nullptr. Each is a view of what the runtime prelude already put on the global object.
const char* BuiltinModuleSource(const std::string& specifier) {
  if (specifier == "node:async_hooks" || specifier == "async_hooks") {
    return "const AsyncLocalStorage = globalThis.AsyncLocalStorage;\n"
           "export { AsyncLocalStorage };\n"
           "export default { AsyncLocalStorage };\n";
  }
  return nullptr;
}

// The one path a builtin module is kept under, whichever way it was named.
std::string BuiltinPath(const std::string& specifier) {
  return specifier.rfind("node:", 0) == 0 ? specifier : "node:" + specifier;
}

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// "scheme:" as a URL begins (RFC 3986): a letter, then letters, digits, '+', '-' or '.'.
bool HasUrlScheme(const std::string& specifier) {
  std::size_t colon = specifier.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(specifier[0]))) {
    return false;
  }
  for (std::size_t i = 1; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(specifier[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Lexically, after normalisation: a symlink inside the directory is followed like any file, as the
// static loader does.
bool IsInside(const std::string& path, const std::string& directory) {
  return path.size() > directory.size() + 1 && StartsWith(path, directory) &&
         path[directory.size()] == '/';
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

v8::MaybeLocal<v8::Module> ResolveModule(v8::Local<v8::Context> context,
                                         v8::Local<v8::String> specifier,
                                         v8::Local<v8::FixedArray> /*import_assertions*/,
                                         v8::Local<v8::Module> referrer) {
  v8::Isolate* isolate = context->GetIsolate();
  auto* graph =
      static_cast<ModuleGraph*>(context->GetAlignedPointerFromEmbedderData(kModuleGraphSlot));
  std::string name = ToUtf8(isolate, specifier);
  v8::Local<v8::Module> module;
  if (graph == nullptr || !graph->Find(isolate, referrer, name).ToLocal(&module)) {
    // Load() walked the whole graph first, so this is only reached for a graph it never saw.
    isolate->ThrowException(
        v8::Exception::Error(Literal(isolate, "cannot resolve import '" + name + "'")));
    return {};
  }
  return module;
}

void InitializeImportMeta(v8::Local<v8::Context> context, v8::Local<v8::Module> module,
                          v8::Local<v8::Object> meta) {
  v8::Isolate* isolate = context->GetIsolate();
  auto* graph =
      static_cast<ModuleGraph*>(context->GetAlignedPointerFromEmbedderData(kModuleGraphSlot));
  if (graph == nullptr) return;
  v8::Local<v8::String> url;
  if (NewUtf8(isolate, "file://" + graph->PathOf(module)).ToLocal(&url)) {
    v8::Maybe<bool> ignored = meta->CreateDataProperty(context, Literal(isolate, "url"), url);
    (void)ignored;
  }
}

// Compiles `source` as a classic script or a module; on a compile error returns the one-line
// description in *error.
v8::MaybeLocal<v8::Script> CompileScript(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                         const std::string& path, const std::string& source,
                                         std::string* error) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> text;
  if (!NewUtf8(isolate, source).ToLocal(&text)) {
    *error = "bundle " + path + " is too large";
    return {};
  }
  v8::ScriptOrigin origin(isolate, Literal(isolate, path));
  v8::ScriptCompiler::Source script_source(text, origin);
  v8::Local<v8::Script> script;
  if (!v8::ScriptCompiler::Compile(context, &script_source).ToLocal(&script)) {
    *error = DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message());
    return {};
  }
  return script;
}

v8::MaybeLocal<v8::Module> CompileModule(v8::Isolate* isolate, const std::string& path,
                                         const std::string& source, std::string* error) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> text;
  if (!NewUtf8(isolate, source).ToLocal(&text)) {
    *error = "module " + path + " is too large";
    return {};
  }
  v8::ScriptOrigin origin(isolate, Literal(isolate, path), 0, 0, false, -1, v8::Local<v8::Value>(),
                          false, false, /*is_module=*/true);
  v8::ScriptCompiler::Source module_source(text, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate, &module_source).ToLocal(&module)) {
    *error = DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message());
    return {};
  }
  return module;
}

// Waits for a top-level await (the promise Evaluate returned) and leaves no timer behind.
ipc::Result<void> FinishEvaluation(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                   const std::string& path, v8::Local<v8::Value> completion,
                                   RuntimeState* state) {
  ipc::Result<void> result;
  if (completion->IsPromise()) {
    v8::Local<v8::Promise> promise = completion.As<v8::Promise>();
    v8::Local<v8::Value> exception;
    switch (RunUntilSettled(isolate, context, promise, state, &exception)) {
      case LoopStatus::kSettled:
        if (promise->State() == v8::Promise::kRejected) {
          result = BundleError(DescribeLoadFailure(isolate, promise->Result(), {}));
        }
        break;
      case LoopStatus::kStuck:
        result = BundleError("bundle " + path + ": top-level await never settled");
        break;
      case LoopStatus::kThrew:
        result = BundleError(DescribeLoadFailure(isolate, exception, {}));
        break;
      case LoopStatus::kTerminated:
        result = BundleError("bundle " + path + ": loading was terminated (heap limit?)");
        break;
    }
  }
  DropPendingTimers(isolate, context, state);
  return result;
}

ipc::Result<v8::Local<v8::Function>> RenderFunction(v8::Isolate* isolate,
                                                    v8::Local<v8::Context> context,
                                                    const std::string& path,
                                                    v8::Local<v8::Object> holder,
                                                    v8::Local<v8::Value> key) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> render;
  if (!holder->Get(context, key).ToLocal(&render) || !render->IsFunction()) {
    return BundleError("bundle " + path + " does not export a render function");
  }
  return render.As<v8::Function>();
}

// Where the entry module leaves the bundle's render export for LoadModuleBundle to pick up.
v8::Local<v8::Symbol> EntryKey(v8::Isolate* isolate) {
  return v8::Symbol::For(isolate, Literal(isolate, "ssrd.entry"));
}

// A JS string literal naming `file` relative to its own directory.
std::string RelativeSpecifier(const std::string& path) {
  std::string literal = "\"./";
  for (char c : std::filesystem::path(path).filename().string()) {
    if (c == '"' || c == '\\') literal += '\\';
    if (c == '\n') {
      literal += "\\n";
      continue;
    }
    literal += c;
  }
  return literal + "\"";
}

ipc::Result<v8::Local<v8::Function>> LoadModuleBundle(v8::Isolate* isolate,
                                                      v8::Local<v8::Context> context,
                                                      const std::string& path, ModuleGraph* graph,
                                                      RuntimeState* state) {
  ipc::Result<v8::Local<v8::Module>> loaded = graph->Load(isolate, context, path);
  if (!loaded.ok()) return loaded.error();
  v8::TryCatch try_catch(isolate);
  if (!loaded.value()->InstantiateModule(context, ResolveModule).FromMaybe(false)) {
    return BundleError(DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message()));
  }
  // The bundle is evaluated through an entry module that imports its render export by name,
  // never through Module::GetModuleNamespace: V8 10.2 cannot put a namespace object into a
  // startup snapshot (its export accessors are unknown external references), and the module
  // caches the namespace for good once asked.
  ipc::Result<v8::Local<v8::Module>> entry = graph->LoadSource(
      isolate, context, path + "#ssrd-entry",
      "import { render } from " + RelativeSpecifier(path) +
          ";\nglobalThis[Symbol.for('ssrd.entry')] = render;\n");
  if (!entry.ok()) return entry.error();
  v8::Local<v8::Module> module = entry.value();
  if (!module->InstantiateModule(context, ResolveModule).FromMaybe(false)) {
    return BundleError("bundle " + path + " does not export a render function");
  }
  v8::Local<v8::Value> completion;
  if (!module->Evaluate(context).ToLocal(&completion)) {
    if (try_catch.HasTerminated()) {
      return BundleError("bundle " + path + ": loading was terminated (heap limit?)");
    }
    return BundleError(DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message()));
  }
  ipc::Result<void> finished = FinishEvaluation(isolate, context, path, completion, state);
  if (!finished.ok()) return finished.error();
  if (module->GetStatus() == v8::Module::kErrored) {
    return BundleError(DescribeLoadFailure(isolate, module->GetException(), {}));
  }
  v8::Local<v8::Object> global = context->Global();
  ipc::Result<v8::Local<v8::Function>> render =
      RenderFunction(isolate, context, path, global, EntryKey(isolate));
  v8::Maybe<bool> deleted = global->Delete(context, EntryKey(isolate));
  (void)deleted;
  return render;
}

ipc::Result<v8::Local<v8::Function>> LoadScriptBundle(v8::Isolate* isolate,
                                                      v8::Local<v8::Context> context,
                                                      const std::string& path,
                                                      v8::Local<v8::Script> script,
                                                      RuntimeState* state) {
  v8::TryCatch try_catch(isolate);
  if (script->Run(context).IsEmpty()) {
    if (try_catch.HasTerminated()) {
      return BundleError("bundle " + path + ": loading was terminated (heap limit?)");
    }
    return BundleError(DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message()));
  }
  // Timers the script started have no promise to wait for; they are dropped like a render's.
  DropPendingTimers(isolate, context, state);
  return RenderFunction(isolate, context, path, context->Global(), Literal(isolate, "render"));
}

bool MentionsModuleSyntax(const std::string& error) {
  return error.find("import") != std::string::npos || error.find("export") != std::string::npos;
}

}  // namespace

ipc::Result<v8::Local<v8::Module>> ModuleGraph::Load(v8::Isolate* isolate,
                                                     v8::Local<v8::Context> context,
                                                     const std::string& path) {
  auto cached = by_path_.find(path);
  if (cached != by_path_.end()) return cached->second.Get(isolate);

  std::string source;
  if (std::string read_error = ReadFile(*files_, path, &source); !read_error.empty()) {
    return BundleError("cannot read " + path + ": " + read_error);
  }
  source_digests_[path] = ipc::Digest(source);
  return LoadSource(isolate, context, path, source);
}

ipc::Result<v8::Local<v8::Module>> ModuleGraph::LoadSource(v8::Isolate* isolate,
                                                           v8::Local<v8::Context> context,
                                                           const std::string& path,
                                                           const std::string& source) {
  std::string compile_error;
  v8::Local<v8::Module> module;
  if (!CompileModule(isolate, path, source, &compile_error).ToLocal(&module)) {
    return BundleError(compile_error);
  }
  // Registered before its imports are walked, so that import cycles terminate.
  by_path_.emplace(path, v8::Global<v8::Module>(isolate, module));
  path_by_hash_.emplace(module->GetIdentityHash(), path);

  v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
  for (int i = 0; i < requests->Length(); ++i) {
    v8::Local<v8::ModuleRequest> request = requests->Get(context, i).As<v8::ModuleRequest>();
    std::string specifier = ToUtf8(isolate, request->GetSpecifier());
    if (BuiltinModuleSource(specifier) != nullptr) {
      ipc::Result<v8::Local<v8::Module>> builtin = LoadBuiltin(isolate, context, specifier);
      if (!builtin.ok()) return builtin.error();
      continue;
    }
    if (!IsRelative(specifier)) {
      return BundleError("bundle " + path + " imports '" + specifier +
                         "': only relative imports are supported");
    }
    std::string target = Resolve(path, specifier);
    ipc::Result<v8::Local<v8::Module>> imported = Load(isolate, context, target);
    if (!imported.ok()) {
      const std::string& why = imported.error().message;
      // A file that cannot be read is named from the import that wanted it; a compile error
      // already names its own file and line.
      if (why.rfind("cannot read ", 0) == 0) {
        return BundleError("cannot import '" + specifier + "' from " + path + ": " + why);
      }
      return imported.error();
    }
  }
  return module;
}

ipc::Result<v8::Local<v8::Module>> ModuleGraph::LoadBuiltin(v8::Isolate* isolate,
                                                            v8::Local<v8::Context> context,
                                                            const std::string& specifier) {
  const std::string path = BuiltinPath(specifier);
  auto cached = by_path_.find(path);
  if (cached != by_path_.end()) return cached->second.Get(isolate);
  return LoadSource(isolate, context, path, BuiltinModuleSource(specifier));
}

std::string ModuleGraph::PathOf(v8::Local<v8::Module> module) const {
  auto [begin, end] = path_by_hash_.equal_range(module->GetIdentityHash());
  for (auto it = begin; it != end; ++it) {
    auto found = by_path_.find(it->second);
    if (found != by_path_.end() && found->second == module) return it->second;
  }
  return {};
}

v8::MaybeLocal<v8::Module> ModuleGraph::Find(v8::Isolate* isolate, v8::Local<v8::Module> referrer,
                                             const std::string& specifier) const {
  if (BuiltinModuleSource(specifier) != nullptr) {
    auto builtin = by_path_.find(BuiltinPath(specifier));
    if (builtin == by_path_.end()) return {};
    return builtin->second.Get(isolate);
  }
  std::string referrer_path = PathOf(referrer);
  if (referrer_path.empty() || !IsRelative(specifier)) return {};
  auto found = by_path_.find(Resolve(referrer_path, specifier));
  if (found == by_path_.end()) return {};
  return found->second.Get(isolate);
}

ipc::Result<v8::Local<v8::Module>> ModuleGraph::LoadDynamic(v8::Isolate* isolate,
                                                            v8::Local<v8::Context> context,
                                                            const std::string& referrer,
                                                            const std::string& specifier) {
  const std::string from = referrer.empty() ? root_ : referrer;
  auto refuse = [&](const std::string& why) {
    return BundleError("cannot import '" + specifier + "' from " + from + ": " + why);
  };
  ipc::Result<v8::Local<v8::Module>> loaded = BundleError("");
  if (BuiltinModuleSource(specifier) != nullptr) {
    loaded = LoadBuiltin(isolate, context, specifier);
    if (!loaded.ok()) return loaded.error();
    v8::TryCatch try_catch(isolate);
    if (!loaded.value()->InstantiateModule(context, ResolveModule).FromMaybe(false)) {
      return BundleError(DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message()));
    }
    return loaded;
  }
  if (StartsWith(specifier, "node:")) {
    return refuse("node: modules are not available in ssrd workers (only node:async_hooks is)");
  }
  if (HasUrlScheme(specifier)) return refuse("URLs cannot be imported (renders have no network)");
  if (!IsRelative(specifier) && !StartsWith(specifier, "/")) {
    return refuse("bare specifiers are not resolved (the bundle must include its dependencies)");
  }
  if (root_.empty()) return refuse("this context has no bundle directory");
  // A referrer that is no file of the bundle (code from eval or new Function) imports from the
  // bundle's directory.
  const bool known_referrer = StartsWith(referrer, root_ + "/");
  const std::string target =
      StartsWith(specifier, "/")
          ? std::filesystem::path(specifier).lexically_normal().string()
          : Resolve(known_referrer ? referrer : root_ + "/entry", specifier);
  if (!IsInside(target, root_)) {
    return refuse(target + " is outside the bundle's directory " + root_);
  }
  loaded = Load(isolate, context, target);
  if (!loaded.ok()) {
    const std::string& why = loaded.error().message;
    if (StartsWith(why, "cannot read ")) return refuse(why);
    return loaded.error();
  }
  v8::TryCatch try_catch(isolate);
  if (!loaded.value()->InstantiateModule(context, ResolveModule).FromMaybe(false)) {
    return BundleError(DescribeLoadFailure(isolate, try_catch.Exception(), try_catch.Message()));
  }
  return loaded;
}

std::vector<std::pair<std::string, v8::Local<v8::Module>>> ModuleGraph::Modules(
    v8::Isolate* isolate) const {
  std::vector<std::pair<std::string, v8::Local<v8::Module>>> modules;
  for (const auto& [path, module] : by_path_) modules.emplace_back(path, module.Get(isolate));
  return modules;
}

void ModuleGraph::Adopt(v8::Isolate* isolate, const std::string& path,
                        v8::Local<v8::Module> module) {
  if (by_path_.count(path) != 0) return;
  by_path_.emplace(path, v8::Global<v8::Module>(isolate, module));
  path_by_hash_.emplace(module->GetIdentityHash(), path);
}

ModuleGraph* AttachedModuleGraph(v8::Local<v8::Context> context) {
  return static_cast<ModuleGraph*>(context->GetAlignedPointerFromEmbedderData(kModuleGraphSlot));
}

void AttachModuleGraph(v8::Isolate* isolate, v8::Local<v8::Context> context, ModuleGraph* graph) {
  context->SetAlignedPointerInEmbedderData(kModuleGraphSlot, graph);
  isolate->SetHostInitializeImportMetaObjectCallback(InitializeImportMeta);
  isolate->SetHostImportModuleDynamicallyCallback(ImportModuleDynamically);
}

ipc::Result<v8::Local<v8::Function>> LoadBundle(v8::Isolate* isolate,
                                                v8::Local<v8::Context> context,
                                                const std::string& bundle_path, ModuleGraph* graph,
                                                RuntimeState* state) {
  const std::string path = std::filesystem::absolute(bundle_path).lexically_normal().string();
  graph->set_root(std::filesystem::path(path).parent_path().string());
  std::string source;
  if (std::string read_error = ReadFile(graph->files(), path, &source); !read_error.empty()) {
    return BundleError("cannot read bundle " + path + ": " + read_error);
  }
  if (EndsWith(path, ".mjs")) return LoadModuleBundle(isolate, context, path, graph, state);

  std::string script_error;
  v8::Local<v8::Script> script;
  if (CompileScript(isolate, context, path, source, &script_error).ToLocal(&script)) {
    return LoadScriptBundle(isolate, context, path, script, state);
  }
  if (EndsWith(path, ".cjs")) return BundleError(script_error);
  ipc::Result<v8::Local<v8::Function>> as_module =
      LoadModuleBundle(isolate, context, path, graph, state);
  if (as_module.ok() || MentionsModuleSyntax(script_error)) return as_module;
  return BundleError(script_error);
}

}  // namespace ssrd::isolates
