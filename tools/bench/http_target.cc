// Target over HTTP/1.1 on loopback, with a client small enough to cost the load generator little:
// blocking sockets, keep-alive, one request at a time per TCP connection (each slot owns one),
// Content-Length or chunked bodies.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tools/bench/load_target.h"

namespace ssrd::bench {
namespace {

using ipc::ErrorCode;
using ipc::MakeError;

struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
};

// Only loopback: a load generator must never be pointed at another machine by mistake.
ipc::Result<Endpoint> ResolveLoopback(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    return MakeError(ErrorCode::kBadRequest, "--http wants HOST:PORT, got '" + host_port + "'");
  }
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return MakeError(ErrorCode::kBadRequest, host_port + ": " + ::gai_strerror(rc));
  }
  Endpoint endpoint;
  bool loopback = false;
  for (addrinfo* a = found; a != nullptr && !loopback; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
      loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else if (a->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
      loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    if (loopback) {
      std::memcpy(&endpoint.address, a->ai_addr, a->ai_addrlen);
      endpoint.length = a->ai_addrlen;
    }
  }
  ::freeaddrinfo(found);
  if (!loopback) {
    return MakeError(ErrorCode::kBadRequest, host_port + " is not a loopback address");
  }
  return endpoint;
}

struct Shared {
  Endpoint endpoint;
  std::string request_bytes;  // the whole request, headers and body, sent as is every time
  ResponseCheck check;
  int timeout_ms = 30000;
};

// Reads one response on a blocking socket. Leaves bytes of a next response (there are none:
// one request at a time) in `buffer`.
class HttpConnection {
 public:
  explicit HttpConnection(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}
  ~HttpConnection() { Close(); }

  CallOutcome Call() {
    if (fd_ < 0) {
      if (!Connect()) return CallOutcome::Fail("unavailable");
    }
    if (!SendAll(shared_->request_bytes)) {
      Close();
      return CallOutcome::Fail("io");
    }
    int status = 0;
    std::string body;
    bool keep_alive = true;
    if (!ReadResponse(&status, &body, &keep_alive)) {
      Close();
      return CallOutcome::Fail("io");
    }
    if (!keep_alive) Close();
    if (status != 200) return CallOutcome::Fail("http_" + std::to_string(status));
    if (auto bad = shared_->check.Check(body); !bad.empty()) return CallOutcome::Fail(std::string(bad));
    return CallOutcome::Ok();
  }

 private:
  bool Connect() {
    fd_ = ::socket(shared_->endpoint.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&shared_->endpoint.address),
                  shared_->endpoint.length) != 0) {
      Close();
      return false;
    }
    // Requests are one small write; without this, Nagle delays the next one behind a delayed ACK.
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    buffer_.clear();
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool SendAll(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Appends what one recv() brings; false on end of stream, error or the timeout.
  bool ReadMore() {
    pollfd p{fd_, POLLIN, 0};
    int ready;
    do {
      ready = ::poll(&p, 1, shared_->timeout_ms);
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return false;
    char chunk[65536];
    ssize_t n;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  // Consumes `buffer_` up to and including "\r\n" and returns the line without it.
  bool ReadLine(std::string* line) {
    std::size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!ReadMore()) return false;
    }
    line->assign(buffer_, 0, end);
    buffer_.erase(0, end + 2);
    return true;
  }

  bool ReadExactly(std::size_t n, std::string* out) {
    while (buffer_.size() < n) {
      if (!ReadMore()) return false;
    }
    out->append(buffer_, 0, n);
    buffer_.erase(0, n);
    return true;
  }

  static bool HeaderIs(const std::string& line, std::string_view name, std::string* value) {
    if (line.size() <= name.size() || line[name.size()] != ':') return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    }
    std::size_t start = name.size() + 1;
    while (start < line.size() && line[start] == ' ') ++start;
    value->assign(line, start);
    for (char& c : *value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return true;
  }

  bool ReadResponse(int* status, std::string* body, bool* keep_alive) {
    std::string line;
    if (!ReadLine(&line) || line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return false;
    *status = std::atoi(line.c_str() + 9);
    long long content_length = -1;
    bool chunked = false;
    std::string value;
    for (;;) {
      if (!ReadLine(&line)) return false;
      if (line.empty()) break;
      if (HeaderIs(line, "content-length", &value)) content_length = std::atoll(value.c_str());
      if (HeaderIs(line, "transfer-encoding", &value)) chunked = value.find("chunked") != std::string::npos;
      if (HeaderIs(line, "connection", &value)) *keep_alive = value.find("close") == std::string::npos;
    }
    if (chunked) {
      for (;;) {
        if (!ReadLine(&line)) return false;
        const unsigned long size = std::strtoul(line.c_str(), nullptr, 16);
        if (size == 0) {
          // Trailers (none expected), then the empty line.
          do {
            if (!ReadLine(&line)) return false;
          } while (!line.empty());
          return true;
        }
        if (!ReadExactly(size, body) || !ReadLine(&line)) return false;
      }
    }
    if (content_length >= 0) return ReadExactly(static_cast<std::size_t>(content_length), body);
    // Neither: the body runs to the end of the stream.
    *keep_alive = false;
    while (ReadMore()) {
    }
    body->swap(buffer_);
    return true;
  }

  std::shared_ptr<const Shared> shared_;
  int fd_ = -1;
  std::string buffer_;
};

class HttpSlot final : public Slot {
 public:
  explicit HttpSlot(std::shared_ptr<const Shared> shared) : connection_(std::move(shared)) {}
  CallOutcome Call() override { return connection_.Call(); }

 private:
  HttpConnection connection_;
};

class HttpTarget final : public Target {
 public:
  explicit HttpTarget(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}

  ipc::Result<std::vector<std::unique_ptr<Slot>>> OpenConnection(int in_flight) override {
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < in_flight; ++i) slots.push_back(std::make_unique<HttpSlot>(shared_));
    return slots;
  }

  CallOutcome Probe() override {
    HttpConnection connection(shared_);
    return connection.Call();
  }

  std::string Name() const override { return "http"; }

 private:
  std::shared_ptr<const Shared> shared_;
};

}  // namespace

ipc::Result<std::unique_ptr<Target>> MakeHttpTarget(std::string host_port, std::string path,
                                                    std::string body, RenderRequest request) {
  auto endpoint = ResolveLoopback(host_port);
  if (!endpoint) return endpoint.error();
  auto shared = std::make_shared<Shared>();
  shared->endpoint = *endpoint;
  shared->check = std::move(request.check);
  shared->timeout_ms = static_cast<int>(request.timeout.count());
  shared->request_bytes = "POST " + path + " HTTP/1.1\r\nHost: " + host_port +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
  return std::unique_ptr<Target>(new HttpTarget(std::move(shared)));
}

}  // namespace ssrd::bench
