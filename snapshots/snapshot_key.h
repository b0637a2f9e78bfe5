// The cache key of a startup snapshot: a snapshot is only valid for the exact bundle bytes, V8
// build and V8 flags it was made with. Pure function; any thread.
#pragma once

#include <string>
#include <string_view>

namespace ssrd::snapshots {

// 16 lowercase hex digits: 64-bit FNV-1a over the three inputs, each preceded by its length so
// that moving bytes from one input to the next changes the key. Not cryptographic: it names cache
// files, it does not authenticate them.
std::string SnapshotKey(std::string_view bundle_bytes, std::string_view v8_version,
                        std::string_view flags);

}  // namespace ssrd::snapshots
