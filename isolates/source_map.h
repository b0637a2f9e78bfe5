// A parsed source map (v3, as esbuild, Vite, webpack and tsc write them): where a position of a
// generated file came from in the original sources. Pure C++ (no V8); any thread once built.
//
// Only what a stack needs is kept: the sources' paths and the mappings, decoded once into a table
// of segments per generated line. sourcesContent (most of a map's bytes) is skipped while
// parsing, and names are not used. Index maps ("sections") are refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"

namespace ssrd::isolates {

struct OriginalPosition {
  std::string source;  // the source's path, resolved (see Parse), or its URL as the map gives it
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, in UTF-16 code units (as V8 counts)
};

class SourceMap {
 public:
  // `json` is the map's text, `map_dir` the directory of the map file: a relative source
  // (sourceRoot + source) resolves against it into a normal absolute path; a source that is a URL
  // ("webpack://app/x.js") is kept as it is. Failure: kBundleError saying what is wrong ("not
  // valid JSON", "version is not 3", "index maps (sections) are not supported", "mappings: …").
  static ipc::Result<SourceMap> Parse(std::string_view json, const std::string& map_dir);

  // The original position of the generated `line`:`column` (1-based, as a V8 stack shows them):
  // the last mapping of that line at or before the column. nullopt when none covers it or it names
  // no source.
  std::optional<OriginalPosition> Lookup(std::uint32_t line, std::uint32_t column) const;

  std::size_t segment_count() const { return segments_.size(); }

 private:
  struct Segment {
    std::uint32_t column;           // generated, 0-based
    std::uint32_t source;           // index into sources_, or kNoSource
    std::uint32_t original_line;    // 0-based
    std::uint32_t original_column;  // 0-based
  };
  static constexpr std::uint32_t kNoSource = 0xffffffffu;

  // Decodes `mappings` into segments_ and line_starts_; "" or why it is malformed.
  std::string DecodeMappings(std::string_view mappings);

  std::vector<std::string> sources_;
  std::vector<Segment> segments_;          // by generated line, then column
  std::vector<std::size_t> line_starts_;   // generated line i: segments_[line_starts_[i], [i+1])
};

}  // namespace ssrd::isolates
