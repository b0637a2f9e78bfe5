// Makes the libraries under V8 do, before a worker's sandbox closes, the file-system probing they
// otherwise do lazily on first use (worker/sandbox.h).
//
// ICU looks for the host's time zone (TZ, then readlink("/etc/localtime")) the first time a date
// needs it, then keeps what it found. Under the seccomp filter that readlink fails with EPERM,
// and ICU would settle on "Etc/Unknown": dates would silently come out in the wrong zone. So a
// script asks for a local time offset before the filter is installed. ICU's other lazy probes
// (stat() of time-zone override files) find nothing either way; zone and locale data are compiled
// into libicudata (a mapped library), so every zone and locale works afterwards;
// tests/integration/sandbox_test.cc checks that against an unsandboxed worker.
//
// Runs in `context` inside a function: it defines nothing and leaves nothing on the global object.
// Caller holds a HandleScope and has entered the isolate; the context need not be entered.
#pragma once

#include <v8.h>

#include "ipc/error.h"

namespace ssrd::isolates {

ipc::Result<void> WarmUpLazyLibraries(v8::Isolate* isolate, v8::Local<v8::Context> context);

}  // namespace ssrd::isolates
