#include "tools/ssrd/worker_identity.h"

#include <pwd.h>

#include <cerrno>
#include <vector>

#include "tools/ssrd/socket_access.h"

namespace ssrd::tools {
namespace {

// The primary group of `uid` from the user database.
std::optional<gid_t> PrimaryGroup(uid_t uid) {
  std::vector<char> buffer(1024);
  for (int attempt = 0; attempt < 8; ++attempt) {
    passwd entry{};
    passwd* found = nullptr;
    int error = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    if (error != 0 || found == nullptr) return std::nullopt;
    return entry.pw_gid;
  }
  return std::nullopt;
}

ipc::Error Bad(const std::string& message) {
  return ipc::MakeError(ipc::ErrorCode::kBadRequest, message);
}

}  // namespace

ipc::Result<WorkerIdentity> ResolveWorkerIdentity(const std::string& user, const std::string& group) {
  WorkerIdentity identity;
  if (!user.empty()) {
    auto uid = ResolveUser(user);
    if (!uid.ok()) return Bad("--worker-user: " + uid.error().message);
    identity.uid = uid.value();
  }
  if (!group.empty()) {
    auto gid = ResolveGroup(group);
    if (!gid.ok()) return Bad("--worker-group: " + gid.error().message);
    identity.gid = gid.value();
  } else if (identity.uid) {
    identity.gid = PrimaryGroup(*identity.uid);
    if (!identity.gid) {
      return Bad("--worker-user " + user +
                 ": the user database has no entry for it, so its group is unknown; give "
                 "--worker-group too");
    }
  }
  return identity;
}

}  // namespace ssrd::tools
