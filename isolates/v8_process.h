// Process-wide V8 set-up: the platform, ICU and V8::Initialize, done once per process, on first
// use, by whichever thread gets there first (std::call_once). V8 is never torn down: workers exit
// with their process, and V8 cannot be initialised again after disposal.
//
// The supervisor must never call this (design: it never links V8); workers call it after
// fork+exec, so no V8 thread exists across a fork.
#pragma once

#include <string_view>

namespace v8 {
class Isolate;
class Platform;
}

namespace ssrd::isolates {

// Initialises V8 if not done yet. Safe to call from any thread, any number of times.
void EnsureV8Initialized();

// Adds V8 command-line flags (e.g. "--no-opt") for EnsureV8Initialized to set. Process-wide;
// false, and nothing set, once V8 is initialised. Not thread-safe: call it from main() first.
bool SetV8FlagsBeforeInitialization(std::string_view flags);

// libplatform's default platform created by EnsureV8Initialized (for pumping foreground tasks;
// V8 itself is given page_allocating_platform.h's wrapper of it).
v8::Platform* V8Platform();

// The cache V8's heap pages come from (large_page_cache.h), or null when SSRD_PAGE_CACHE_MB=0 or
// V8 is not initialised.
class LargePageCache;
LargePageCache* V8PageCache();

// A scavenge of the isolate's young generation, now (young_generation_tidy.h says why). The
// calling thread must have entered the isolate. It turns V8's process-wide --expose-gc on for the
// duration of the call: a context another thread made meanwhile would get a global gc(). ssrd's
// processes run one engine each; a program running several on several threads shares that risk.
void CollectYoungGeneration(v8::Isolate* isolate);

// The V8 version, e.g. "10.2.154.26-node.26" (does not need V8 initialised).
std::string_view V8Version();

}  // namespace ssrd::isolates
