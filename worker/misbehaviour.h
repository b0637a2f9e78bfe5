// Test only: `ssrd-worker --test-misbehave CALL[@render]` makes a worker do what a rendering worker
// never does, so that the tests can watch its sandbox refuse it and the supervisor report it
// (tests/integration/sandbox_test.cc). Not for production: the option is hidden from --help.
//
// CALL is one of: open (openat of /etc/hostname), stat (of /etc/passwd), socket (an IPv4 TCP
// socket), connect (on stderr, to 127.0.0.1:9: the filter refuses it before the kernel looks at
// the descriptor), execve (/bin/true), fork, ptrace (PTRACE_PEEKDATA on pid 1) and kill (signal 0
// to the parent, a mere check). Without "@render" the call is made right after the sandbox
// closes, before the hello; with it, before every render (the render is then answered with the
// outcome as an `internal` error, unless the call killed the worker).
#pragma once

#include <optional>
#include <string>

#include "ipc/error.h"

namespace ssrd::worker {

struct Misbehaviour {
  std::string call;
  bool at_render = false;
};

// nullopt for an unknown CALL.
std::optional<Misbehaviour> ParseMisbehaviour(const std::string& text);
bool IsKnownMisbehaviour(const std::string& text);

// Makes the call. Always an error describing the outcome: "--test-misbehave: open(\"/etc/hostname\")
// failed: Operation not permitted", or "… succeeded: the sandbox let it through". A trapped call
// does not return.
ipc::Error Misbehave(const std::string& call);

}  // namespace ssrd::worker
