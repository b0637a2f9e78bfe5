// ssrctl against a real daemon: exact output on stdout, errors on stderr with exit code 1.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_process.h"

namespace ssrd::testing {
namespace {

class SsrctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(DaemonConfig{BundlesDir() + "/echo.mjs", 1, {}});
    ASSERT_TRUE(daemon_->Start());
  }
  void TearDown() override { daemon_.reset(); }  // stops and reaps ssrd

  RunResult Ssrctl(std::vector<std::string> args) {
    args.push_back("--socket");
    args.push_back(daemon_->socket_path());
    RunResult run = RunProgram(SSRD_TEST_SSRCTL_BINARY, args, std::chrono::seconds(30));
    EXPECT_FALSE(run.timed_out) << "ssrctl hung";
    EXPECT_TRUE(run.status.exited) << run.status.ToString();
    return run;
  }

  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(SsrctlTest, RenderPrintsTheExactHtml) {
  RunResult run = Ssrctl({"render", "Card", "--props", R"({"title":"Hi","n":2})"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "<p>Card:{\"title\":\"Hi\",\"n\":2}</p>\n");
  EXPECT_EQ(run.err, "");
}

// --hydrate prints the page as it would be served: the HTML, then the escaped data element.
TEST_F(SsrctlTest, RenderWithHydratePrintsTheScriptAfterTheHtml) {
  RunResult run = Ssrctl({"render", "Card", "--props", R"({"t":"</script>"})", "--hydrate",
                          "--nonce", "abc123"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out,
            "<p>Card:{\"t\":\"</script>\"}</p>"
            "<script type=\"application/json\" id=\"ssrd-data\" nonce=\"abc123\">"
            "{\"component\":\"Card\",\"props\":{\"t\":\"\\u003c/script\\u003e\"}}</script>\n");
}

TEST_F(SsrctlTest, RenderWithoutPropsSendsAnEmptyObject) {
  RunResult run = Ssrctl({"render", "Bare"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "<p>Bare:{}</p>\n");
}

TEST_F(SsrctlTest, JsErrorExits1WithCodeMessageAndStack) {
  RunResult run = Ssrctl({"render", "Throw", "--props", R"({"n":1})"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.out, "");
  const std::string first_line = run.err.substr(0, run.err.find('\n'));
  EXPECT_EQ(first_line, "ssrctl: error: js_error: Error: boom 1") << run.err;
  EXPECT_NE(run.err.find("echo.mjs", first_line.size()), std::string::npos)
      << "the stack follows the error line:\n" << run.err;
}

TEST_F(SsrctlTest, InvalidPropsJsonIsABadRequest) {
  RunResult run = Ssrctl({"render", "Card", "--props", "{oops"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.err.rfind("ssrctl: error: bad_request: ", 0), 0u) << run.err;
}

TEST_F(SsrctlTest, PingPrintsPongWithTheProtocolAndTime) {
  RunResult run = Ssrctl({"ping"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_TRUE(std::regex_match(run.out, std::regex("pong \\(protocol 1\\) in [0-9]+ µs\n")))
      << run.out;
}

TEST_F(SsrctlTest, StatsPrintsAlignedNameValueLines) {
  RunResult run = Ssrctl({"stats"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  std::istringstream lines(run.out);
  std::string line;
  std::size_t value_column = std::string::npos;
  int count = 0;
  const std::regex shape("([a-z0-9_.]+)( +)(-?[0-9]+)");
  while (std::getline(lines, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, shape)) << "line: '" << line << "'";
    EXPECT_GE(m[2].length(), 2);
    const std::size_t column = static_cast<std::size_t>(m.position(3));
    if (value_column == std::string::npos) value_column = column;
    EXPECT_EQ(column, value_column) << "values not aligned: '" << line << "'";
    ++count;
  }
  EXPECT_GT(count, 0);
}

TEST(SsrctlNoDaemonTest, PingWithoutADaemonIsUnavailable) {
  TempDir dir;
  RunResult run = RunProgram(SSRD_TEST_SSRCTL_BINARY, {"ping", "--socket", dir.File("none.sock")},
                             std::chrono::seconds(30));
  ASSERT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("ssrctl: error: unavailable: ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find("none.sock"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace ssrd::testing
