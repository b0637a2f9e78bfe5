// The supervisor's half of the worker sandbox: how --worker-sandbox is decided, what the worker is
// told, and how a worker killed by its filter is described.
#include "pool/worker_sandbox.h"

#include <gtest/gtest.h>

#include "ipc/sandbox_exit.h"
#include "pool/worker_process.h"

namespace ssrd::pool {
namespace {

TEST(WorkerSandboxTest, AutoFollowsTheKernelSeccompInsistsOffIsOff) {
  std::string warning;
  EXPECT_EQ(ResolveWorkerSandbox("auto", true, "", &warning).value(), "seccomp");
  EXPECT_EQ(warning, "");
  EXPECT_EQ(ResolveWorkerSandbox("auto", false, "the kernel has no seccomp", &warning).value(), "off");
  EXPECT_EQ(warning, "the kernel has no seccomp; workers run without a system-call filter "
                     "(--worker-sandbox auto)");
  warning.clear();
  EXPECT_EQ(ResolveWorkerSandbox("seccomp", true, "", &warning).value(), "seccomp");
  auto refused = ResolveWorkerSandbox("seccomp", false, "the kernel has no seccomp", &warning);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "--worker-sandbox seccomp: the kernel has no seccomp; use --worker-sandbox auto or off "
            "to run workers without it");
  EXPECT_EQ(ResolveWorkerSandbox("off", false, "", &warning).value(), "off");
  EXPECT_EQ(warning, "");
  EXPECT_FALSE(ResolveWorkerSandbox("strict", true, "", &warning).ok());
}

TEST(WorkerSandboxTest, ThisKernelCanFilter) {
  std::string why;
  EXPECT_TRUE(KernelCanFilterSyscalls(&why)) << why;
}

TEST(WorkerSandboxTest, TheWorkerIsToldTheModeAndTheIdentity) {
  EXPECT_EQ(WorkerSandboxArgs("seccomp", std::nullopt, std::nullopt),
            (std::vector<std::string>{"--sandbox", "seccomp"}));
  EXPECT_EQ(WorkerSandboxArgs("off", 65534, 65533),
            (std::vector<std::string>{"--sandbox", "off", "--uid", "65534", "--gid", "65533"}));
}

TEST(WorkerSandboxTest, ARefusedCallIsNamedFromTheExitCode) {
  WorkerExit execve{ipc::kRefusedSyscallExitBase, 0};
  EXPECT_EQ(execve.Describe(), "exited with code 100 (its sandbox refused the system call execve)");
  EXPECT_TRUE(execve.sandbox_refusal());
  WorkerExit ptrace{105, 0};
  EXPECT_EQ(ptrace.Describe(), "exited with code 105 (its sandbox refused the system call ptrace)");
  const long long past = ipc::kRefusedSyscallExitBase + std::size(ipc::kTrappedSyscalls);
  const WorkerExit other{past, 0};
  EXPECT_EQ(other.Describe(), "exited with code " + std::to_string(past));
  EXPECT_FALSE(other.sandbox_refusal());
  EXPECT_FALSE((WorkerExit{2, 0}.sandbox_refusal()));
  EXPECT_FALSE((WorkerExit{0, 31}.sandbox_refusal()));  // a signal, not an exit code
}

}  // namespace
}  // namespace ssrd::pool
