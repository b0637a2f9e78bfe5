// The token file's rules and the token check (pool/auth_tokens.h), and the TCP address helpers
// behind --listen (pool/tcp_address.h).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "pool/auth_tokens.h"
#include "pool/tcp_address.h"

namespace ssrd::pool {
namespace {

const std::string kA = "aaaaaaaaaaaaaaaa-0001";
const std::string kB = "bbbbbbbbbbbbbbbb-0002";

TEST(AuthTokensTest, ParsesTokensSkippingCommentsBlanksAndSpaces) {
  auto tokens = AuthTokens::Parse("# rotation\n\n  " + kA + "\r\n\t" + kB + "  \n# old\n", "f");
  ASSERT_TRUE(tokens.ok()) << tokens.error().ToString();
  EXPECT_EQ(tokens->size(), 2u);
  EXPECT_TRUE(tokens->Accepts(kA));
  EXPECT_TRUE(tokens->Accepts(kB));
  EXPECT_FALSE(tokens->Accepts("# rotation"));
  EXPECT_FALSE(tokens->Accepts(""));
  EXPECT_FALSE(tokens->Accepts(kA + "x"));           // longer
  EXPECT_FALSE(tokens->Accepts(kA.substr(0, 20)));    // a prefix
  EXPECT_FALSE(tokens->Accepts(std::string(kA.size(), 'a')));  // same length, differs late
  EXPECT_FALSE(tokens->Accepts(kA + std::string("\0", 1)));    // a NUL past the end
}

TEST(AuthTokensTest, RefusesFilesWithoutAUsableToken) {
  auto none = AuthTokens::Parse("# only a comment\n\n", "/etc/ssrd/tokens");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "auth token file /etc/ssrd/tokens: no token in it (one per line; blank lines and # "
            "comments are ignored)");
  auto short_token = AuthTokens::Parse(kA + "\n0123456789abcde\n", "t");
  ASSERT_FALSE(short_token.ok());
  EXPECT_EQ(short_token.error().message,
            "auth token file t: line 2: a token must be at least 16 characters (this one has 15)");
  auto spaced = AuthTokens::Parse("a token with a space in it\n", "t");
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.error().message.find("printable ASCII without spaces"), std::string::npos);
  EXPECT_TRUE(AuthTokens::Parse("0123456789abcdef", "t").ok());  // exactly 16, no newline
}

TEST(AuthTokensTest, LoadRefusesAFileOthersMayRead) {
  char dir_template[] = "/tmp/ssrd-tokens-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/tokens";
  std::ofstream(path) << kA << "\n";
  ASSERT_EQ(chmod(path.c_str(), 0640), 0);
  EXPECT_TRUE(AuthTokens::Load(path).ok());
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  auto open = AuthTokens::Load(path);
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.error().message.find("mode 0644 lets other users read or write it"),
            std::string::npos)
      << open.error().message;
  EXPECT_FALSE(AuthTokens::Load(std::string(dir_template)).ok());  // a directory
  unlink(path.c_str());
  rmdir(dir_template);
  EXPECT_FALSE(AuthTokens::Load(path).ok());  // missing
}

TEST(TcpAddressTest, ParsesFormatsAndTellsLoopback) {
  sockaddr_storage address;
  ASSERT_TRUE(ParseTcpAddress("127.0.0.1:9000", &address));
  EXPECT_EQ(FormatTcpAddress(reinterpret_cast<sockaddr*>(&address)), "127.0.0.1:9000");
  EXPECT_TRUE(IsLoopback(reinterpret_cast<sockaddr*>(&address)));
  ASSERT_TRUE(ParseTcpAddress("[::1]:9000", &address));
  EXPECT_EQ(FormatTcpAddress(reinterpret_cast<sockaddr*>(&address)), "[::1]:9000");
  EXPECT_TRUE(IsLoopback(reinterpret_cast<sockaddr*>(&address)));
  ASSERT_TRUE(ParseTcpAddress("127.8.9.10:1", &address));
  EXPECT_TRUE(IsLoopback(reinterpret_cast<sockaddr*>(&address)));
  ASSERT_TRUE(ParseTcpAddress("[::ffff:127.0.0.1]:1", &address));
  EXPECT_TRUE(IsLoopback(reinterpret_cast<sockaddr*>(&address)));
  for (const char* open : {"0.0.0.0:9000", "10.1.2.3:9000", "[::]:9000", "[fe80::1]:9000",
                           "[::ffff:10.0.0.1]:9000"}) {
    ASSERT_TRUE(ParseTcpAddress(open, &address)) << open;
    EXPECT_FALSE(IsLoopback(reinterpret_cast<sockaddr*>(&address))) << open;
  }
  for (const char* bad : {"localhost:9000", "127.0.0.1", "127.0.0.1:", ":9000", "::1:9000",
                          "127.0.0.1:65536", "[::1]:x"}) {
    EXPECT_FALSE(ParseTcpAddress(bad, &address)) << bad;
  }
}

}  // namespace
}  // namespace ssrd::pool
