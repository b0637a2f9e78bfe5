#include "isolates/source_map.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "isolates/base64_vlq.h"

namespace ssrd::isolates {
namespace {

using nlohmann::json;

ipc::Error Invalid(const std::string& why) {
  return ipc::MakeError(ipc::ErrorCode::kBundleError, why);
}

// "webpack://app/x.js", "https://…": kept as the map gives them. A Windows drive ("C:/x") is not
// one, nor is a path whose folder names hold "://" after a slash.
bool IsUrl(const std::string& text) {
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos || scheme_end < 2) return false;
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(scheme_end),
                     [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '-' || c == '.'; });
}

std::string ResolveSource(const std::string& root, const std::string& source,
                          const std::string& map_dir) {
  std::string joined = source;
  if (!root.empty() && !IsUrl(source) && source.front() != '/') {
    joined = root.back() == '/' ? root + source : root + "/" + source;
  }
  constexpr std::string_view kFileScheme = "file://";
  if (joined.compare(0, kFileScheme.size(), kFileScheme) == 0) {
    joined.erase(0, kFileScheme.size());
  } else if (IsUrl(joined)) {
    return joined;
  }
  std::filesystem::path path(joined);
  if (path.is_relative()) path = std::filesystem::path(map_dir) / path;
  return path.lexically_normal().string();
}

// Skips the sources' text while parsing: it is most of a map's bytes and a stack never needs it.
bool SkipUnusedMembers(int depth, json::parse_event_t event, json& parsed) {
  if (event != json::parse_event_t::key || depth != 1) return true;
  return parsed != "sourcesContent" && parsed != "names";
}

std::string At(std::size_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

ipc::Result<SourceMap> SourceMap::Parse(std::string_view text, const std::string& map_dir) {
  json map;
  try {
    map = json::parse(text.begin(), text.end(), SkipUnusedMembers, /*allow_exceptions=*/false);
  } catch (const std::exception& e) {  // only allocation failures get here
    return Invalid(std::string("cannot be parsed: ") + e.what());
  }
  if (map.is_discarded()) return Invalid("not valid JSON");
  if (!map.is_object()) return Invalid("not a JSON object");
  if (map.contains("sections")) return Invalid("index maps (sections) are not supported");
  auto version = map.find("version");
  if (version == map.end() || !version->is_number_integer() || version->get<std::int64_t>() != 3) {
    return Invalid("version is not 3");
  }
  auto mappings = map.find("mappings");
  if (mappings == map.end() || !mappings->is_string()) return Invalid("mappings is not a string");
  auto sources = map.find("sources");
  if (sources == map.end() || !sources->is_array()) return Invalid("sources is not an array");
  std::string root;
  if (auto found = map.find("sourceRoot"); found != map.end() && found->is_string()) {
    root = found->get<std::string>();
  }

  SourceMap out;
  out.sources_.reserve(sources->size());
  for (const json& source : *sources) {
    // A null source is allowed (a generated helper); positions in it map to nothing.
    if (source.is_null()) {
      out.sources_.emplace_back();
    } else if (source.is_string() && !source.get_ref<const std::string&>().empty()) {
      out.sources_.push_back(ResolveSource(root, source.get<std::string>(), map_dir));
    } else if (source.is_string()) {
      out.sources_.emplace_back();
    } else {
      return Invalid("sources holds something other than strings");
    }
  }
  if (std::string why = out.DecodeMappings(mappings->get_ref<const std::string&>());
      !why.empty()) {
    return Invalid("mappings: " + why);
  }
  return out;
}

std::string SourceMap::DecodeMappings(std::string_view mappings) {
  const std::size_t total = mappings.size();
  // Every field but the generated column carries over from the previous segment, across lines.
  std::int64_t column = 0, source = 0, original_line = 0, original_column = 0;
  std::int32_t fields[5];
  auto close_line = [this] {
    auto first = segments_.begin() + static_cast<std::ptrdiff_t>(line_starts_.back());
    auto by_column = [](const Segment& a, const Segment& b) { return a.column < b.column; };
    if (!std::is_sorted(first, segments_.end(), by_column)) {
      std::stable_sort(first, segments_.end(), by_column);
    }
  };
  line_starts_.push_back(0);
  while (!mappings.empty()) {
    if (mappings.front() == ';') {
      close_line();
      line_starts_.push_back(segments_.size());
      column = 0;
      mappings.remove_prefix(1);
      continue;
    }
    if (mappings.front() == ',') {
      mappings.remove_prefix(1);
      continue;
    }
    const std::size_t segment_at = total - mappings.size();
    int count = 0;
    while (!mappings.empty() && mappings.front() != ',' && mappings.front() != ';') {
      if (count == 5) return "a segment with more than 5 fields" + At(segment_at);
      if (!ReadBase64Vlq(&mappings, &fields[count])) {
        return "not a base64 VLQ" + At(total - mappings.size());
      }
      ++count;
    }
    if (count != 1 && count != 4 && count != 5) {
      return "a segment with " + std::to_string(count) + " fields" + At(segment_at);
    }
    column += fields[0];
    if (column < 0 || column > 0xfffffffe) return "a negative column" + At(segment_at);
    Segment segment{static_cast<std::uint32_t>(column), kNoSource, 0, 0};
    if (count >= 4) {
      source += fields[1];
      original_line += fields[2];
      original_column += fields[3];
      if (source < 0 || static_cast<std::uint64_t>(source) >= sources_.size()) {
        return "a source index out of range" + At(segment_at);
      }
      if (original_line < 0 || original_line > 0xfffffffe || original_column < 0 ||
          original_column > 0xfffffffe) {
        return "an original position out of range" + At(segment_at);
      }
      segment.source = static_cast<std::uint32_t>(source);
      segment.original_line = static_cast<std::uint32_t>(original_line);
      segment.original_column = static_cast<std::uint32_t>(original_column);
    }
    segments_.push_back(segment);
  }
  close_line();
  line_starts_.push_back(segments_.size());
  return {};
}

std::optional<OriginalPosition> SourceMap::Lookup(std::uint32_t line, std::uint32_t column) const {
  if (line == 0 || column == 0 || line >= line_starts_.size()) return std::nullopt;
  auto first = segments_.begin() + static_cast<std::ptrdiff_t>(line_starts_[line - 1]);
  auto last = segments_.begin() + static_cast<std::ptrdiff_t>(line_starts_[line]);
  const std::uint32_t wanted = column - 1;
  auto after = std::upper_bound(first, last, wanted,
                                [](std::uint32_t c, const Segment& s) { return c < s.column; });
  if (after == first) return std::nullopt;
  const Segment& segment = *(after - 1);
  if (segment.source == kNoSource || sources_[segment.source].empty()) return std::nullopt;
  return OriginalPosition{sources_[segment.source], segment.original_line + 1,
                          segment.original_column + 1};
}

}  // namespace ssrd::isolates
