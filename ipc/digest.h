// A 64-bit FNV-1a digest of bytes, shared by everything that names or compares file contents
// (snapshot keys, the snapshot's record of its source files, the bundle watcher's fingerprint).
// Not cryptographic: it detects change, it does not authenticate. Header-only, any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace ssrd::ipc {

inline constexpr std::uint64_t kFnv1aOffset = 14695981039346656037ull;

inline std::uint64_t Fnv1a(std::string_view bytes, std::uint64_t hash = kFnv1aOffset) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace ssrd::ipc
