// Internal to the client library: opening the socket to the daemon and, when the client has a
// token, authenticating on it before anything else is sent (docs/protocol.md, "Authentication").
#pragma once

#include <chrono>
#include <string>

#include "ipc/error.h"

namespace ssrd::client::detail {

// `address`: a Unix socket path, or "tcp://HOST:PORT" / "tcp://[IPv6]:PORT" (HOST may be a name,
// resolved here). Returns a connected, blocking, close-on-exec socket; kUnavailable naming the
// address and the reason otherwise (kBadRequest for a tcp:// address that is not HOST:PORT).
ipc::Result<int> Dial(const std::string& address, std::chrono::milliseconds timeout);

// One blocking exchange: `auth` with `token`, then its reply. The daemon's refusal comes back as
// its error (kUnauthorized); no reply within `timeout` is kTimeout. The socket is left as it was.
ipc::Result<void> Authenticate(int fd, const std::string& token, std::chrono::milliseconds timeout,
                               std::size_t max_frame_bytes);

}  // namespace ssrd::client::detail
