#include "isolates/utf16_to_utf8.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssrd::isolates {
namespace {

std::string FromUtf16(const std::u16string& text) {
  std::string out = "prefix:";  // appended to, never replaced
  AppendUtf16AsUtf8(reinterpret_cast<const std::uint16_t*>(text.data()), text.size(), &out);
  return out.substr(7);
}

TEST(Utf16ToUtf8Test, EncodesEveryRangeAndReplacesLoneSurrogates) {
  EXPECT_EQ(FromUtf16(u""), "");
  EXPECT_EQ(FromUtf16(u"a"), "a");
  EXPECT_EQ(FromUtf16(u"<p>plain ascii text</p>"), "<p>plain ascii text</p>");
  EXPECT_EQ(FromUtf16(u"\u00e9"), "\xC3\xA9");
  EXPECT_EQ(FromUtf16(u"\u07ff\u0800"), "\xDF\xBF\xE0\xA0\x80");
  EXPECT_EQ(FromUtf16(u"9:41\u202fAM"), "9:41\xE2\x80\xAF" "AM");
  EXPECT_EQ(FromUtf16(u"\U0001F600"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(FromUtf16(u"\U0010FFFF"), "\xF4\x8F\xBF\xBF");
  const char16_t lead[] = {0xD83D, 0};
  const char16_t trail[] = {0xDE00, 0};
  const char16_t reversed[] = {'x', 0xDE00, 0xD83D, 'y', 0};
  EXPECT_EQ(FromUtf16(lead), "\xEF\xBF\xBD");
  EXPECT_EQ(FromUtf16(trail), "\xEF\xBF\xBD");
  EXPECT_EQ(FromUtf16(reversed), "x\xEF\xBF\xBD\xEF\xBF\xBDy");
}

// The ASCII fast path takes four units at a time: a non-ASCII unit at every position of a run,
// and runs of every length around it.
TEST(Utf16ToUtf8Test, NonAsciiAnywhereInTheFastPathsRuns) {
  for (std::size_t length = 1; length <= 11; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      std::u16string text(length, u'q');
      text[at] = u'\u00e9';
      std::string expected(length, 'q');
      expected.replace(at, 1, "\xC3\xA9");
      EXPECT_EQ(FromUtf16(text), expected) << length << " units, non-ASCII at " << at;
    }
  }
  std::u16string pair_at_the_seam = u"abc\U0001F600def";
  EXPECT_EQ(FromUtf16(pair_at_the_seam), "abc\xF0\x9F\x98\x80" "def");
}

TEST(Utf16ToUtf8Test, Latin1BecomesOneOrTwoBytes) {
  const std::vector<std::uint8_t> text = {'a', 0x7F, 0x80, 0xE9, 0xFF, 'z'};
  std::string out = "keep";
  AppendLatin1AsUtf8(text.data(), text.size(), &out);
  EXPECT_EQ(out, "keepa\x7F\xC2\x80\xC3\xA9\xC3\xBFz");
  std::string empty;
  AppendLatin1AsUtf8(text.data(), 0, &empty);
  EXPECT_EQ(empty, "");
}

}  // namespace
}  // namespace ssrd::isolates
