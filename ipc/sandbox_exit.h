// How a sandboxed worker's death by a forbidden system call reaches the supervisor's log.
//
// The worker's seccomp filter (worker/seccomp_filter.h) traps the calls listed here: its SIGSYS
// handler, which may only do async-signal-safe things, logs one line and exits with
// kRefusedSyscallExitBase + the call's index in kTrappedSyscalls. The supervisor, which never
// links the worker, reads the name back from the exit code (RefusedSyscallOfExit) and says
// "exited with code 101 (its sandbox refused the system call execve)". Header-only, no
// dependencies: both sides compile the same table, so the indexes cannot drift.
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace ssrd::ipc {

// System calls a renderer has no use for and that an attacker would want: starting programs or
// processes, reading or controlling other processes, changing namespaces, mounts or the kernel.
// Not every name exists on every architecture; the filter skips those that do not.
inline constexpr std::string_view kTrappedSyscalls[] = {
    "execve",          "execveat",      "fork",          "vfork",         "clone",
    "ptrace",          "process_vm_readv", "process_vm_writev", "kill",     "bpf",
    "perf_event_open", "userfaultfd",   "unshare",       "setns",         "mount",
    "umount2",         "chroot",        "pivot_root",    "init_module",   "finit_module",
    "delete_module",   "kexec_load",    "keyctl",        "add_key",       "request_key",
};
inline constexpr int kRefusedSyscallExitBase = 100;

// The call a worker's exit code names, or nullopt for any other exit code.
inline std::optional<std::string_view> RefusedSyscallOfExit(long long exit_code) {
  const long long index = exit_code - kRefusedSyscallExitBase;
  if (index < 0 || index >= static_cast<long long>(std::size(kTrappedSyscalls))) return std::nullopt;
  return kTrappedSyscalls[index];
}

}  // namespace ssrd::ipc
