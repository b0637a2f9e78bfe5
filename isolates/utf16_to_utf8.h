// UTF-16 (and Latin-1) to UTF-8, for turning a rendered page into bytes without asking V8 to
// flatten it first. A lone surrogate becomes U+FFFD, as v8::String::WriteUtf8 with
// REPLACE_INVALID_UTF8 does. Pure; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ssrd::isolates {

// Appends the UTF-8 form of `length` UTF-16 code units to *out.
void AppendUtf16AsUtf8(const std::uint16_t* units, std::size_t length, std::string* out);
// Appends the UTF-8 form of `length` Latin-1 characters to *out.
void AppendLatin1AsUtf8(const std::uint8_t* chars, std::size_t length, std::string* out);

}  // namespace ssrd::isolates
