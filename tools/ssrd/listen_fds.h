// Socket activation: the listening sockets systemd passed (LISTEN_FDS, LISTEN_FDNAMES).
#pragma once

#include <string>
#include <vector>

#include "ipc/error.h"

namespace ssrd::tools {

struct PassedSocket {
  int fd = -1;
  std::string name;  // LISTEN_FDNAMES entry ("unknown" when the unit names none)
};

// Empty when ssrd was not socket-activated (or the variables were meant for another pid).
// LISTEN_* are removed from the environment either way, so workers never think they were
// activated. Every fd must be a listening Unix or TCP (IPv4/IPv6) stream socket: ssrd serves
// nothing else, so anything else is kBadRequest naming the fd and its name. A TCP socket on an
// address that is not loopback is served only with --auth-token-file (SocketServer::Adopt).
ipc::Result<std::vector<PassedSocket>> TakeListenFds();

}  // namespace ssrd::tools
