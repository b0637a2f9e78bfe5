// Watches a bundle file and the directory tree it lives in (subfolders included, hidden ones and
// node_modules excluded, at most 256 folders), and reports a change once the files have been
// quiet for a moment.
//
// The directory is watched, not the file: deploy tools and editors replace a file by writing a
// new one and renaming it over the old, which leaves a watch on the old inode silent. Every event
// in the tree restarts a debounce timer; when it fires, a fingerprint (the relative path and a hash
// of the bytes of the bundle and of each .mjs/.js/.cjs/.json/.wasm file in the tree) is compared
// with the
// last one, so a touch, a log file written beside the bundle or an editor's swap file reports
// nothing.
//
// Failure: Start() returns kUnavailable when the directory cannot be watched. Loop thread only;
// the callback must not throw; destroying the watcher at any time is safe.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "ipc/error.h"
#include "pool/timer.h"

namespace ssrd::pool {

class BundleWatcher {
 public:
  static constexpr std::uint64_t kDefaultDebounceMs = 100;

  // on_change runs on the loop after the directory has been quiet for debounce_ms and its
  // fingerprint differs from the previous one.
  static ipc::Result<std::unique_ptr<BundleWatcher>> Start(uv_loop_t* loop,
                                                           const std::string& bundle_path,
                                                           std::function<void()> on_change,
                                                           std::uint64_t debounce_ms =
                                                               kDefaultDebounceMs);
  ~BundleWatcher();
  BundleWatcher(const BundleWatcher&) = delete;
  BundleWatcher& operator=(const BundleWatcher&) = delete;

 private:
  BundleWatcher(uv_loop_t* loop, std::string bundle_path, std::function<void()> on_change,
                std::uint64_t debounce_ms);
  static void OnEvent(uv_fs_event_t* handle, const char* filename, int events, int status) noexcept;
  void OnQuiet() noexcept;
  int Watch(const std::string& dir);  // a libuv error code, 0 on success
  static void Close(uv_fs_event_t* handle);
  void SyncDirectories() noexcept;

  std::string bundle_path_;
  std::string directory_;
  std::function<void()> on_change_;
  std::uint64_t debounce_ms_;
  uv_loop_t* loop_;
  std::map<std::string, uv_fs_event_t*> handles_;  // by directory; each freed in its close_cb
  Timer debounce_;
  std::string fingerprint_;
};

// The fingerprint BundleWatcher compares: exposed for tests.
std::string BundleFingerprint(const std::string& bundle_path);

}  // namespace ssrd::pool
