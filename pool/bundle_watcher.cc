#include "pool/bundle_watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "ipc/digest.h"

namespace ssrd::pool {
namespace {

// Files a bundle can load: the bundle itself and its siblings with a script or data extension.
// Everything else (logs, editors' swap files, sockets) is ignored, so a daemon whose log lives
// beside its bundle does not reload itself.
bool CanBePartOfTheBundle(const std::filesystem::path& file, const std::filesystem::path& bundle) {
  if (file.filename() == bundle.filename()) return true;
  static const char* const kExtensions[] = {".mjs", ".js", ".cjs", ".json", ".wasm"};
  std::string ext = file.extension().string();
  for (const char* known : kExtensions) {
    if (ext == known) return true;
  }
  return false;
}

// The bundle's directory and every folder below it (chunks live in assets/, chunks/, …), but
// not hidden ones or node_modules (a bundle includes its dependencies; a tree of thousands of
// folders would cost a watch each). Bounded, so a bundle beside a huge tree cannot exhaust the
// inotify watches.
constexpr std::size_t kMaxDirectories = 256;

bool SkippedDirectory(const std::filesystem::path& dir) {
  std::string name = dir.filename().string();
  return name.empty() || name[0] == '.' || name == "node_modules";
}

std::vector<std::string> DirectoriesOf(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<std::string> dirs = {root};
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_directory(entry_ec) || it->is_symlink(entry_ec)) continue;
    if (SkippedDirectory(it->path())) {
      it.disable_recursion_pending();
      continue;
    }
    if (dirs.size() >= kMaxDirectories) break;
    dirs.push_back(it->path().string());
  }
  return dirs;
}

std::uint64_t HashOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ipc::Digest(bytes);
}

}  // namespace

std::string BundleFingerprint(const std::string& bundle_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path bundle(bundle_path);
  std::vector<std::string> entries;
  fs::path root = bundle.parent_path();
  // Contents, not times: a touch or a rewrite with the same bytes reloads nothing.
  for (const std::string& dir : DirectoriesOf(root.string())) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      std::error_code entry_ec;
      if (!entry.is_regular_file(entry_ec) || !CanBePartOfTheBundle(entry.path(), bundle)) continue;
      entries.push_back(entry.path().lexically_relative(root).string() + ":" +
                        std::to_string(HashOfFile(entry.path().string())));
    }
  }
  std::sort(entries.begin(), entries.end());
  std::string fingerprint;
  for (const auto& e : entries) fingerprint += e + "\n";
  return fingerprint;
}

BundleWatcher::BundleWatcher(uv_loop_t* loop, std::string bundle_path,
                             std::function<void()> on_change, std::uint64_t debounce_ms)
    : bundle_path_(std::move(bundle_path)),
      directory_(std::filesystem::path(bundle_path_).parent_path().string()),
      on_change_(std::move(on_change)),
      debounce_ms_(debounce_ms),
      loop_(loop),
      debounce_(loop) {}

ipc::Result<std::unique_ptr<BundleWatcher>> BundleWatcher::Start(
    uv_loop_t* loop, const std::string& bundle_path, std::function<void()> on_change,
    std::uint64_t debounce_ms) {
  std::unique_ptr<BundleWatcher> watcher(
      new BundleWatcher(loop, bundle_path, std::move(on_change), debounce_ms));
  watcher->fingerprint_ = BundleFingerprint(bundle_path);
  if (int rc = watcher->Watch(watcher->directory_); rc != 0) {
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot watch " + watcher->directory_ + ": " + uv_strerror(rc));
  }
  watcher->SyncDirectories();
  return watcher;
}

int BundleWatcher::Watch(const std::string& dir) {
  auto* handle = new uv_fs_event_t;
  uv_fs_event_init(loop_, handle);
  handle->data = this;
  int rc = uv_fs_event_start(handle, &BundleWatcher::OnEvent, dir.c_str(), 0);
  if (rc != 0) {
    handle->data = nullptr;
    Close(handle);
    return rc;
  }
  handles_[dir] = handle;
  return 0;
}

void BundleWatcher::Close(uv_fs_event_t* handle) {
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_fs_event_t*>(h); });
}

// Folders come and go with deploys: watches follow them (a new folder's first files are caught by
// the event of its creation in the folder above, and the fingerprint then covers them).
void BundleWatcher::SyncDirectories() noexcept {
  std::vector<std::string> now = DirectoriesOf(directory_);
  for (auto it = handles_.begin(); it != handles_.end();) {
    if (it->first != directory_ && std::find(now.begin(), now.end(), it->first) == now.end()) {
      Close(it->second);
      it = handles_.erase(it);
    } else {
      ++it;
    }
  }
  for (const std::string& dir : now) {
    if (handles_.count(dir) != 0) continue;
    if (int rc = Watch(dir); rc != 0) spdlog::warn("cannot watch {}: {}", dir, uv_strerror(rc));
  }
}

BundleWatcher::~BundleWatcher() {
  for (auto& [dir, handle] : handles_) Close(handle);
}

void BundleWatcher::OnEvent(uv_fs_event_t* handle, const char* /*filename*/, int /*events*/,
                            int status) noexcept {
  auto* self = static_cast<BundleWatcher*>(handle->data);
  if (self == nullptr) return;
  if (status < 0) {
    spdlog::warn("watching {}: {}", self->directory_, uv_strerror(status));
    return;
  }
  self->debounce_.Start(self->debounce_ms_, [self] { self->OnQuiet(); });
}

void BundleWatcher::OnQuiet() noexcept {
  SyncDirectories();
  std::string now = BundleFingerprint(bundle_path_);
  if (now == fingerprint_) return;
  fingerprint_ = std::move(now);
  if (on_change_) on_change_();
}

}  // namespace ssrd::pool
