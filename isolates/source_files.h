// Where the engine reads the bundle's own files: the module loader (static and dynamic imports)
// and the stack mapper (source maps, and the facts it checks about them).
//
// DiskFiles() reads the file system at every call, as the engine always did. PreloadFiles() reads
// the bundle's directory once, into memory, and answers from there without a system call: a
// worker sandboxed by seccomp (worker/sandbox.h) can no longer open() or stat() anything, yet
// dynamic import() and source-mapped stacks must keep working there (docs/operations.md, "What a
// worker can do").
//
// What is preloaded: every regular file under the root (files reached through symbolic links
// included, each directory once) whose name ends in one of kPreloadedExtensions, plus `also`
// (the bundle itself, whatever its name), except inside hidden folders and node_modules (the
// bundle watcher skips the same). At most kMaxPreloadFiles files and kMaxPreloadBytes bytes:
// past that, the rest is left out and Skipped() says how many; a read of a file left out fails
// with a message saying so, so an import() of it fails naming the reason.
//
// Thread-safety: both kinds are immutable once made; any thread may call them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "ipc/error.h"

namespace ssrd::isolates {

struct FileFacts {
  bool exists = false;
  bool regular = false;  // a regular file (after following symbolic links)
  std::uintmax_t size = 0;
  std::filesystem::file_time_type written{};
  std::string error;  // why a file that may exist could not be looked at ("" otherwise)
};

class SourceFiles {
 public:
  virtual ~SourceFiles() = default;
  // The whole file at absolute `path`, or kBundleError with strerror's text ("No such file or
  // directory", "Is a directory", …) as the message.
  virtual ipc::Result<std::string> Read(const std::string& path) const = 0;
  // The last `bytes` bytes of the file (all of it if shorter); the same errors as Read.
  virtual ipc::Result<std::string> ReadTail(const std::string& path, std::size_t bytes) const = 0;
  virtual FileFacts Stat(const std::string& path) const = 0;
  // `path` with symbolic links resolved, like std::filesystem::weakly_canonical; "" on error.
  virtual std::string RealPath(const std::string& path) const = 0;
  // True for the in-memory kind.
  virtual bool preloaded() const = 0;
};

// The file system itself. One shared instance.
std::shared_ptr<const SourceFiles> DiskFiles();

inline constexpr std::string_view kPreloadedExtensions[] = {".mjs", ".js",   ".cjs",
                                                            ".json", ".wasm", ".map"};
inline constexpr std::size_t kMaxPreloadFiles = 20000;
inline constexpr std::uint64_t kMaxPreloadBytes = 512ull << 20;

struct PreloadedFiles {
  std::shared_ptr<const SourceFiles> files;
  std::size_t count = 0;       // files held
  std::uint64_t bytes = 0;     // their size
  std::size_t skipped = 0;     // files left out past the limits
};

// Reads `root` (an absolute directory) as the header says. Fails (kBundleError) only when `root`
// itself cannot be listed; unreadable files inside are left out as if absent.
ipc::Result<PreloadedFiles> PreloadFiles(const std::string& root, const std::string& also,
                                         std::size_t max_files = kMaxPreloadFiles,
                                         std::uint64_t max_bytes = kMaxPreloadBytes);

}  // namespace ssrd::isolates
