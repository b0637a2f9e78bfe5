#include "tools/ssrd/listen_fds.h"

#include <systemd/sd-daemon.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

namespace ssrd::tools {

ipc::Result<std::vector<PassedSocket>> TakeListenFds() {
  char** names = nullptr;
  int n = sd_listen_fds_with_names(/*unset_environment=*/1, &names);
  if (n < 0) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                          std::string("socket activation: ") + std::strerror(-n));
  }
  std::vector<PassedSocket> sockets;
  for (int i = 0; i < n; ++i) {
    PassedSocket s;
    s.fd = SD_LISTEN_FDS_START + i;
    s.name = names != nullptr && names[i] != nullptr ? names[i] : "unknown";
    sockets.push_back(std::move(s));
  }
  if (names != nullptr) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  for (const PassedSocket& s : sockets) {
    const bool served = sd_is_socket_unix(s.fd, SOCK_STREAM, /*listening=*/1, nullptr, 0) > 0 ||
                        sd_is_socket_inet(s.fd, AF_UNSPEC, SOCK_STREAM, /*listening=*/1, 0) > 0;
    if (!served) {
      return ipc::MakeError(ipc::ErrorCode::kBadRequest,
                            "socket activation: fd " + std::to_string(s.fd) + " (" + s.name +
                                ") is not a listening Unix or TCP stream socket; ssrd serves "
                                "only those (ListenStream=/path or ListenStream=127.0.0.1:9000 "
                                "in the .socket unit)");
    }
  }
  return sockets;
}

}  // namespace ssrd::tools
