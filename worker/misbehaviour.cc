#include "worker/misbehaviour.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ssrd::worker {
namespace {

constexpr const char* kCalls[] = {"open", "stat", "socket", "connect", "execve", "fork", "ptrace",
                                  "kill"};

ipc::Error Outcome(const std::string& what, int rc, int error_number) {
  std::string message = "--test-misbehave: " + what;
  message += rc < 0 ? std::string(" failed: ") + std::strerror(error_number)
                    : " succeeded: the sandbox let it through";
  return ipc::MakeError(ipc::ErrorCode::kInternal, message);
}

}  // namespace

bool IsKnownMisbehaviour(const std::string& text) { return ParseMisbehaviour(text).has_value(); }

std::optional<Misbehaviour> ParseMisbehaviour(const std::string& text) {
  Misbehaviour out;
  out.call = text;
  const std::string suffix = "@render";
  if (text.size() > suffix.size() &&
      text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
    out.call = text.substr(0, text.size() - suffix.size());
    out.at_render = true;
  }
  for (const char* call : kCalls) {
    if (out.call == call) return out;
  }
  return std::nullopt;
}

ipc::Error Misbehave(const std::string& call) {
  errno = 0;
  if (call == "open") {
    int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    int saved = errno;
    if (fd >= 0) close(fd);
    return Outcome("open(\"/etc/hostname\")", fd, saved);
  }
  if (call == "stat") {
    struct stat info {};
    int rc = stat("/etc/passwd", &info);
    return Outcome("stat(\"/etc/passwd\")", rc, errno);
  }
  if (call == "socket") {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int saved = errno;
    if (fd >= 0) close(fd);
    return Outcome("socket(AF_INET, SOCK_STREAM)", fd, saved);
  }
  if (call == "connect") {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(9);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(STDERR_FILENO, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    return Outcome("connect(127.0.0.1:9)", rc, errno);
  }
  if (call == "execve") {
    char program[] = "/bin/true";
    char* argv[] = {program, nullptr};
    char* envp[] = {nullptr};
    int rc = execve(program, argv, envp);
    return Outcome("execve(\"/bin/true\")", rc, errno);
  }
  if (call == "fork") {
    pid_t child = fork();
    if (child == 0) _exit(0);
    int saved = errno;
    if (child > 0) waitpid(child, nullptr, 0);
    return Outcome("fork()", child, saved);
  }
  if (call == "ptrace") {
    long rc = ptrace(PTRACE_PEEKDATA, 1, nullptr, nullptr);
    (void)rc;
    const int saved = errno;  // PEEKDATA's result may be -1 legitimately: errno tells
    return Outcome("ptrace(PTRACE_PEEKDATA, 1)", saved != 0 ? -1 : 0, saved);
  }
  if (call == "kill") {
    int rc = kill(getppid(), 0);
    return Outcome("kill(parent, 0)", rc, errno);
  }
  return ipc::MakeError(ipc::ErrorCode::kInternal, "--test-misbehave: unknown call " + call);
}

}  // namespace ssrd::worker
