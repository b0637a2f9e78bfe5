#include "worker/worker_main.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <sys/prctl.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ipc/log_escape.h"
#include "ipc/message.h"
#include "isolates/engine.h"
#include "isolates/v8_process.h"
#include "logging/journal_log.h"
#include "snapshots/load_environment.h"
#include "snapshots/snapshot_builder.h"
#include "snapshots/snapshot_file.h"
#include "worker/misbehaviour.h"
#include "worker/request_loop.h"
#include "worker/sandbox.h"
#include "worker/worker_options.h"

namespace ssrd::worker {
namespace {

constexpr int kExitFatal = 2;

void SetUpLogging() {
  auto logger = spdlog::stderr_logger_mt("ssrd-worker");
  if (logging::StderrIsJournal()) {
    logging::UseJournalPattern(*logger, "[worker %P] %l: %v");
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e [worker %P] %l: %v");
  }
  spdlog::set_default_logger(std::move(logger));
}

bool WriteHello(int fd, const ipc::Reply& hello) {
  ipc::Result<void> written = WriteReply(fd, hello);
  // Only fails when the supervisor is already gone: nobody is left to tell, so keep stderr quiet.
  if (!written.ok()) spdlog::debug("cannot write hello: {}", written.error().message);
  return written.ok();
}

isolates::EngineOptions EngineOptionsFrom(const WorkerOptions& options) {
  isolates::EngineOptions engine_options;
  engine_options.bundle_path = options.bundle;
  engine_options.heap_limit_mb = options.heap_limit_mb;
  engine_options.node_env = options.node_env;
  engine_options.isolation = *isolates::ParseIsolation(options.isolation);  // checked by CLI11
  return engine_options;
}

// `--build-snapshot`: the verdict is the last stdout line (pool/snapshot_build.h reads it); the
// progress and the reason go to stderr, which the supervisor's log shows.
int BuildSnapshot(const WorkerOptions& options) {
  ipc::Result<std::string> bundle = snapshots::ReadWholeFile(options.bundle);
  if (!bundle.ok()) {
    std::printf("snapshot: cannot read bundle %s\n", options.bundle.c_str());
    return kExitFatal;
  }
  std::string path = snapshots::SnapshotPath(options.snapshot_dir, bundle.value(),
                                              options.node_env, options.isolation,
                                              isolates::V8Version());
  if (snapshots::ReadSnapshotFile(path).ok()) {
    std::printf("snapshot: %s\n", path.c_str());
    return 0;
  }
  snapshots::SourceDigests sources;
  ipc::Result<std::string> blob = snapshots::BuildSnapshotBlob(
      EngineOptionsFrom(options),
      [&] { spdlog::info("building the startup snapshot of {} into {}", options.bundle, path); },
      &sources);
  if (!blob.ok()) {
    // One line whatever the bundle threw: the supervisor reads the last line and logs it.
    std::printf("snapshot: %s%s\n",
                blob.error().code == ipc::ErrorCode::kBundleError ? "" : "unavailable: ",
                ipc::EscapeForLog(blob.error().message).c_str());
    return blob.error().code == ipc::ErrorCode::kBundleError ? kExitFatal : 0;
  }
  if (ipc::Result<void> written = snapshots::WriteSnapshotFile(path, blob.value(), sources);
      !written.ok()) {
    std::printf("snapshot: unavailable: %s\n", written.error().message.c_str());
    return 0;
  }
  std::printf("snapshot: %s\n", path.c_str());
  return 0;
}

// The startup snapshot for this bundle from --snapshot-dir, or "" (then the bundle is evaluated;
// the supervisor already logged why there is none).
std::string FindSnapshot(const WorkerOptions& options) {
  if (!options.snapshot_file.empty()) {
    ipc::Result<std::string> chosen =
        snapshots::ReadSnapshotFile(options.snapshot_file, snapshots::SourceCheck::kIgnoreSources);
    if (chosen.ok()) return std::move(chosen).value();
    spdlog::warn("cannot start from the generation's snapshot ({}); looking in the cache",
                 ipc::EscapeForLog(chosen.error().message));
  }
  if (options.snapshot_dir.empty()) return {};
  ipc::Result<std::string> bundle = snapshots::ReadWholeFile(options.bundle);
  if (!bundle.ok()) return {};  // the engine reports the unreadable bundle
  std::string path = snapshots::SnapshotPath(options.snapshot_dir, bundle.value(),
                                              options.node_env, options.isolation,
                                              isolates::V8Version());
  ipc::Result<std::string> blob = snapshots::ReadSnapshotFile(path);
  if (!blob.ok()) {
    spdlog::debug("no snapshot: {}", blob.error().message);
    return {};
  }
  return std::move(blob).value();
}

// --sandbox seccomp (or --uid/--gid): the bundle's directory, read now, since nothing can be opened
// once the filter is in place, nor perhaps by the user the worker becomes (an import() at render
// time, a source map at the first error).
ipc::Result<std::shared_ptr<const isolates::SourceFiles>> PreloadBundleDirectory(
    const WorkerOptions& options) {
  std::error_code error;
  std::filesystem::path bundle = std::filesystem::absolute(options.bundle, error).lexically_normal();
  if (error) bundle = options.bundle;
  ipc::Result<isolates::PreloadedFiles> preloaded =
      isolates::PreloadFiles(bundle.parent_path().string(), bundle.string());
  if (!preloaded.ok()) return preloaded.error();
  spdlog::debug("sandbox: preloaded {} files ({} bytes) of {}", preloaded->count, preloaded->bytes,
                bundle.parent_path().string());
  if (preloaded->skipped != 0) {
    spdlog::warn("sandbox: {} files of {} were left out past the preload limits ({} files, {} MiB); "
                 "importing them will fail",
                 preloaded->skipped, bundle.parent_path().string(), isolates::kMaxPreloadFiles,
                 isolates::kMaxPreloadBytes >> 20);
  }
  return preloaded->files;
}

// After the bundle is loaded and before the hello: lets the libraries look around, then closes the
// sandbox (sandbox.h).
ipc::Result<void> CloseSandbox(const WorkerOptions& options, isolates::Engine* engine) {
  const bool seccomp = options.sandbox == "seccomp";
  if (seccomp) {
    // A failure means Intl misbehaves in this build: worth a line, not worth refusing to serve.
    if (ipc::Result<void> warmed = engine->WarmUpLibraries(); !warmed.ok()) {
      spdlog::warn("{}", ipc::EscapeForLog(warmed.error().message));
    }
  }
  SandboxOptions sandbox;
  sandbox.seccomp = seccomp;
  sandbox.uid = options.uid;
  sandbox.gid = options.gid;
  sandbox.parent_pid = options.parent_pid;
  return EnterSandbox(sandbox);
}

}  // namespace

int WorkerMain(int argc, char** argv) {
  // First of all: a worker must never outlive its supervisor, even a SIGKILLed one.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Rendering never needs to gain privileges: no set-uid binary, file capability or exec can
  // give this process (or anything a V8 bug lets it start) more than it has now (issue 11, 7).
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  SetUpLogging();

  int exit_code = 0;
  std::optional<WorkerOptions> options = ParseWorkerOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  // The parent may have died between fork and prctl, when no signal was armed yet.
  if (options->parent_pid != 0 && getppid() != options->parent_pid) {
    spdlog::error("parent {} is gone; exiting", options->parent_pid);
    return 1;
  }
  // A supervisor that goes away must show up as a write error, not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  if (options->build_snapshot) {
    // Every function compiled now lands in the snapshot as bytecode (shared by all the contexts
    // made from it), so a worker's first render compiles less (bench_render: ~15% sooner).
    isolates::SetV8FlagsBeforeInitialization(snapshots::kBuilderV8Flags);
    return BuildSnapshot(*options);
  }
  if (options->isolation == "fresh") {
    // Optimised code belongs to the context it was made in and is thrown away with it after one
    // render, while TurboFan's background compiles compete with the renders for the CPU: with a
    // fresh context per render, renders are faster without it (architecture.md, Performance).
    isolates::SetV8FlagsBeforeInitialization("--no-opt");
  }

