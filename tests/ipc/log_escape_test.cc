// EscapeForLog: whatever a client or a bundle sends, the result is one line, bounded, and says
// what it left out.
#include "ipc/log_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace ssrd::ipc {
namespace {

TEST(LogEscapeTest, KeepsOrdinaryTextAndUtf8AsItIs) {
  EXPECT_EQ(EscapeForLog("Greeting"), "Greeting");
  EXPECT_EQ(EscapeForLog("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(EscapeForLog(""), "");
}

TEST(LogEscapeTest, ControlCharactersCannotStartANewLine) {
  EXPECT_EQ(EscapeForLog("Nope\n[info] forged"), "Nope\\n[info] forged");
  EXPECT_EQ(EscapeForLog("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(EscapeForLog("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(EscapeForLog(std::string("nul\0bel\a del\x7f", 13)), "nul\\x00bel\\x07 del\\x7f");
  // A backslash is escaped too, so that a literal "\n" in the input cannot pass for an escape.
  EXPECT_EQ(EscapeForLog("a\\nb"), "a\\\\nb");
}

TEST(LogEscapeTest, UnicodeLineBreaksC1ControlsAndInvalidBytesAreEscaped) {
  EXPECT_EQ(EscapeForLog("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c"), "a\\u2028b\\u2029c");
  EXPECT_EQ(EscapeForLog("csi\xc2\x9b" "31m nel\xc2\x85"), "csi\\u009b31m nel\\u0085");
  EXPECT_EQ(EscapeForLog("bad\xff\xc3"), "bad\\xff\\xc3");
  EXPECT_EQ(EscapeForLog("overlong\xc0\xaf surrogate\xed\xa0\x80"),
            "overlong\\xc0\\xaf surrogate\\xed\\xa0\\x80");
}

TEST(LogEscapeTest, LongTextIsCutWithTheCountOfWhatWasLeftOut) {
  std::string long_text(5000, 'x');
  std::string escaped = EscapeForLog(long_text);
  EXPECT_EQ(escaped, std::string(2000, 'x') + "\xe2\x80\xa6 (3000 more bytes)");
  EXPECT_EQ(EscapeForLog("abcdef", 3), "abc\xe2\x80\xa6 (3 more bytes)");
  // The cap counts escaped bytes, and never cuts an escape or a UTF-8 sequence in half.
  EXPECT_EQ(EscapeForLog("\n\n\n\n", 3), "\\n\\n\xe2\x80\xa6 (2 more bytes)");
  EXPECT_EQ(EscapeForLog("a\xc3\xa9\xc3\xa9", 2), "a\xc3\xa9\xe2\x80\xa6 (2 more bytes)");
  EXPECT_EQ(EscapeForLog("abc", 3), "abc");
}

}  // namespace
}  // namespace ssrd::ipc
