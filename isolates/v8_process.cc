#include "isolates/v8_process.h"

#include <memory>
#include <mutex>

#include <libplatform/libplatform.h>
#include <v8.h>

namespace ssrd::isolates {
namespace {

std::once_flag g_init_once;
std::unique_ptr<v8::Platform> g_platform;

void InitializeOnce() {
  // Debian's libnode is linked against the system ICU (libicu72) with its full data built in,
  // so this finds no data file to load and Intl works with every locale.
  v8::V8::InitializeICUDefaultLocation("");
  // Two worker threads: each worker process holds one isolate, and the machines run several
  // workers; V8 uses them for concurrent GC and compilation only.
  g_platform = v8::platform::NewDefaultPlatform(2);
  v8::V8::InitializePlatform(g_platform.get());
  v8::V8::Initialize();
}

}  // namespace

void EnsureV8Initialized() { std::call_once(g_init_once, InitializeOnce); }

v8::Platform* V8Platform() { return g_platform.get(); }

std::string_view V8Version() { return v8::V8::GetVersion(); }

}  // namespace ssrd::isolates