  isolates::EnsureV8Initialized();
  isolates::EngineOptions engine_options = EngineOptionsFrom(*options);
  engine_options.snapshot_blob = FindSnapshot(*options);
  ipc::Reply hello;  // id 0
  // Also for a mere identity switch: the new user may not be able to read the bundle.
  if (options->sandbox == "seccomp" || options->uid || options->gid) {
    ipc::Result<std::shared_ptr<const isolates::SourceFiles>> files =
        PreloadBundleDirectory(*options);
    if (!files.ok()) {
      hello.error = files.error();
      WriteHello(options->channel_fd, hello);
      return kExitFatal;
    }
    engine_options.files = std::move(files).value();
  }
  bool from_snapshot = !engine_options.snapshot_blob.empty();
  ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(engine_options);
  if (!engine.ok() && from_snapshot) {
    // A snapshot that passed its checksum but that the engine refuses: the bundle itself may
    // still load, and a worker that serves slower beats one that does not start.
    spdlog::warn("cannot start from the snapshot ({}); loading the bundle instead",
                 ipc::EscapeForLog(engine.error().ToString()));
    engine_options.snapshot_blob.clear();
    from_snapshot = false;
    engine = isolates::Engine::Create(engine_options);
  }

  if (!engine.ok()) {
    // The hello carries the reason to the supervisor, which reports it once for the whole pool;
    // logging it here too would print one copy per worker.
    spdlog::debug("cannot load bundle: {}", ipc::EscapeForLog(engine.error().ToString()));
    hello.error = engine.error();
    WriteHello(options->channel_fd, hello);
    return kExitFatal;
  }
  if (ipc::Result<void> closed = CloseSandbox(*options, engine.value().get()); !closed.ok()) {
    hello.error = ipc::MakeError(ipc::ErrorCode::kBundleError,
                                 "worker sandbox: " + closed.error().message);
    spdlog::debug("{}", hello.error->message);
    WriteHello(options->channel_fd, hello);
    return kExitFatal;
  }
  std::optional<Misbehaviour> misbehaviour;
  if (!options->test_misbehave.empty()) misbehaviour = ParseMisbehaviour(options->test_misbehave);
  if (misbehaviour && !misbehaviour->at_render) {
    hello.error = Misbehave(misbehaviour->call);
    spdlog::error("{}", hello.error->message);
    WriteHello(options->channel_fd, hello);
    return kExitFatal;
  }
  for (const ipc::ConsoleLine& line : engine.value()->startup_console()) {
    spdlog::info("[bundle] console.{}: {}", ipc::EscapeForLog(line.level),
                 ipc::EscapeForLog(line.text));
  }
  // Logged before the hello, so that it precedes the supervisor's lines about this worker.
  spdlog::info("ready: bundle {}{}, isolation {}, sandbox {}{}, V8 {}", options->bundle,
               from_snapshot ? " (from its snapshot)" : "", options->isolation, options->sandbox,
               options->uid ? ", uid " + std::to_string(*options->uid) : std::string(),
               isolates::V8Version());
  hello.worker_pid = static_cast<std::uint32_t>(getpid());
  if (!WriteHello(options->channel_fd, hello)) return 0;

  BeforeRender before_render;
  if (misbehaviour) {
    before_render = [call = misbehaviour->call]() -> std::optional<ipc::Error> {
      return Misbehave(call);
    };
  }
  LoopEnd end = RunRequestLoop(options->channel_fd, engine.value().get(),
                               options->max_frame_bytes, options->busy_poll_us,
                               before_render);
  return ExitCode(end);
}

}  // namespace ssrd::worker
