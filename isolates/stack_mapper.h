// Shows a JS stack in the bundle's original sources, through the source maps that came with it.
//
// A frame ("    at f (FILE:L:C)" or "    at FILE:L:C") whose FILE is in the bundle's directory and
// has a source map covering L:C becomes "    at f (SOURCE:l:c) [FILE:L:C]": the original
// position where a reader looks first, the position V8 ran kept beside it (docs/protocol.md,
// "Errors"). Every other line stays as it was.
//
// FILE's map is the file its last-line `//# sourceMappingURL=` comment names (relative to FILE,
// and inside the bundle's directory), else FILE.map beside it (esbuild's --sourcemap writes both).
// A file without either is simply not mapped. A map is looked for, read and parsed the first time
// a stack names its file, and never again: the result (a map, or none) is kept for the life of
// the mapper, which is that of the engine, so once per worker and bundle generation. Nothing here
// runs unless an error has a stack.
//
// A map that cannot be used (unreadable, over max_map_bytes, not a valid v3 map, outside the
// bundle's directory, or written after the mapper was made, which means it may describe code
// this worker is not running; the same for FILE itself) leaves its frames as they were and gives
// one warning for TakeWarnings(), once per map.
//
// Pure C++ (no V8): it reads files, through the SourceFiles it is given (source_files.h: the disk,
// or the bundle's directory preloaded before a worker's sandbox closed, so that a sandboxed worker
// maps stacks without a system call), and rewrites text. Not thread-safe; one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "isolates/source_files.h"

namespace ssrd::isolates {

class SourceMap;

class StackMapper {
 public:
  // Parsing is the cost of the first error that needs a map (tens of ms per MB of map, mostly
  // sourcesContent skipped by the JSON reader); past this the error keeps V8's positions.
  static constexpr std::size_t kDefaultMaxMapBytes = 32 * 1024 * 1024;

  // `bundle_dir`: absolute; only files under it are mapped and only maps under it are read.
  // Files or maps modified after `loaded_at` (when the engine read the bundle) are not trusted.
  // `files`: where files are read; null = the disk.
  StackMapper(std::string bundle_dir, std::filesystem::file_time_type loaded_at,
              std::size_t max_map_bytes = kDefaultMaxMapBytes,
              std::shared_ptr<const SourceFiles> files = nullptr);
  ~StackMapper();
  StackMapper(const StackMapper&) = delete;
  StackMapper& operator=(const StackMapper&) = delete;

  std::string Map(std::string_view stack);

  // Source maps read and parsed since construction (successfully or not).
  std::uint64_t maps_read() const { return maps_read_; }
  // Why maps could not be used, one line each, each said once; the call clears them.
  std::vector<std::string> TakeWarnings() { return std::move(warnings_); }

 private:
  // The map of the generated file at `path`, or null (none, or unusable: a warning says why).
  const SourceMap* MapOf(const std::string& path);
  std::unique_ptr<SourceMap> FindMap(const std::string& path);
  std::unique_ptr<SourceMap> ReadMap(const std::string& map_path, const std::string& file);
  // "" when `path` is a regular file under bundle_dir_ written before loaded_at_, else why not.
  std::string Untrusted(const std::filesystem::path& path) const;
  bool Inside(const std::filesystem::path& path) const;

  std::shared_ptr<const SourceFiles> files_;
  std::string bundle_dir_;
  std::filesystem::file_time_type loaded_at_;
  std::size_t max_map_bytes_;
  std::map<std::string, std::unique_ptr<SourceMap>> by_file_;  // null: looked, none to use
  std::uint64_t maps_read_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace ssrd::isolates
