// Makes the libraries under V8 do, before a worker's sandbox closes, the file-system probing they
// otherwise do lazily on first use (worker/sandbox.h).
//
// ICU looks for the host's time zone (TZ, then readlink("/etc/localtime")) and for time-zone data
// overrides (stat() of /usr/share/zoneinfo-icu/…) the first time a date is formatted, then keeps
// what it found. Under the seccomp filter those calls fail with EPERM, and ICU would settle on
// "Etc/Unknown" and the built-in data: dates would silently come out in the wrong zone. So a
// script formats dates in the default zone and in a named zone before the filter is installed. Zone and locale data themselves are
// compiled into libicudata (a mapped library), so zones and locales not named here still work
// afterwards; tests/worker/sandbox_test.cc checks that against an unsandboxed worker.
//
// Runs in `context` inside a function: it defines nothing and leaves nothing on the global object.
// Caller holds a HandleScope and has entered the isolate; the context need not be entered.
#pragma once

#include <v8.h>

#include "ipc/error.h"

namespace ssrd::isolates {

ipc::Result<void> WarmUpLazyLibraries(v8::Isolate* isolate, v8::Local<v8::Context> context);

}  // namespace ssrd::isolates
