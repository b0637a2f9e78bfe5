#include "isolates/source_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

namespace ssrd::isolates {
namespace {

namespace fs = std::filesystem;

// Symbolic links may make a directory its own descendant; each is walked once, and never deeper.
constexpr int kMaxDepth = 32;

ipc::Error Failure(int error_number, const std::string& note = {}) {
  return ipc::MakeError(ipc::ErrorCode::kBundleError, std::strerror(error_number) + note);
}

std::string Normal(const std::string& path) { return fs::path(path).lexically_normal().string(); }

class Disk final : public SourceFiles {
 public:
  ipc::Result<std::string> Read(const std::string& path) const override {
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) return Failure(errno != 0 ? errno : ENOENT);
    std::error_code error;
    if (fs::is_directory(path, error)) return Failure(EISDIR);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) return Failure(errno != 0 ? errno : EIO);
    return std::move(buffer).str();
  }

  ipc::Result<std::string> ReadTail(const std::string& path, std::size_t bytes) const override {
    errno = 0;
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) return Failure(errno != 0 ? errno : ENOENT);
    const std::streamoff size = in.tellg();
    if (size < 0) return Failure(EISDIR);
    const std::streamoff from =
        size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
    in.seekg(from);
    std::string tail(static_cast<std::size_t>(size - from), '\0');
    if (!in.read(tail.data(), static_cast<std::streamsize>(tail.size()))) return Failure(EIO);
    return tail;
  }

  FileFacts Stat(const std::string& path) const override {
    FileFacts facts;
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (error || !fs::exists(status)) {
      if (error && error != std::errc::no_such_file_or_directory) facts.error = error.message();
      return facts;
    }
    facts.exists = true;
    facts.regular = fs::is_regular_file(status);
    facts.written = fs::last_write_time(path, error);
    if (error) facts.error = error.message();
    if (facts.regular) {
      facts.size = fs::file_size(path, error);
      if (error) facts.error = error.message();
    }
    return facts;
  }

  std::string RealPath(const std::string& path) const override {
    std::error_code error;
    fs::path real = fs::weakly_canonical(path, error);
    return error ? std::string() : real.string();
  }

  bool preloaded() const override { return false; }
};

class Memory final : public SourceFiles {
 public:
  struct File {
    std::string bytes;
    fs::file_time_type written;
    std::string real;
  };

  ipc::Result<std::string> Read(const std::string& path) const override {
    const std::string normal = Normal(path);
    if (auto file = files_.find(normal); file != files_.end()) return file->second.bytes;
    return Missing(normal);
  }

  ipc::Result<std::string> ReadTail(const std::string& path, std::size_t bytes) const override {
    const std::string normal = Normal(path);
    auto file = files_.find(normal);
    if (file == files_.end()) return Missing(normal);
    const std::string& all = file->second.bytes;
    return all.size() > bytes ? all.substr(all.size() - bytes) : all;
  }

  FileFacts Stat(const std::string& path) const override {
    FileFacts facts;
    const std::string normal = Normal(path);
    if (auto file = files_.find(normal); file != files_.end()) {
      facts.exists = facts.regular = true;
      facts.size = file->second.bytes.size();
      facts.written = file->second.written;
    } else if (directories_.count(normal) != 0) {
      facts.exists = true;
    }
    return facts;
  }

  std::string RealPath(const std::string& path) const override {
    // The longest known prefix is resolved; the rest is taken as written (weakly_canonical's
    // rule for a path whose tail does not exist).
    fs::path normal = fs::path(path).lexically_normal();
    fs::path rest;
    for (fs::path at = normal; !at.empty(); at = at.parent_path()) {
      const std::string key = at.string();
      const std::string* real = nullptr;
      if (auto file = files_.find(key); file != files_.end()) real = &file->second.real;
      if (auto dir = directories_.find(key); dir != directories_.end()) real = &dir->second;
      if (real != nullptr) {
        // `/ ""` would add a trailing separator.
        return rest.empty() ? *real : (fs::path(*real) / rest).lexically_normal().string();
      }
      if (at == at.parent_path()) break;
      rest = rest.empty() ? at.filename() : at.filename() / rest;
    }
    return normal.string();
  }

