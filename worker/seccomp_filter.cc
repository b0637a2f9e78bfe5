#include "worker/seccomp_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include "ipc/sandbox_exit.h"
#include "logging/journal_log.h"

namespace ssrd::worker {
namespace {

// si_code of a SIGSYS raised by a seccomp trap (SYS_SECCOMP in <linux/signal.h>, which glibc's
// <signal.h> does not define).
constexpr int kSysSeccomp = 1;

// Calls allowed whatever their arguments.
constexpr const char* kAllowed[] = {
    // memory: V8's heap, its JIT (executable pages), malloc
    "mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "membarrier", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "mincore",
    // threads and waiting
    "futex", "futex_waitv", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
    "exit", "exit_group", "sched_yield", "sched_getaffinity", "sched_getparam",
    "sched_getscheduler", "sched_get_priority_max", "sched_get_priority_min", "getpriority",
    "nanosleep", "clock_nanosleep", "restart_syscall",
    // descriptors it already holds: the channel, stderr, the channel reader's epoll and eventfd
    "read", "readv", "write", "writev", "recvfrom", "recvmsg", "sendto", "sendmsg", "close",
    "poll", "ppoll", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "eventfd2", "fcntl", "lseek", "fstat", "shutdown",
    // clocks, randomness, and questions that reveal nothing a renderer could misuse
    "clock_gettime", "clock_getres", "gettimeofday", "time", "getrandom", "getpid", "gettid",
    "getppid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
    "uname", "sysinfo", "getrusage", "times", "getrlimit", "getcpu",
    // signals within the process (rt_sigaction and tgkill are below, with conditions)
    "rt_sigprocmask", "rt_sigreturn", "sigaltstack", "rt_sigtimedwait",
};

// Filled before the filter is loaded; read by the SIGSYS handler, which may not allocate.
int g_trapped_numbers[std::size(ipc::kTrappedSyscalls)];
char g_prefix[96];  // "[worker PID] critical: ", or its journald form
std::size_t g_prefix_length = 0;

void Append(char* buffer, std::size_t* length, std::size_t capacity, std::string_view text) {
  for (char c : text) {
    if (*length + 1 >= capacity) return;
    buffer[(*length)++] = c;
  }
}

void AppendNumber(char* buffer, std::size_t* length, std::size_t capacity, long value) {
  char digits[24];
  std::size_t count = 0;
  bool negative = value < 0;
  unsigned long magnitude = negative ? 0ul - static_cast<unsigned long>(value)
                                     : static_cast<unsigned long>(value);
  do {
    digits[count++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0 && count < sizeof digits);
  if (negative) Append(buffer, length, capacity, "-");
  while (count > 0) Append(buffer, length, capacity, std::string_view(&digits[--count], 1));
}

// Async-signal-safe only: no allocation, no locks, no stdio. write(2) and _exit are allowed calls.
void OnSigsys(int, siginfo_t* info, void*) {
  const int saved_errno = errno;
  int index = -1;
  if (info->si_code == kSysSeccomp) {
    for (std::size_t i = 0; i < std::size(g_trapped_numbers); ++i) {
      if (g_trapped_numbers[i] == info->si_syscall) index = static_cast<int>(i);
    }
  }
  char line[256];
  std::size_t length = 0;
  Append(line, &length, sizeof line, std::string_view(g_prefix, g_prefix_length));
  if (index < 0) {
    Append(line, &length, sizeof line, "SIGSYS without a system call the sandbox traps (number ");
    AppendNumber(line, &length, sizeof line, info->si_code == kSysSeccomp ? info->si_syscall : -1);
    Append(line, &length, sizeof line, "); exiting\n");
  } else {
    const int code = ipc::kRefusedSyscallExitBase + index;
    Append(line, &length, sizeof line, "the sandbox refused the system call ");
    Append(line, &length, sizeof line, ipc::kTrappedSyscalls[index]);
    Append(line, &length, sizeof line, ", which a rendering worker never makes; exiting with code ");
    AppendNumber(line, &length, sizeof line, code);
    Append(line, &length, sizeof line, "\n");
  }
  ssize_t ignored = write(STDERR_FILENO, line, length);
  (void)ignored;
  errno = saved_errno;
  _exit(index < 0 ? 1 : ipc::kRefusedSyscallExitBase + index);
}

void PreparePrefix() {
  std::string prefix = logging::StderrIsJournal() ? "<2>" : "";
  prefix += "[worker " + std::to_string(getpid()) + "] critical: ";
  g_prefix_length = std::min(prefix.size(), sizeof g_prefix);
  std::memcpy(g_prefix, prefix.data(), g_prefix_length);
}

// A failing libseccomp call as an error; libseccomp returns -errno.
ipc::Error Failure(const std::string& what, int rc) {
  return ipc::MakeError(ipc::ErrorCode::kInternal,
                        "cannot install the system-call filter: " + what + ": " +
                            std::strerror(rc < 0 ? -rc : rc));
}

struct Context {
  scmp_filter_ctx ctx = nullptr;
  ~Context() {
    if (ctx != nullptr) seccomp_release(ctx);
  }
};

// -1 when the call does not exist on this architecture (libseccomp then gives a negative number).
int Number(const char* name) {
  const int number = seccomp_syscall_resolve_name(name);
  return number < 0 ? -1 : number;
}

}  // namespace

ipc::Result<void> InstallSeccompFilter() {
  PreparePrefix();
  for (std::size_t i = 0; i < std::size(ipc::kTrappedSyscalls); ++i) {
    g_trapped_numbers[i] = Number(std::string(ipc::kTrappedSyscalls[i]).c_str());
  }
  struct sigaction action {};
  action.sa_sigaction = OnSigsys;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) {
    return Failure("sigaction(SIGSYS)", errno);
  }

