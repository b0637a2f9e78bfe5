// The harness passes extra environment variables to the programs it starts. Found by
// scripts/sanitize: Boost.Process's own way (bp::environment, operator[]) read past the end of
// every environment entry shorter than the name it looked up (heap-buffer-overflow under ASan).
#include <cstdlib>

#include <gtest/gtest.h>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

TEST(HarnessEnvironment, ExtraVariablesReachTheProgramAndShortEntriesAreNotOverread) {
  ::setenv("Q", "1", 1);  // an entry shorter than the name below
  RunResult run = RunProgram("/bin/sh", {"-c", "printf '%s|%s' \"$SSRD_A_RATHER_LONG_NAME\" \"$Q\""},
                             std::chrono::seconds(10), {{"SSRD_A_RATHER_LONG_NAME", "seen"}});
  ::unsetenv("Q");
  EXPECT_EQ(run.out, "seen|1") << run.err;
}

}  // namespace
}  // namespace ssrd::testing
