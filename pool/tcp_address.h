// TCP listen addresses as operators write them ("127.0.0.1:9000", "[::1]:9000") and as logs show
// them, and the loopback test behind "no non-loopback listener without a token".
#pragma once

#include <sys/socket.h>

#include <string>

namespace ssrd::pool {

// "HOST:PORT" (IPv4 dotted quad, or an IPv6 address in brackets) -> a socket address; false when
// it is not one. Names are not resolved: a listen address is a literal.
bool ParseTcpAddress(const std::string& host_port, sockaddr_storage* out);
// "127.0.0.1:9000", "[::1]:9000"; "?" for a family that is neither.
std::string FormatTcpAddress(const sockaddr* address);
// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: reachable from this host only.
bool IsLoopback(const sockaddr* address);

}  // namespace ssrd::pool
