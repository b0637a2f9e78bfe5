// Turns the socket access options (--socket-mode, --socket-group, --allow-uid, --allow-gid) into
// what the socket server enforces. Names are looked up once, at start (getpwnam_r/getgrnam_r), so
// a typo stops ssrd with one line instead of locking everyone out later.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"
#include "pool/socket_server.h"

namespace ssrd::tools {

// "0660", "660" or "0o660" (TOML has no leading-zero integers): permission bits only, at most 0777.
ipc::Result<mode_t> ParseSocketMode(std::string_view text);
// A number, or a name from the user/group database. Errors are kBadRequest naming the value.
ipc::Result<uid_t> ResolveUser(const std::string& name_or_id);
ipc::Result<gid_t> ResolveGroup(const std::string& name_or_id);

struct SocketAccessSettings {
  std::string socket_mode;              // "" = leave the mode to the umask
  std::string socket_group;             // "" = unchanged
  std::vector<std::string> allow_uids;  // empty entries are ignored (an empty list in TOML)
  std::vector<std::string> allow_gids;
};

// Fills socket_mode, socket_group, allow_uids and allow_gids of `out`.
ipc::Result<void> ApplySocketAccessSettings(const SocketAccessSettings& settings,
                                            pool::SocketServerOptions* out);

}  // namespace ssrd::tools
