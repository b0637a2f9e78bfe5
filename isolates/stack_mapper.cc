#include "isolates/stack_mapper.h"

#include <cctype>
#include <optional>
#include <system_error>
#include <utility>

#include "isolates/source_map.h"

namespace ssrd::isolates {
namespace {

namespace fs = std::filesystem;

// Distinct files a stack may name are few (the bundle's files); past this many, a bundle that
// makes up frames (eval) is not given a lookup per made-up name.
constexpr std::size_t kMaxFilesRemembered = 1024;
// The sourceMappingURL comment is on the file's last line: only this much of its end is read.
constexpr std::size_t kCommentSearchBytes = 4096;

struct Frame {
  std::size_t location_at = 0;  // where FILE:L:C starts in the line
  std::size_t location_end = 0;  // one past it
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

// A positive decimal number that fits in 32 bits.
std::optional<std::uint32_t> Number(std::string_view digits) {
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value == 0 ? std::nullopt : std::optional<std::uint32_t>(value);
}

// The FILE:L:C of a V8 frame line whose FILE starts with `dir_slash`.
std::optional<Frame> FindFrame(std::string_view line, const std::string& dir_slash) {
  const std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line.compare(first, 3, "at ") != 0) return std::nullopt;
  const std::size_t at = line.rfind(dir_slash);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const char before = line[at - 1];
  if (before != '(' && before != ' ') return std::nullopt;
  std::size_t end = line.size();
  if (end > at && line[end - 1] == '\r') --end;
  if (before == '(') {
    if (end == at || line[end - 1] != ')') return std::nullopt;
    --end;
  }
  std::string_view location = line.substr(at, end - at);
  const std::size_t column_colon = location.rfind(':');
  if (column_colon == std::string_view::npos || column_colon == 0) return std::nullopt;
  const std::size_t line_colon = location.rfind(':', column_colon - 1);
  if (line_colon == std::string_view::npos) return std::nullopt;
  auto line_number = Number(location.substr(line_colon + 1, column_colon - line_colon - 1));
  auto column_number = Number(location.substr(column_colon + 1));
  if (!line_number || !column_number) return std::nullopt;
  Frame frame;
  frame.location_at = at;
  frame.location_end = end;
  frame.file = std::string(location.substr(0, line_colon));
  frame.line = *line_number;
  frame.column = *column_number;
  return frame;
}

// The value of the last `//# sourceMappingURL=` (or the older `//@`) comment in `tail`; "" if none.
std::string SourceMappingUrl(std::string_view tail) {
  constexpr std::string_view kKey = "sourceMappingURL=";
  for (std::size_t at = tail.rfind(kKey); at != std::string_view::npos && at >= 4;
       at = at == 0 ? std::string_view::npos : tail.rfind(kKey, at - 1)) {
    std::string_view lead = tail.substr(at - 4, 4);
    if (lead != "//# " && lead != "//@ ") continue;
    std::size_t start = at + kKey.size();
    std::size_t end = start;
    while (end < tail.size() && !std::isspace(static_cast<unsigned char>(tail[end]))) ++end;
    return std::string(tail.substr(start, end - start));
  }
  return {};
}

bool HasScheme(const std::string& url) {
  const std::size_t colon = url.find(':');
  if (colon == std::string::npos || colon < 2) return false;
  for (std::size_t i = 0; i < colon; ++i) {
    const auto c = static_cast<unsigned char>(url[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string Unmapped(const std::string& file) {
  return "; stack positions in " + file + " stay as V8 reports them";
}

}  // namespace

StackMapper::StackMapper(std::string bundle_dir, fs::file_time_type loaded_at,
                         std::size_t max_map_bytes, std::shared_ptr<const SourceFiles> files)
    : files_(files ? std::move(files) : DiskFiles()),
      bundle_dir_(fs::path(std::move(bundle_dir)).lexically_normal().string()),
      loaded_at_(loaded_at),
      max_map_bytes_(max_map_bytes) {
  while (bundle_dir_.size() > 1 && bundle_dir_.back() == '/') bundle_dir_.pop_back();
}

StackMapper::~StackMapper() = default;

std::string StackMapper::Map(std::string_view stack) {
  const std::string dir_slash = bundle_dir_ == "/" ? "/" : bundle_dir_ + "/";
  std::string out;
  out.reserve(stack.size() + 256);
  while (!stack.empty()) {
    const std::size_t newline = stack.find('\n');
    const std::size_t line_end = newline == std::string_view::npos ? stack.size() : newline;
    std::string_view line = stack.substr(0, line_end);
    std::optional<Frame> frame = FindFrame(line, dir_slash);
    const SourceMap* map = frame ? MapOf(frame->file) : nullptr;
    std::optional<OriginalPosition> original;
    if (map != nullptr) original = map->Lookup(frame->line, frame->column);
    if (original) {
      out.append(line.substr(0, frame->location_at));
      out += original->source + ":" + std::to_string(original->line) + ":" +
             std::to_string(original->column);
      out.append(line.substr(frame->location_end));
      out += " [";
      out.append(line.substr(frame->location_at, frame->location_end - frame->location_at));
      out += "]";
    } else {
      out.append(line);
    }
    if (newline == std::string_view::npos) break;
    out += '\n';
    stack.remove_prefix(newline + 1);
  }
  return out;
}

const SourceMap* StackMapper::MapOf(const std::string& path) {
  auto found = by_file_.find(path);
  if (found != by_file_.end()) return found->second.get();
  if (by_file_.size() >= kMaxFilesRemembered) return nullptr;
  std::unique_ptr<SourceMap> map = FindMap(path);
  return by_file_.emplace(path, std::move(map)).first->second.get();
}

bool StackMapper::Inside(const fs::path& path) const {
  const std::string normal = path.lexically_normal().string();
  if (normal.size() <= bundle_dir_.size() || normal.compare(0, bundle_dir_.size(), bundle_dir_) != 0 ||
      (bundle_dir_ != "/" && normal[bundle_dir_.size()] != '/')) {
    return false;
  }
  // A symbolic link inside the directory may still lead out of it.
  const std::string real_text = files_->RealPath(path.string());
  const std::string real_dir_text = files_->RealPath(bundle_dir_);
  if (real_text.empty() || real_dir_text.empty()) return false;
  return real_text.size() > real_dir_text.size() &&
         real_text.compare(0, real_dir_text.size(), real_dir_text) == 0 &&
         (real_dir_text == "/" || real_text[real_dir_text.size()] == '/');
}

std::string StackMapper::Untrusted(const fs::path& path) const {
  const FileFacts facts = files_->Stat(path.string());
  if (!facts.exists) {
    return "cannot be read: " + (facts.error.empty() ? std::string("no such file") : facts.error);
  }
  if (!facts.regular) return "is not a regular file";
  if (!facts.error.empty()) return "cannot be read: " + facts.error;
  if (facts.written > loaded_at_) return "changed on disk after this worker loaded the bundle";
  return {};
}

std::unique_ptr<SourceMap> StackMapper::FindMap(const std::string& file) {
  // Not a file of the bundle (or a name a frame made up): nothing to say.
  if (!Inside(file) || !files_->Stat(file).regular) return nullptr;
  if (std::string why = Untrusted(file); !why.empty()) {
    warnings_.push_back(file + " " + why + Unmapped(file));
    return nullptr;
  }
  ipc::Result<std::string> tail = files_->ReadTail(file, kCommentSearchBytes);
  const std::string url = tail.ok() ? SourceMappingUrl(tail.value()) : std::string();
  const std::string beside = file + ".map";
  if (url.empty()) {
    return files_->Stat(beside).exists ? ReadMap(beside, file) : nullptr;
  }
  if (url.compare(0, 5, "data:") == 0) {
    if (files_->Stat(beside).exists) return ReadMap(beside, file);
    warnings_.push_back("the source map of " + file +
                        " is inline (a data: URL), which is not read; use an external map "
                        "(esbuild --sourcemap)" + Unmapped(file));
    return nullptr;
  }
  std::string target = url;
  if (target.compare(0, 7, "file://") == 0) {
    target.erase(0, 7);
  } else if (HasScheme(target)) {
    warnings_.push_back(file + " names its source map by URL (" + url +
                        "); only files in the bundle's directory are read" + Unmapped(file));
    return nullptr;
  }
  fs::path map_path(target);
  if (map_path.is_relative()) map_path = fs::path(file).parent_path() / map_path;
  return ReadMap(map_path.lexically_normal().string(), file);
}

std::unique_ptr<SourceMap> StackMapper::ReadMap(const std::string& map_path,
                                                const std::string& file) {
  auto refuse = [&](const std::string& why) {
    warnings_.push_back("source map " + map_path + " " + why + Unmapped(file));
    return nullptr;
  };
  if (!Inside(map_path)) return refuse("is outside the bundle's directory " + bundle_dir_);
  if (std::string why = Untrusted(map_path); !why.empty()) return refuse(why);
  const std::uintmax_t size = files_->Stat(map_path).size;
  if (size > max_map_bytes_) {
    return refuse("is " + std::to_string(size) + " bytes, over the limit of " +
                  std::to_string(max_map_bytes_));
  }
  ipc::Result<std::string> text = files_->Read(map_path);
  if (!text.ok()) return refuse("cannot be read: " + text.error().message);
  if (text->size() > max_map_bytes_) return refuse("grew past the limit while being read");
  ++maps_read_;
  ipc::Result<SourceMap> parsed =
      SourceMap::Parse(*text, fs::path(map_path).parent_path().string());
  if (!parsed.ok()) return refuse("is not a usable source map: " + parsed.error().message);
  return std::make_unique<SourceMap>(std::move(parsed.value()));
}

}  // namespace ssrd::isolates