  Context filter;
  filter.ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (filter.ctx == nullptr) return Failure("seccomp_init", ENOMEM);
  // V8's platform threads exist already: they must be filtered too, not only this thread.
  if (int rc = seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    return Failure("thread synchronisation", rc);
  }
  auto add = [&](const char* name, std::uint32_t action_taken, unsigned count,
                 const scmp_arg_cmp* args) -> ipc::Result<void> {
    const int number = Number(name);
    if (number < 0) return {};
    if (int rc = seccomp_rule_add_array(filter.ctx, action_taken, number, count, args); rc != 0) {
      return Failure(std::string("rule for ") + name, rc);
    }
    return {};
  };
  for (const char* name : kAllowed) {
    if (auto r = add(name, SCMP_ACT_ALLOW, 0, nullptr); !r.ok()) return r;
  }
  // Threads yes, processes no: pthread_create's clone carries CLONE_THREAD, fork's does not.
  const scmp_arg_cmp thread[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)};
  const scmp_arg_cmp process[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)};
  const scmp_arg_cmp to_self[] = {SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(getpid()))};
  const scmp_arg_cmp not_sigsys[] = {SCMP_A0(SCMP_CMP_NE, SIGSYS)};
  const scmp_arg_cmp set_name[] = {SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)};
  const scmp_arg_cmp get_name[] = {SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME)};
  const scmp_arg_cmp read_own_limit[] = {SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0)};
  for (auto r : {add("clone", SCMP_ACT_ALLOW, 1, thread), add("tgkill", SCMP_ACT_ALLOW, 1, to_self),
                 add("rt_sigaction", SCMP_ACT_ALLOW, 1, not_sigsys),
                 add("prctl", SCMP_ACT_ALLOW, 1, set_name), add("prctl", SCMP_ACT_ALLOW, 1, get_name),
                 add("prlimit64", SCMP_ACT_ALLOW, 2, read_own_limit),
                 add("clone3", SCMP_ACT_ERRNO(ENOSYS), 0, nullptr)}) {
    if (!r.ok()) return r;
  }
  for (std::string_view name : ipc::kTrappedSyscalls) {
    const std::string text(name);
    auto r = name == "clone" ? add("clone", SCMP_ACT_TRAP, 1, process)
                             : add(text.c_str(), SCMP_ACT_TRAP, 0, nullptr);
    if (!r.ok()) return r;
  }
  if (int rc = seccomp_load(filter.ctx); rc != 0) return Failure("seccomp_load", rc);
  return {};
}

}  // namespace ssrd::worker
