// --worker-user and --worker-group: who the workers become once their bundle is loaded
// (worker/sandbox.h). Looked up once, at start, so that a typo stops ssrd with one line.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "ipc/error.h"

namespace ssrd::tools {

struct WorkerIdentity {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

// Names or numbers; "" = unchanged. Without a group, a user's group is its primary group from the
// user database (a number with no entry there then needs --worker-group). Errors are kBadRequest
// naming the option and the value.
ipc::Result<WorkerIdentity> ResolveWorkerIdentity(const std::string& user, const std::string& group);

}  // namespace ssrd::tools
