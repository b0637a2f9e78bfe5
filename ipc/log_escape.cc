#include "ipc/log_escape.h"

#include <cstdint>

namespace ssrd::ipc {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHexByte(std::string* out, unsigned char byte) {
  *out += "\\x";
  *out += kHex[byte >> 4];
  *out += kHex[byte & 0xf];
}

void AppendUnicodeEscape(std::string* out, std::uint32_t code_point) {
  *out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) *out += kHex[(code_point >> shift) & 0xf];
}

// Length of the well-formed UTF-8 sequence at text[i] (2 to 4), or 0 if there is none; the code
// point goes to *code_point.
std::size_t Utf8Sequence(std::string_view text, std::size_t i, std::uint32_t* code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length;
  std::uint32_t cp;
  std::uint32_t min;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2, cp = lead & 0x1f, min = 0x80;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3, cp = lead & 0x0f, min = 0x800;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  *code_point = cp;
  return length;
}

}  // namespace

std::string EscapeForLog(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(text.size() < max_bytes ? text.size() + 16 : max_bytes + 32);
  std::size_t i = 0;
  while (i < text.size() && out.size() < max_bytes) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      AppendHexByte(&out, c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      std::uint32_t code_point = 0;
      std::size_t length = Utf8Sequence(text, i, &code_point);
      if (length == 0) {
        AppendHexByte(&out, c);
      } else {
        if (code_point <= 0x9f || code_point == 0x2028 || code_point == 0x2029) {
          AppendUnicodeEscape(&out, code_point);
        } else {
          out.append(text.substr(i, length));
        }
        i += length;
        continue;
      }
    }
    ++i;
  }
  if (i < text.size()) {
    out += "\xe2\x80\xa6 (" + std::to_string(text.size() - i) + " more bytes)";
  }
  return out;
}

}  // namespace ssrd::ipc
