#include "isolates/utf16_to_utf8.h"

#include <cstring>

namespace ssrd::isolates {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Writes one code point at *at, returns the position after it. `at` has room for 4 bytes.
char* PutCodePoint(char32_t c, char* at) {
  if (c < 0x80) {
    *at++ = static_cast<char>(c);
  } else if (c < 0x800) {
    *at++ = static_cast<char>(0xC0 | (c >> 6));
    *at++ = static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *at++ = static_cast<char>(0xE0 | (c >> 12));
    *at++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *at++ = static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *at++ = static_cast<char>(0xF0 | (c >> 18));
    *at++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    *at++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *at++ = static_cast<char>(0x80 | (c & 0x3F));
  }
  return at;
}

bool IsLead(std::uint16_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool IsTrail(std::uint16_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

bool AllAscii(const std::uint16_t* units) {
  std::uint64_t four;
  std::memcpy(&four, units, sizeof four);
  return (four & 0xFF80FF80FF80FF80ull) == 0;
}

// The exact UTF-8 size, so that the result is allocated once and never longer than it needs.
std::size_t Utf8Size(const std::uint16_t* units, std::size_t length) {
  std::size_t bytes = 0;
  std::size_t i = 0;
  while (i < length) {
    if (i + 4 <= length && AllAscii(units + i)) {
      bytes += 4;
      i += 4;
      continue;
    }
    const std::uint16_t unit = units[i++];
    if (unit < 0x80) {
      bytes += 1;
    } else if (unit < 0x800) {
      bytes += 2;
    } else if (IsLead(unit) && i < length && IsTrail(units[i])) {
      bytes += 4;
      ++i;
    } else {
      bytes += 3;  // the rest of the BMP, and U+FFFD for a lone surrogate
    }
  }
  return bytes;
}

}  // namespace

void AppendUtf16AsUtf8(const std::uint16_t* units, std::size_t length, std::string* out) {
  const std::size_t start = out->size();
  out->resize(start + Utf8Size(units, length));
  char* at = out->data() + start;
  std::size_t i = 0;
  while (i < length) {
    // Runs of ASCII, the bulk of any page, four units at a time.
    while (i + 4 <= length && AllAscii(units + i)) {
      at[0] = static_cast<char>(units[i]);
      at[1] = static_cast<char>(units[i + 1]);
      at[2] = static_cast<char>(units[i + 2]);
      at[3] = static_cast<char>(units[i + 3]);
      at += 4;
      i += 4;
    }
    if (i >= length) break;
    const std::uint16_t unit = units[i++];
    char32_t c = unit;
    if (IsLead(unit) && i < length && IsTrail(units[i])) {
      c = 0x10000 + ((static_cast<char32_t>(unit - 0xD800) << 10) | (units[i++] - 0xDC00));
    } else if (IsLead(unit) || IsTrail(unit)) {
      c = kReplacement;
    }
    at = PutCodePoint(c, at);
  }
}

void AppendLatin1AsUtf8(const std::uint8_t* chars, std::size_t length, std::string* out) {
  std::size_t bytes = length;
  for (std::size_t i = 0; i < length; ++i) bytes += chars[i] >> 7;
  const std::size_t start = out->size();
  out->resize(start + bytes);
  char* at = out->data() + start;
  for (std::size_t i = 0; i < length; ++i) {
    const std::uint8_t c = chars[i];
    if (c < 0x80) {
      *at++ = static_cast<char>(c);
    } else {
      *at++ = static_cast<char>(0xC0 | (c >> 6));
      *at++ = static_cast<char>(0x80 | (c & 0x3F));
    }
  }
}

}  // namespace ssrd::isolates
