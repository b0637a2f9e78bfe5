// Writes source map "mappings" for the tests: an encoder of its own, so that the decoder is checked
// against the format's definition rather than against itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ssrd::isolates::testing {

inline std::string EncodeVlq(std::int64_t value) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::uint64_t bits = value < 0 ? (static_cast<std::uint64_t>(-value) << 1) | 1
                                 : static_cast<std::uint64_t>(value) << 1;
  std::string out;
  do {
    std::uint64_t digit = bits & 31;
    bits >>= 5;
    if (bits != 0) digit |= 32;
    out += kDigits[digit];
  } while (bits != 0);
  return out;
}

// One segment with absolute values: generated column, then (source, line, column) when
// `source` >= 0; lines and columns 0-based, as the format stores them.
struct Seg {
  std::int64_t column;
  std::int64_t source = -1;
  std::int64_t line = 0;
  std::int64_t original_column = 0;
};

// The mappings text for generated lines of segments, relative values computed as the format says.
inline std::string EncodeMappings(const std::vector<std::vector<Seg>>& lines) {
  std::string out;
  std::int64_t source = 0, line = 0, column = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += ';';
    std::int64_t generated = 0;
    for (std::size_t j = 0; j < lines[i].size(); ++j) {
      const Seg& s = lines[i][j];
      if (j > 0) out += ',';
      out += EncodeVlq(s.column - generated);
      generated = s.column;
      if (s.source < 0) continue;
      out += EncodeVlq(s.source - source) + EncodeVlq(s.line - line) +
             EncodeVlq(s.original_column - column);
      source = s.source;
      line = s.line;
      column = s.original_column;
    }
  }
  return out;
}

}  // namespace ssrd::isolates::testing
