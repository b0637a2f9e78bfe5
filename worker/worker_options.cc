#include "worker/worker_options.h"

#include <cstdio>

#include <CLI/CLI.hpp>

#include "worker/misbehaviour.h"

namespace ssrd::worker {

std::optional<WorkerOptions> ParseWorkerOptions(int argc, char** argv, int* exit_code) {
  WorkerOptions options;
  CLI::App app{"ssrd worker: renders requests read from its channel with one V8 isolate"};
  app.add_option("--bundle", options.bundle, "server bundle (ES module or classic script)")
      ->required();
  app.add_option("--heap-limit-mb", options.heap_limit_mb, "V8 heap limit in MiB")
      ->check(CLI::Range(8, 1 << 20));
  app.add_option("--channel-fd", options.channel_fd, "socket to the supervisor")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--node-env", options.node_env, "process.env.NODE_ENV seen by the bundle");
  app.add_option("--parent-pid", options.parent_pid, "exit at once unless this is the parent");
  app.add_option("--snapshot-dir", options.snapshot_dir,
                 "start from the bundle's startup snapshot in this cache directory, if there");
  app.add_option("--snapshot-file", options.snapshot_file,
                 "start from this snapshot (the supervisor's generation), whatever is on disk now");
  app.add_flag("--build-snapshot", options.build_snapshot,
               "build the bundle's snapshot into --snapshot-dir (unless cached), print "
               "'snapshot: PATH' or 'snapshot: unavailable: WHY', and exit");
  app.add_option("--isolation", options.isolation,
                 "guarded: one context, replaced when a render leaves something behind; fresh: a "
                 "context per render; shared: one context, no check")
      ->check(CLI::IsMember({"guarded", "fresh", "shared"}));
  app.add_option("--max-frame-bytes", options.max_frame_bytes,
                 "largest reply the supervisor accepts; a bigger one is answered too_large")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 32));
  app.add_option("--busy-poll-us", options.busy_poll_us,
                 "after a reply, keep polling the channel this long before sleeping (0 = sleep)")
      ->check(CLI::Range(0u, 100000u));
  app.add_option("--sandbox", options.sandbox,
                 "seccomp: preload the bundle's directory, then allow only the system calls "
                 "rendering needs once the bundle is loaded; off: no filter")
      ->check(CLI::IsMember({"seccomp", "off"}));
  app.add_option("--uid", options.uid, "switch to this user once the bundle is loaded");
  app.add_option("--gid", options.gid,
                 "switch to this group (and only it as supplementary group) once the bundle is "
                 "loaded");
  app.add_option("--test-misbehave", options.test_misbehave)
      ->group("")  // tests only: misbehaviour.h
      ->check([](const std::string& v) {
        return IsKnownMisbehaviour(v) ? std::string() : "unknown call " + v;
      });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    *exit_code = code == 0 ? 0 : 2;
    return std::nullopt;
  }
  if (options.build_snapshot && options.snapshot_dir.empty()) {
    std::fprintf(stderr, "--build-snapshot needs --snapshot-dir\n");
    *exit_code = 2;
    return std::nullopt;
  }
  return options;
}

}  // namespace ssrd::worker
