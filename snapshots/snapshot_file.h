// Pure C++, no V8: the supervisor uses it to find a cached snapshot without starting a builder.
// Snapshot files in the cache directory: DIR/KEY.snap, where KEY (snapshot_key.h) covers the
// bundle's bytes, the V8 version, the runtime's fingerprint, NODE_ENV and everything else the
// bundle's load-time code can see (load_environment.h: time zone, locale variables, ICU's
// versions, V8 flags), so a changed bundle, a V8 upgrade, a new ssrd build or a worker started
// under TZ=Asia/Tokyo simply misses the cache. A bundle of several files is keyed by its entry
// file; the file records every other file the bundle loaded with the digest of the bytes that
// went in, and reading it checks them against the disk: a changed, removed or unreadable file
// makes the snapshot stale (refused), so a changed chunk is never served from an old snapshot.
// A file is an 8-byte magic, the blob's length as 8 bytes little-endian, a 16-hex-digit checksum
// of the rest, the sources' length as 8 bytes, the sources ("DIGEST PATH" lines), then the blob:
// a torn, truncated or corrupted file is refused, never handed to V8 (which would abort).
//
// Failure: kUnavailable with the path and the reason ("No such file or directory", "truncated",
// "checksum mismatch", "not a snapshot file", "stale: /app/chunk.js changed since it was built");
// writing fails with the errno text. Writes are atomic (a temporary file in the
// same directory, renamed), so concurrent builders and readers never see half a file. Any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ipc/error.h"

namespace ssrd::snapshots {

// The cache path for a bundle with these bytes, for this V8 version (isolates::V8Version() in a
// worker, kBuildV8Version in the supervisor), this build's runtime, NODE_ENV, whether the snapshot
// holds the context guard's record (SnapshotHoldsGuard) and this process's LoadEnvironment().
// Workers and the builder inherit the supervisor's environment, so all three name the same file.
std::string SnapshotPath(const std::string& dir, std::string_view bundle_bytes,
                         std::string_view node_env, std::string_view isolation,
                         std::string_view v8_version);
// The same for a given load environment (tests).
std::string SnapshotPathIn(const std::string& dir, std::string_view bundle_bytes,
                           std::string_view node_env, std::string_view isolation,
                           std::string_view v8_version, std::string_view load_environment);

// Whether the snapshot for workers of this --isolation holds the context guard's record
// (isolates/context_guard.h, Prepare): only "guarded" uses it, and a context made per render
// ("fresh") would pay for deserialising it every time (+20% on a small component).
bool SnapshotHoldsGuard(std::string_view isolation);

// The V8 version this tree was built against, read from libnode's headers by CMake, for the
// supervisor, which never links V8 (tests/snapshots checks it equals the runtime's).
extern const std::string_view kBuildV8Version;

// 16 hex digits digesting, at build time, the sources of the runtime a snapshot holds besides the
// bundle (isolates/: the prelude, the web APIs, the native functions, whose order V8 refers to by
// index) and of the snapshot builder. A snapshot another build made would hold another runtime:
// a new ssrd would serve the old web APIs from a cache directory that outlived the upgrade.
extern const std::string_view kRuntimeFingerprint;

// The files a snapshot was made from, by absolute path, and the ipc::Digest digest of each.
using SourceDigests = std::map<std::string, std::uint64_t>;

// The blob, once the file is whole and every source file still has the recorded digest.
// kIgnoreSources skips that check: for a snapshot chosen as a generation's code on purpose.
enum class SourceCheck { kCheckSources, kIgnoreSources };
ipc::Result<std::string> ReadSnapshotFile(const std::string& path,
                                          SourceCheck check = SourceCheck::kCheckSources);
ipc::Result<void> WriteSnapshotFile(const std::string& path, std::string_view blob,
                                    const SourceDigests& sources = {});

// The whole file at `path` (the bundle, to key its snapshot). kUnavailable on failure.
ipc::Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace ssrd::snapshots
