// The cache key of a startup snapshot: a snapshot is only valid for the exact bundle bytes, V8
// build and V8 flags it was made with. Pure function; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ssrd::snapshots {

// 16 lowercase hex digits: the 64-bit ipc::Digest of each input in turn, each seeded with the
// digest of those before it, so that moving bytes from one input to the next changes the key. Not
// cryptographic: it names cache files, it does not authenticate them.
std::string SnapshotKey(std::string_view bundle_bytes, std::string_view v8_version,
                        std::string_view flags);

}  // namespace ssrd::snapshots
