// The worker's system-call filter (seccomp, built with libseccomp): what a rendering worker may
// still ask of the kernel once its bundle is loaded.
//
// Allowed: memory (mmap, mprotect, madvise, brk, …: V8's heap and JIT), threads (clone with
// CLONE_THREAD, futex, rseq, sched_yield, …: the V8 platform's and the channel reader's),
// reading and writing descriptors it already holds (its channel, stderr, the channel reader's
// epoll and eventfd), clocks and sleeps, getrandom (crypto.getRandomValues), signals to itself,
// naming its threads, and a few harmless questions (getpid, uname, getrusage, getrlimit, …).
//
// Everything else fails, in one of two ways:
//   - with EPERM, for what libraries probe and survive the refusal of (open, openat, stat,
//     readlink, socket, connect, …): the caller sees an error and the worker goes on; clone3
//     fails with ENOSYS instead, so that glibc falls back to clone, whose flags the filter can
//     read (a clone3 argument is a pointer it cannot);
//   - with SIGSYS, for what no renderer has a use for and an attacker wants (ipc::kTrappedSyscalls:
//     execve, fork and clone without CLONE_THREAD, ptrace, kill, mount, …): the handler writes one
//     line to stderr ("refused the system call execve") and exits with the code that names the
//     call to the supervisor (ipc/sandbox_exit.h).
// rt_sigaction on SIGSYS is refused too, so code cannot take the handler away; a SIGSYS that
// finds it blocked or ignored kills the process anyway (the kernel forces it).
//
// The filter covers every thread of the process (SECCOMP_FILTER_FLAG_TSYNC: V8's platform threads
// exist already) and every thread started later. It cannot be removed. Process-wide; call once.
#pragma once

#include "ipc/error.h"

namespace ssrd::worker {

// Installs the SIGSYS handler and the filter. kInternal with the reason when either fails (the
// process is then unchanged, or, if loading failed half-way, which the kernel does not do, dies).
ipc::Result<void> InstallSeccompFilter();

}  // namespace ssrd::worker
