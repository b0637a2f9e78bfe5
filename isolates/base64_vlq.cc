#include "isolates/base64_vlq.h"

namespace ssrd::isolates {
namespace {

constexpr int kContinuation = 32;
constexpr int kDataMask = 31;
constexpr int kBitsPerDigit = 5;
// Seven digits carry 35 bits: enough for a sign bit and 31 bits of magnitude, and no more.
constexpr int kMaxDigits = 7;

int DigitValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

bool ReadBase64Vlq(std::string_view* text, std::int32_t* value) {
  std::uint64_t bits = 0;
  std::size_t used = 0;
  for (;;) {
    if (used == text->size() || used == kMaxDigits) return false;
    const int digit = DigitValue((*text)[used]);
    if (digit < 0) return false;
    bits |= static_cast<std::uint64_t>(digit & kDataMask) << (kBitsPerDigit * used);
    ++used;
    if ((digit & kContinuation) == 0) break;
  }
  const std::uint64_t magnitude = bits >> 1;
  if (magnitude > 0x7fffffffu) return false;
  const auto signed_magnitude = static_cast<std::int32_t>(magnitude);
  *value = (bits & 1) != 0 ? -signed_magnitude : signed_magnitude;
  text->remove_prefix(used);
  return true;
}

}  // namespace ssrd::isolates
