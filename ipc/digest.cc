#include "ipc/digest.h"

// Header-only use: the digest code is compiled into ssrd_ipc, so nothing links libxxhash.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace ssrd::ipc {

std::uint64_t Digest(std::string_view bytes, std::uint64_t seed) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
}

}  // namespace ssrd::ipc
