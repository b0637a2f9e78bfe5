#include "pool/peer_check.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ssrd::pool {

std::string PeerCredentials::ToString() const {
  return "uid " + std::to_string(uid) + " gid " + std::to_string(gid) + " pid " +
         std::to_string(pid);
}

ipc::Result<PeerCredentials> ReadPeerCredentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof(cred)) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          std::string("cannot read the peer's credentials: ") + strerror(errno));
  }
  PeerCredentials peer{cred.pid, cred.uid, cred.gid, {}};
  // SO_PEERGROUPS (Linux 4.13) says how much room it needs with ERANGE; before that it does not
  // exist, and only the primary gid is known.
  std::vector<gid_t> groups(32);
  for (int attempt = 0; attempt < 3; ++attempt) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      peer.groups = std::move(groups);
      break;
    }
    if (errno != ERANGE) break;
    groups.resize(bytes / sizeof(gid_t) + 1);
  }
  return peer;
}

bool PeerAllowed(const PeerCredentials& peer, uid_t self_uid, const std::vector<uid_t>& uids,
                 const std::vector<gid_t>& gids) {
  if (uids.empty() && gids.empty()) return true;
  if (peer.uid == 0 || peer.uid == self_uid) return true;
  auto listed = [&](gid_t g) { return std::find(gids.begin(), gids.end(), g) != gids.end(); };
  return std::find(uids.begin(), uids.end(), peer.uid) != uids.end() || listed(peer.gid) ||
         std::any_of(peer.groups.begin(), peer.groups.end(), listed);
}

}  // namespace ssrd::pool