  bool preloaded() const override { return true; }

  std::map<std::string, File> files_;
  std::map<std::string, std::string> directories_;  // lexical path -> real path
  std::set<std::string> skipped_;

 private:
  ipc::Error Missing(const std::string& normal) const {
    if (directories_.count(normal) != 0) return Failure(EISDIR);
    if (skipped_.count(normal) != 0) {
      return Failure(EFBIG, " (left out of the files read before the worker's sandbox closed: "
                            "the bundle's directory is over the preload limits)");
    }
    return Failure(ENOENT);
  }
};

bool Preloadable(const fs::path& path) {
  const std::string name = path.filename().string();
  for (std::string_view extension : kPreloadedExtensions) {
    if (name.size() > extension.size() &&
        name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
      return true;
    }
  }
  return false;
}

struct Walk {
  Memory* memory;
  std::size_t max_files;
  std::uint64_t max_bytes;
  PreloadedFiles* result;
  std::set<std::string> walked;  // real paths of the directories already listed

  void Add(const fs::path& path) {
    const std::string key = path.lexically_normal().string();
    if (memory->files_.count(key) != 0) return;
    std::error_code error;
    const std::uintmax_t size = fs::file_size(path, error);
    if (error) return;  // gone, or unreadable: as if absent
    if (result->count >= max_files || result->bytes + size > max_bytes) {
      memory->skipped_.insert(key);
      ++result->skipped;
      return;
    }
    Memory::File file;
    file.written = fs::last_write_time(path, error);
    if (error) return;
    ipc::Result<std::string> bytes = DiskFiles()->Read(key);
    if (!bytes.ok()) return;
    file.bytes = std::move(bytes).value();
    file.real = DiskFiles()->RealPath(key);
    result->bytes += file.bytes.size();
    ++result->count;
    memory->files_.emplace(key, std::move(file));
  }

  void Directory(const fs::path& dir, int depth) {
    const std::string real = DiskFiles()->RealPath(dir.string());
    memory->directories_.emplace(dir.lexically_normal().string(), real);
    if (depth > kMaxDepth || real.empty() || !walked.insert(real).second) return;
    std::error_code error;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, error), end;
         !error && it != end; it.increment(error)) {
      const fs::path& path = it->path();
      const std::string name = path.filename().string();
      if (name.empty() || name[0] == '.' || name == "node_modules") continue;
      std::error_code status_error;
      const fs::file_status status = fs::status(path, status_error);  // follows links
      if (status_error) continue;
      if (fs::is_directory(status)) {
        Directory(path, depth + 1);
      } else if (fs::is_regular_file(status) && Preloadable(path)) {
        Add(path);
      }
    }
  }
};

}  // namespace

std::shared_ptr<const SourceFiles> DiskFiles() {
  static const std::shared_ptr<const SourceFiles> disk = std::make_shared<Disk>();
  return disk;
}

ipc::Result<PreloadedFiles> PreloadFiles(const std::string& root, const std::string& also,
                                         std::size_t max_files, std::uint64_t max_bytes) {
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    return ipc::MakeError(ipc::ErrorCode::kBundleError,
                          "cannot read the bundle's directory " + root + ": " +
                              (error ? error.message() : std::string("not a directory")));
  }
  auto memory = std::make_shared<Memory>();
  PreloadedFiles result;
  Walk walk{memory.get(), max_files, max_bytes, &result, {}};
  std::string top = Normal(root);
  while (top.size() > 1 && top.back() == '/') top.pop_back();
  walk.Directory(fs::path(top), 0);
  if (!also.empty()) walk.Add(fs::path(also));
  result.files = std::move(memory);
  return result;
}

}  // namespace ssrd::isolates
