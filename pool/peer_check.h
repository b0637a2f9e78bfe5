// Who is on the other end of an accepted Unix socket, and whether an allowlist lets them in.
// Used by the socket server on every accept; plain functions, any thread.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "ipc/error.h"

namespace ssrd::pool {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;              // the peer's effective gid when it connected
  std::vector<gid_t> groups;  // its supplementary groups then (SO_PEERGROUPS; empty if unknown)

  std::string ToString() const;  // "uid 1000 gid 1000 pid 4242"
};

// SO_PEERCRED and SO_PEERGROUPS: the credentials the kernel recorded at connect(), so a peer
// cannot change who it is afterwards. kUnavailable when `fd` is not a connected Unix socket.
ipc::Result<PeerCredentials> ReadPeerCredentials(int fd);

// Allowed when the lists are both empty (the socket's permissions are then the only check), or the
// peer is root or runs as `self_uid` (either could take over the daemon anyway), or its uid is in
// `uids`, or its gid or one of its supplementary groups is in `gids` (as for file permissions).
bool PeerAllowed(const PeerCredentials& peer, uid_t self_uid, const std::vector<uid_t>& uids,
                 const std::vector<gid_t>& gids);

}  // namespace ssrd::pool
