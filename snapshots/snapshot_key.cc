#include "snapshots/snapshot_key.h"

#include <cstdint>

#include "ipc/digest.h"


namespace ssrd::snapshots {
namespace {

// Each field is digested on its own, seeded with the digest so far: field boundaries count.
void MixField(std::uint64_t* hash, std::string_view field) { *hash = ipc::Digest(field, *hash); }

}  // namespace

std::string SnapshotKey(std::string_view bundle_bytes, std::string_view v8_version,
                        std::string_view flags) {
  std::uint64_t hash = 0;
  MixField(&hash, bundle_bytes);
  MixField(&hash, v8_version);
  MixField(&hash, flags);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<std::size_t>(i)] = kHex[hash & 0xf];
  return out;
}

}  // namespace ssrd::snapshots
