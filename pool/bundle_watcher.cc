#include "pool/bundle_watcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

namespace ssrd::pool {
namespace {

std::uint64_t Fnv1a(std::string_view bytes, std::uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

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

std::uint64_t HashOfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Fnv1a(bytes);
}

}  // namespace

std::string BundleFingerprint(const std::string& bundle_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path bundle(bundle_path);
  std::vector<std::string> entries;
  // Contents, not times: a touch or a rewrite with the same bytes reloads nothing.
  for (const auto& entry : fs::directory_iterator(bundle.parent_path(), ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec) || !CanBePartOfTheBundle(entry.path(), bundle)) continue;
    entries.push_back(entry.path().filename().string() + ":" +
                      std::to_string(HashOfFile(entry.path().string())));
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
      debounce_(loop) {}

ipc::Result<std::unique_ptr<BundleWatcher>> BundleWatcher::Start(
    uv_loop_t* loop, const std::string& bundle_path, std::function<void()> on_change,
    std::uint64_t debounce_ms) {
  std::unique_ptr<BundleWatcher> watcher(
      new BundleWatcher(loop, bundle_path, std::move(on_change), debounce_ms));
  watcher->fingerprint_ = BundleFingerprint(bundle_path);
  auto* handle = new uv_fs_event_t;
  uv_fs_event_init(loop, handle);
  handle->data = watcher.get();
  int rc = uv_fs_event_start(handle, &BundleWatcher::OnEvent, watcher->directory_.c_str(), 0);
  if (rc != 0) {
    handle->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_fs_event_t*>(h); });
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot watch " + watcher->directory_ + ": " + uv_strerror(rc));
  }
  watcher->handle_ = handle;
  return watcher;
}

BundleWatcher::~BundleWatcher() {
  if (handle_ == nullptr) return;
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) noexcept { delete reinterpret_cast<uv_fs_event_t*>(h); });
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
  std::string now = BundleFingerprint(bundle_path_);
  if (now == fingerprint_) return;
  fingerprint_ = std::move(now);
  if (on_change_) on_change_();
}

}  // namespace ssrd::pool
