// A 64-bit digest of bytes, shared by everything that names or compares file contents (snapshot
// keys and checksums, the snapshot's record of its source files, the bundle watcher's
// fingerprint). XXH3 (Debian's libxxhash, compiled in): start-up hashes the bundle and the whole
// snapshot on the way to the first page, in the supervisor and again in each worker, and FNV-1a
// (byte at a time, ~0.7 GB/s) spent ~10 ms of it on the example app; XXH3 runs at memory speed.
// Not cryptographic: it detects change, it does not authenticate. Any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace ssrd::ipc {

// `seed` chains digests: Digest(b, Digest(a)) names the pair (a, b).
std::uint64_t Digest(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace ssrd::ipc
