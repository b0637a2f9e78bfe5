#include "isolates/v8_process.h"

#include <cstdlib>
#include <cstring>

#include <string>
#include <memory>
#include <mutex>

#include <libplatform/libplatform.h>
#include <v8.h>

#include "isolates/page_allocating_platform.h"

namespace ssrd::isolates {
namespace {

std::once_flag g_init_once;
std::unique_ptr<v8::Platform> g_platform;
v8::Platform* g_default_platform = nullptr;  // libplatform's, inside g_platform or g_platform itself
LargePageCache* g_page_cache = nullptr;
std::string g_flags;
bool g_initialized = false;
bool g_gc_exposed = false;  // the flags given (ssrd's or SSRD_V8_FLAGS) asked for --expose-gc

bool AsksForExposedGc(std::string_view flags) {
  return flags.find("--expose-gc") != std::string_view::npos ||
         flags.find("--expose_gc") != std::string_view::npos;
}

// SSRD_PAGE_CACHE_MB (docs/operations.md): what large_page_cache.h may keep; 0 turns it off.
std::size_t PageCacheCapacityFromEnvironment() {
  const char* text = std::getenv("SSRD_PAGE_CACHE_MB");
  if (text == nullptr || *text == '\0') return LargePageCache::kDefaultCapacity;
  char* end = nullptr;
  unsigned long megabytes = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0' || megabytes > 1024) return LargePageCache::kDefaultCapacity;
  return static_cast<std::size_t>(megabytes) << 20;
}

void InitializeOnce() {
  // Debian's libnode is linked against the system ICU (libicu72) with its full data built in,
  // so this finds no data file to load and Intl works with every locale.
  v8::V8::InitializeICUDefaultLocation("");
  if (!g_flags.empty()) v8::V8::SetFlagsFromString(g_flags.c_str(), g_flags.size());
  g_gc_exposed = AsksForExposedGc(g_flags);
  // A diagnostic door (docs/operations.md): e.g. SSRD_V8_FLAGS=--trace-deopt, after ssrd's own.
  if (const char* extra = std::getenv("SSRD_V8_FLAGS"); extra != nullptr && *extra != '\0') {
    v8::V8::SetFlagsFromString(extra, std::strlen(extra));
    g_gc_exposed = g_gc_exposed || AsksForExposedGc(extra);
  }
  // Two worker threads: each worker process holds one isolate, and the machines run several
  // workers; V8 uses them for concurrent GC and compilation only.
  std::unique_ptr<v8::Platform> default_platform = v8::platform::NewDefaultPlatform(2);
  g_default_platform = default_platform.get();
  std::size_t cache_bytes = PageCacheCapacityFromEnvironment();
  if (cache_bytes > 0 && default_platform->GetPageAllocator() != nullptr) {
    auto platform = std::make_unique<PageAllocatingPlatform>(std::move(default_platform),
                                                             cache_bytes);
    g_page_cache = &platform->page_cache();
    g_platform = std::move(platform);
  } else {
    g_platform = std::move(default_platform);
  }
  v8::V8::InitializePlatform(g_platform.get());
  v8::V8::Initialize();
  g_initialized = true;
}

}  // namespace

void EnsureV8Initialized() { std::call_once(g_init_once, InitializeOnce); }

bool SetV8FlagsBeforeInitialization(std::string_view flags) {
  if (g_initialized) return false;
  if (!g_flags.empty()) g_flags += ' ';
  g_flags += flags;
  return true;
}

void CollectYoungGeneration(v8::Isolate* isolate) {
  // V8 10.2 offers a scavenge on request only to --expose-gc, which also gives every context made
  // while it is on a global gc(): it is on just for this call, unless the flags given asked for it.
  static constexpr std::string_view kOn = "--expose-gc";
  static constexpr std::string_view kOff = "--no-expose-gc";
  if (!g_gc_exposed) v8::V8::SetFlagsFromString(kOn.data(), kOn.size());
  isolate->RequestGarbageCollectionForTesting(v8::Isolate::kMinorGarbageCollection);
  if (!g_gc_exposed) v8::V8::SetFlagsFromString(kOff.data(), kOff.size());
}

v8::Platform* V8Platform() { return g_default_platform; }

LargePageCache* V8PageCache() { return g_page_cache; }

std::string_view V8Version() { return v8::V8::GetVersion(); }

}  // namespace ssrd::isolates
