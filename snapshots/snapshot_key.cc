#include "snapshots/snapshot_key.h"

#include <cstdint>

#include "ipc/digest.h"


namespace ssrd::snapshots {
namespace {

void Mix(std::uint64_t* hash, std::string_view bytes) { *hash = ipc::Fnv1a(bytes, *hash); }

void MixField(std::uint64_t* hash, std::string_view field) {
  std::uint64_t size = field.size();
  char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<char>(size >> (8 * i));
  Mix(hash, std::string_view(length, sizeof length));
  Mix(hash, field);
}

}  // namespace

std::string SnapshotKey(std::string_view bundle_bytes, std::string_view v8_version,
                        std::string_view flags) {
  std::uint64_t hash = ipc::kFnv1aOffset;
  MixField(&hash, bundle_bytes);
  MixField(&hash, v8_version);
  MixField(&hash, flags);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<std::size_t>(i)] = kHex[hash & 0xf];
  return out;
}

}  // namespace ssrd::snapshots
