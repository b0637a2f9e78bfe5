// Stops the spawned server's process group when the load generator itself is told to stop.
//
// A ChildProcess runs in a process group of its own, so a Ctrl-C or a `kill` aimed at the
// benchmark reaches ssrd_loadgen but not the server it started; without this, an interrupted run
// would leave ssrd or a Node peer listening. GuardGroupOnSignals() installs handlers for SIGINT,
// SIGTERM and SIGHUP that SIGTERM the group, give it up to 2 s, SIGKILL what is left, remove the
// pid file (if any) and exit with 128 + the signal. Only async-signal-safe calls happen in the
// handler. One group at a time; ReleaseGroup() once the group has been stopped normally.
#pragma once

#include <string>

#include <sys/types.h>

namespace ssrd::bench {

// `pid_file`: where the group id is written, so that a caller's trap can still stop the group
// if ssrd_loadgen dies of something no handler sees (SIGKILL, a crash); "" = no file.
void GuardGroupOnSignals(pid_t group, const std::string& pid_file);
// Forgets the group and removes the pid file.
void ReleaseGroup();

}  // namespace ssrd::bench
