// Base64 VLQ, the number encoding of a source map's "mappings" (source map v3, ECMA-426): a value
// is a run of base64 digits holding 5 bits each, lowest bits first, every digit but the last with
// its 6th bit (32) set; the lowest bit of the whole is the sign. Pure; any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace ssrd::isolates {

// Reads one value from the front of *text and drops its digits from *text. False, with *text left
// as it was, when the front is not one whole value: empty text, a character outside the base64
// alphabet, a continuation that ends with the text, or more digits than an int32 needs.
bool ReadBase64Vlq(std::string_view* text, std::int32_t* value);

}  // namespace ssrd::isolates
