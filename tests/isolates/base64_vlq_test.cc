// The base64 VLQ decoder against the format's definition: known values, a round trip through the
// test's own encoder, and a table of malformed inputs that must leave the text alone.
#include "isolates/base64_vlq.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/isolates/source_map_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::EncodeVlq;

TEST(Base64VlqTest, ReadsKnownValues) {
  struct Case {
    std::string text;
    std::int32_t value;
  };
  // From the format: sign in the lowest bit, 5 data bits a digit, 32 = more digits follow.
  const std::vector<Case> cases = {{"A", 0}, {"C", 1}, {"D", -1}, {"E", 2}, {"F", -2},
                                   {"e", 15}, {"f", -15}, {"gB", 16}, {"hB", -16},
                                   {"w+B", 1000}, {"x+B", -1000}};
  for (const Case& c : cases) {
    std::string_view text = c.text;
    std::int32_t value = 12345;
    ASSERT_TRUE(ReadBase64Vlq(&text, &value)) << c.text;
    EXPECT_EQ(value, c.value) << c.text;
    EXPECT_TRUE(text.empty()) << c.text;
  }
}

TEST(Base64VlqTest, RoundTripsTheWholeInt32Range) {
  const std::vector<std::int64_t> values = {0,          1,          -1,          31,
                                            -31,        32,         -32,         1023,
                                            1024,       -1025,      65535,       1 << 20,
                                            -(1 << 25), 2147483647, -2147483647};
  for (std::int64_t v : values) {
    const std::string encoded = EncodeVlq(v);
    std::string_view text = encoded;
    std::int32_t value = 0;
    ASSERT_TRUE(ReadBase64Vlq(&text, &value)) << v << " as " << encoded;
    EXPECT_EQ(value, v) << encoded;
    EXPECT_TRUE(text.empty());
  }
}

TEST(Base64VlqTest, ReadsOneValueAndLeavesTheRest) {
  std::string_view text = "gBD;AAAA";
  std::int32_t value = 0;
  ASSERT_TRUE(ReadBase64Vlq(&text, &value));
  EXPECT_EQ(value, 16);
  EXPECT_EQ(text, "D;AAAA");
  ASSERT_TRUE(ReadBase64Vlq(&text, &value));
  EXPECT_EQ(value, -1);
  EXPECT_EQ(text, ";AAAA");
  EXPECT_FALSE(ReadBase64Vlq(&text, &value)) << "';' is not a digit";
  EXPECT_EQ(text, ";AAAA");
}

TEST(Base64VlqTest, RefusesMalformedInputAndLeavesItAlone) {
  const std::vector<std::string> malformed = {
      "",          // nothing to read
      "!",         // not in the alphabet
      "=",         // padding is not a digit
      " A",        // nor is a space
      "g",         // a continuation with nothing after it
      "gggggg",    // still continuing at the end
      "gggggggB",  // eight digits: more than an int32 needs
      EncodeVlq(2147483648LL),   // one past int32's magnitude
      EncodeVlq(-2147483649LL),
  };
  for (const std::string& input : malformed) {
    std::string_view text = input;
    std::int32_t value = 77;
    EXPECT_FALSE(ReadBase64Vlq(&text, &value)) << "'" << input << "'";
    EXPECT_EQ(text, input);
    EXPECT_EQ(value, 77);
  }
}

}  // namespace
}  // namespace ssrd::isolates
