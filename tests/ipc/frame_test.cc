// The frame codec against malformed and edge-case streams, in the manner of LevelDB's log_test.
#include "ipc/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ssrd::ipc {
namespace {

using Status = FrameDecoder::Status;

std::string Header(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

std::string Framed(std::string_view payload) {
  std::string out;
  AppendFrame(&out, payload);
  return out;
}

// Drains every frame the decoder can yield; returns the final non-frame status.
Status Drain(FrameDecoder* decoder, std::vector<std::string>* frames) {
  std::string payload;
  Status status;
  while ((status = decoder->Next(&payload)) == Status::kFrame) frames->push_back(payload);
  return status;
}

TEST(AppendFrameTest, WritesBigEndianLengthThenPayload) {
  std::string out = "x";
  AppendFrame(&out, "abc");
  EXPECT_EQ(out, std::string("x\x00\x00\x00\x03"
                             "abc",
                             8));
  AppendFrame(&out, std::string(0x010203, 'z'));
  EXPECT_EQ(out.substr(8, 4), std::string("\x00\x01\x02\x03", 4));
}

struct Case {
  const char* name;
  std::string input;
  std::size_t max;
  std::vector<std::string> frames;  // expected, in order
  Status final_status;
  std::size_t buffered_after;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class FrameTableTest : public ::testing::TestWithParam<Case> {};

TEST_P(FrameTableTest, DecodesAsExpected) {
  const Case& c = GetParam();
  FrameDecoder decoder(c.max);
  decoder.Feed(c.input);
  std::vector<std::string> frames;
  EXPECT_EQ(Drain(&decoder, &frames), c.final_status);
  EXPECT_EQ(frames, c.frames);
  EXPECT_EQ(decoder.buffered(), c.buffered_after);
}

const std::string kThree = Framed("one") + Framed("") + Framed("three!");

INSTANTIATE_TEST_SUITE_P(
    Malformed, FrameTableTest,
    ::testing::Values(
        Case{"Empty", "", 100, {}, Status::kNeedMore, 0},
        Case{"OneHeaderByte", std::string(1, '\0'), 100, {}, Status::kNeedMore, 1},
        Case{"TruncatedHeader", std::string(3, '\0'), 100, {}, Status::kNeedMore, 3},
        Case{"HeaderOnly", Header(5), 100, {}, Status::kNeedMore, 4},
        Case{"TruncatedPayload", Header(5) + "abcd", 100, {}, Status::kNeedMore, 8},
        Case{"ZeroLength", Header(0), 100, {""}, Status::kNeedMore, 0},
        Case{"ExactLimit",
             Framed(std::string(100, 'a')),
             100,
             {std::string(100, 'a')},
             Status::kNeedMore,
             0},
        Case{"LimitPlusOneHeaderOnly", Header(101), 100, {}, Status::kTooLarge, 0},
        Case{"LimitPlusOneWithPayload",
             Framed(std::string(101, 'a')),
             100,
             {},
             Status::kTooLarge,
             0},
        Case{"MaxHeader", Header(0xFFFFFFFF), kDefaultMaxFrameBytes, {}, Status::kTooLarge, 0},
        Case{"ZeroLimitAcceptsEmpty", Header(0), 0, {""}, Status::kNeedMore, 0},
        Case{"ZeroLimitRejectsOne", Header(1) + "a", 0, {}, Status::kTooLarge, 0},
        Case{"SeveralInOneFeed", kThree, 100, {"one", "", "three!"}, Status::kNeedMore, 0},
        Case{"WholeThenPartialHeader",
             Framed("ab") + std::string(2, '\0'),
             100,
             {"ab"},
             Status::kNeedMore,
             2},
        Case{"WholeThenPartialPayload",
             Framed("ab") + Header(3) + "x",
             100,
             {"ab"},
             Status::kNeedMore,
             5},
        Case{"GoodThenTooLarge",
             Framed("ok") + Header(1000) + "junk",
             100,
             {"ok"},
             Status::kTooLarge,
             0},
        Case{"BinaryPayload",
             Framed(std::string("\x00\xff\x00", 3)),
             100,
             {std::string("\x00\xff\x00", 3)},
             Status::kNeedMore,
             0}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(FrameDecoderTest, TooLargeIsDecidedFromTheHeaderAlone) {
  FrameDecoder decoder(1024);
  decoder.Feed(Header(1025));
  std::string payload = "untouched";
  EXPECT_EQ(decoder.Next(&payload), Status::kTooLarge);
  EXPECT_EQ(decoder.rejected_length(), 1025u);
  EXPECT_EQ(payload, "untouched");
  // The payload that follows is dropped, not buffered, and the state is sticky.
  decoder.Feed(std::string(1025, 'x'));
  EXPECT_EQ(decoder.buffered(), 0u);
  decoder.Feed(Framed("later"));
  EXPECT_EQ(decoder.Next(&payload), Status::kTooLarge);
}

TEST(FrameDecoderTest, DefaultLimitIsSixteenMebibytes) {
  FrameDecoder decoder;
  std::string payload;
  decoder.Feed(Header(16u * 1024 * 1024));
  EXPECT_EQ(decoder.Next(&payload), Status::kNeedMore);
  FrameDecoder over;
  over.Feed(Header(16u * 1024 * 1024 + 1));
  EXPECT_EQ(over.Next(&payload), Status::kTooLarge);
  EXPECT_EQ(over.rejected_length(), 16u * 1024 * 1024 + 1);
}

TEST(FrameDecoderTest, StreamSplitAtEveryOffset) {
  const std::vector<std::string> expected = {"one", "", "three!"};
  for (std::size_t split = 0; split <= kThree.size(); ++split) {
    FrameDecoder decoder(100);
    std::vector<std::string> frames;
    decoder.Feed(kThree.substr(0, split));
    ASSERT_EQ(Drain(&decoder, &frames), Status::kNeedMore) << "split " << split;
    decoder.Feed(kThree.substr(split));
    ASSERT_EQ(Drain(&decoder, &frames), Status::kNeedMore) << "split " << split;
    EXPECT_EQ(frames, expected) << "split " << split;
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

TEST(FrameDecoderTest, StreamSplitAtEveryPairOfOffsets) {
  const std::vector<std::string> expected = {"one", "", "three!"};
  for (std::size_t a = 0; a <= kThree.size(); ++a) {
    for (std::size_t b = a; b <= kThree.size(); ++b) {
      FrameDecoder decoder(100);
      std::vector<std::string> frames;
      decoder.Feed(kThree.substr(0, a));
      Drain(&decoder, &frames);
      decoder.Feed(kThree.substr(a, b - a));
      Drain(&decoder, &frames);
      decoder.Feed(kThree.substr(b));
      ASSERT_EQ(Drain(&decoder, &frames), Status::kNeedMore);
      ASSERT_EQ(frames, expected) << "splits " << a << ", " << b;
    }
  }
}

TEST(FrameDecoderTest, ByteByByte) {
  FrameDecoder decoder(100);
  std::vector<std::string> frames;
  for (char c : kThree) {
    decoder.Feed(&c, 1);
    ASSERT_EQ(Drain(&decoder, &frames), Status::kNeedMore);
  }
  EXPECT_EQ(frames, (std::vector<std::string>{"one", "", "three!"}));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoderTest, BufferedCountsOnlyUnreturnedBytes) {
  FrameDecoder decoder(100);
  decoder.Feed(Framed("abc") + Header(2));
  EXPECT_EQ(decoder.buffered(), 11u);
  std::string payload;
  ASSERT_EQ(decoder.Next(&payload), Status::kFrame);
  EXPECT_EQ(decoder.buffered(), 4u);
  decoder.Feed("z");
  EXPECT_EQ(decoder.buffered(), 5u);
  decoder.Feed("y");
  ASSERT_EQ(decoder.Next(&payload), Status::kFrame);
  EXPECT_EQ(payload, "zy");
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoderTest, LargeFrameInManyChunks) {
  const std::string big(3 * 1024 * 1024 + 7, 'q');
  const std::string stream = Framed(big) + Framed("tail");
  FrameDecoder decoder;
  std::vector<std::string> frames;
  for (std::size_t at = 0; at < stream.size(); at += 65536) {
    decoder.Feed(std::string_view(stream).substr(at, 65536));
    Drain(&decoder, &frames);
  }
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], big);
  EXPECT_EQ(frames[1], "tail");
}

}  // namespace
}  // namespace ssrd::ipc
