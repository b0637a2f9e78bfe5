// The libFuzzer entry points every target in fuzz/ defines. Built two ways (fuzz/CMakeLists.txt):
// with clang's -fsanitize=fuzzer (scripts/fuzz), or with replay_main.cc, a plain driver that runs
// each file of the committed corpus once, so the ctests fuzz.replay.* need no clang.
// A target reports a broken invariant by calling FuzzCheckFailed(), which aborts: libFuzzer then
// saves the input as a crash file, and the replay driver fails the test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);

[[noreturn]] inline void FuzzCheckFailed(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

#define FUZZ_CHECK(cond)                     \
  do {                                       \
    if (!(cond)) FuzzCheckFailed(#cond);     \
  } while (0)
