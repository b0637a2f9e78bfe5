// A server under test started by the load generator, so that its start-up is inside the clock
// and nothing of it outlives the run.
//
// The child runs `/bin/sh -c COMMAND` in a process group of its own; Stop() signals the whole
// group (a peer's cluster workers, ssrd's workers), SIGTERM first, then SIGKILL for whatever is
// left after the grace period, and reaps the leader. The destructor calls Stop(). With
// `pipe_stdio` the child's stdin and stdout are pipes whose parent ends the caller takes
// (TakeStdin/TakeStdout); otherwise stdin is /dev/null and stdout goes to the log with stderr.
// One thread uses a ChildProcess.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <sys/types.h>

#include "ipc/error.h"

namespace ssrd::bench {

class ChildProcess {
 public:
  // The child's stderr (and stdout when not piped) go to log_path, truncated; "" = discarded.
  static ipc::Result<std::unique_ptr<ChildProcess>> Start(const std::string& command,
                                                          bool pipe_stdio,
                                                          const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const;
  bool running();
  // The parent's end of the child's stdin / stdout; -1 after the first take or without pipes.
  int TakeStdin();
  int TakeStdout();
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  struct Impl;
  explicit ChildProcess(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ssrd::bench
