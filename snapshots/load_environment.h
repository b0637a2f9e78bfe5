// What a bundle's load-time code sees besides its own files: the inputs that can change what
// evaluating it computes, and so what a startup snapshot freezes (docs/operations.md, "What a
// snapshot freezes"). The snapshot's cache key covers all of them (snapshot_file.h), so that a
// worker is never started from a snapshot made under another time zone, locale, ICU or V8 flags.
//
// Pure C++ apart from ICU, which the worker's V8 uses for dates, time zones and Intl, and which
// this asks directly (the supervisor never links V8): any thread; cheap (no file is read).
#pragma once

#include <string>
#include <string_view>

namespace ssrd::snapshots {

// The V8 flags `ssrd-worker --build-snapshot` sets before it evaluates the bundle (besides
// SSRD_V8_FLAGS, which every worker and the builder take from the environment).
inline constexpr std::string_view kBuilderV8Flags = "--no-lazy";

// One "name=value" line each, in a fixed order:
//   the environment variables that reach V8 and ICU, where set: TZ, LANG, LANGUAGE, every LC_*,
//   ICU_DATA, ICU_TIMEZONE_FILES_DIR, SSRD_V8_FLAGS;
//   icu=VERSION, icu_data=VERSION, icu_tz=VERSION (ICU's own time-zone rules, e.g. 2022e);
//   host_zone=ID, the zone ICU resolves for this host (TZ, or /etc/localtime when TZ is unset);
//   builder_flags=kBuilderV8Flags.
std::string LoadEnvironment();

}  // namespace ssrd::snapshots
