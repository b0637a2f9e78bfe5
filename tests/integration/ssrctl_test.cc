// ssrctl against a real daemon: exact output on stdout, errors on stderr with exit code 1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "clients/cpp/client.h"
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
  EXPECT_EQ(run.err, "status: 200\n");
}

// Issue 12.7: the HTML alone on stdout (so it can be piped); what else the reply says on stderr.
TEST_F(SsrctlTest, RenderPrintsConsoleStatusAndHeadOnStderr) {
  RunResult run = Ssrctl({"render", "WithHead", "--props", R"({"title":"Hi"})"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "<h1>Hi</h1>\n");
  EXPECT_EQ(run.err, "console.info: rendering Hi\nstatus: 201\nhead: <title>Hi</title>\n");
}

TEST_F(SsrctlTest, RenderJsonPrintsTheWholeReply) {
  RunResult run = Ssrctl({"render", "WithHead", "--props", R"({"title":"Hi"})", "--hydrate",
                          "--nonce", "n0nce", "--json"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  nlohmann::json json = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object()) << run.out;
  EXPECT_EQ(json["html"], "<h1>Hi</h1>") << "the script is apart, as in the reply";
  EXPECT_EQ(json["head"], "<title>Hi</title>");
  EXPECT_EQ(json["status"], 201);
  EXPECT_EQ(json["script"],
            "<script type=\"application/json\" id=\"ssrd-data\" nonce=\"n0nce\">"
            "{\"component\":\"WithHead\",\"props\":{\"title\":\"Hi\"}}</script>");
  EXPECT_EQ(json["console"], nlohmann::json::parse(R"([{"level":"info","text":"rendering Hi"}])"));
  EXPECT_FALSE(json.contains("error"));

  RunResult plain = Ssrctl({"render", "Card", "--json"});
  EXPECT_EQ(plain.status.exit_code, 0) << plain.err;
  nlohmann::json card = nlohmann::json::parse(plain.out, nullptr, false);
  ASSERT_TRUE(card.is_object()) << plain.out;
  EXPECT_EQ(card["html"], "<p>Card:{}</p>");
  EXPECT_EQ(card["head"], "");
  EXPECT_EQ(card["status"], 200);
  EXPECT_EQ(card["script"], "");
  EXPECT_EQ(card["console"], nlohmann::json::array());
}

TEST_F(SsrctlTest, RenderJsonPrintsAnErrorWithItsStackAndConsoleAndExits1) {
  RunResult run = Ssrctl({"render", "WarnThenThrow", "--props", R"({"n":7})", "--json"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.err, "");
  nlohmann::json json = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << run.out;
  EXPECT_EQ(json["error"]["code"], "js_error");
  EXPECT_EQ(json["error"]["message"], "TypeError: bad 7");
  ASSERT_TRUE(json["error"]["stack"].is_string()) << run.out;
  EXPECT_EQ(json["error"]["stack"].get<std::string>().rfind("TypeError: bad 7\n    at ", 0), 0u)
      << run.out;
  EXPECT_NE(json["error"]["stack"].get<std::string>().find("echo.mjs:"), std::string::npos);
  EXPECT_EQ(json["console"], nlohmann::json::parse(R"([{"level":"warn","text":"about to fail"}])"));
  EXPECT_FALSE(json.contains("html"));
}

TEST_F(SsrctlTest, AFailedRenderShowsWhatItLoggedBeforeTheError) {
  RunResult run = Ssrctl({"render", "WarnThenThrow", "--props", R"({"n":3})"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("console.warn: about to fail\nssrctl: error: js_error: TypeError: bad 3\n"
                          "TypeError: bad 3\n    at ",
                          0),
            0u)
      << run.err;
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

// The counters follow the worker table, after an empty line.
TEST_F(SsrctlTest, StatsPrintsAlignedNameValueLines) {
  RunResult run = Ssrctl({"stats"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  const std::size_t blank = run.out.find("\n\n");
  ASSERT_NE(blank, std::string::npos) << run.out;
  std::istringstream lines(run.out.substr(blank + 2));
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

TEST(SsrctlNoDaemonTest, RenderJsonWithoutADaemonPrintsTheErrorAsJson) {
  TempDir dir;
  RunResult run = RunProgram(SSRD_TEST_SSRCTL_BINARY,
                             {"render", "Card", "--json", "--socket", dir.File("none.sock")},
                             std::chrono::seconds(30));
  ASSERT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.exit_code, 1);
  nlohmann::json json = nlohmann::json::parse(run.out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << run.out;
  EXPECT_EQ(json["error"]["code"], "unavailable");
  EXPECT_NE(json["error"]["message"].get<std::string>().find("none.sock"), std::string::npos);
  EXPECT_FALSE(json["error"].contains("stack"));
}

TEST(SsrctlNoDaemonTest, StatsWithoutADaemonIsUnavailable) {
  TempDir dir;
  RunResult run = RunProgram(SSRD_TEST_SSRCTL_BINARY, {"stats", "--socket", dir.File("none.sock")},
                             std::chrono::seconds(30));
  ASSERT_TRUE(run.status.exited);
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("ssrctl: error: unavailable: cannot connect to ", 0), 0u) << run.err;
  EXPECT_NE(run.err.find("none.sock"), std::string::npos) << run.err;
}

// `ssrctl stats` as a person reads it: the worker table, an empty line, the counters.
struct StatsTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> table_lines;
  std::map<std::string, std::int64_t> totals;
};

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

::testing::AssertionResult ParseStatsTable(const std::string& out, StatsTable* table) {
  const std::size_t blank = out.find("\n\n");
  if (blank == std::string::npos) return ::testing::AssertionFailure() << "no empty line:\n" << out;
  std::istringstream top(out.substr(0, blank + 1));
  for (std::string line; std::getline(top, line);) {
    table->table_lines.push_back(line);
    if (table->header.empty()) {
      table->header = Words(line);
    } else {
      table->rows.push_back(Words(line));
    }
  }
  std::istringstream bottom(out.substr(blank + 2));
  for (std::string line; std::getline(bottom, line);) {
    std::vector<std::string> w = Words(line);
    if (w.size() != 2) return ::testing::AssertionFailure() << "counter line '" << line << "'";
    table->totals[w[0]] = std::stoll(w[1]);
  }
  return ::testing::AssertionSuccess();
}

// The parent of a live process, from /proc/PID/stat (field 4, after the parenthesised name).
pid_t ParentOf(pid_t pid) {
  const std::string stat = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream rest(stat.substr(paren + 1));
  std::string state;
  pid_t parent = -1;
  rest >> state >> parent;
  return parent;
}

class SsrctlStatsTest : public ::testing::Test {
 protected:
  static constexpr int kRenders = 7;

  void SetUp() override {
    daemon_ = std::make_unique<DaemonProcess>(DaemonConfig{BundlesDir() + "/echo.mjs", 2, {}});
    ASSERT_TRUE(daemon_->Start());
    auto client = ssrd::client::Client::Connect(daemon_->socket_path());
    ASSERT_TRUE(client.ok()) << client.error().ToString();
    for (int i = 0; i < kRenders; ++i) {
      auto rendered = (*client)->Render("Card", "{\"i\":" + std::to_string(i) + "}");
      ASSERT_TRUE(rendered.ok()) << rendered.error().ToString();
    }
  }
  void TearDown() override { daemon_.reset(); }

  RunResult Ssrctl(std::vector<std::string> args) {
    args.push_back("--socket");
    args.push_back(daemon_->socket_path());
    RunResult run = RunProgram(SSRD_TEST_SSRCTL_BINARY, args, std::chrono::seconds(30));
    EXPECT_FALSE(run.timed_out) << "ssrctl hung";
    EXPECT_TRUE(run.status.exited) << run.status.ToString();
    EXPECT_EQ(run.status.exit_code, 0) << run.err;
    return run;
  }

  std::unique_ptr<DaemonProcess> daemon_;
};

TEST_F(SsrctlStatsTest, TableShowsEachLiveWorkerAndTheTotals) {
  RunResult run = Ssrctl({"stats"});
  StatsTable table;
  ASSERT_TRUE(ParseStatsTable(run.out, &table));
  EXPECT_EQ(table.header, (std::vector<std::string>{"PID", "SLOT", "STATE", "GEN", "SERVED",
                                                    "RESTARTS", "HEAP(MiB)", "RSS(MiB)"}))
      << run.out;
  ASSERT_EQ(table.rows.size(), 2u) << run.out;
  // The last column is right-aligned, so aligned rows all have the header's length.
  for (const std::string& line : table.table_lines) {
    EXPECT_EQ(line.size(), table.table_lines[0].size()) << "not aligned:\n" << run.out;
  }
  std::set<std::string> slots;
  std::int64_t served = 0;
  const std::regex mib("[0-9]+\\.[0-9]");
  for (const auto& row : table.rows) {
    ASSERT_EQ(row.size(), 8u) << run.out;
    const pid_t pid = static_cast<pid_t>(std::stol(row[0]));
    EXPECT_EQ(::kill(pid, 0), 0) << "worker " << pid << " is not alive";
    EXPECT_NE(ReadFileOrEmpty("/proc/" + row[0] + "/cmdline").find("ssrd-worker"),
              std::string::npos)
        << pid << " is not an ssrd-worker";
    EXPECT_EQ(ParentOf(pid), daemon_->pid()) << pid << " is not a child of this daemon";
    slots.insert(row[1]);
    EXPECT_EQ(row[2], "ready");
    EXPECT_EQ(row[3], "1");
    served += std::stoll(row[4]);
    EXPECT_EQ(row[5], "0");
    EXPECT_TRUE(std::regex_match(row[6], mib)) << row[6];
    EXPECT_TRUE(std::regex_match(row[7], mib)) << row[7];
    EXPECT_NE(row[7], "0.0") << "a live worker has resident memory";
  }
  EXPECT_EQ(slots, (std::set<std::string>{"0", "1"}));
  EXPECT_EQ(served, kRenders);
  EXPECT_EQ(table.totals["served"], kRenders) << run.out;
  EXPECT_EQ(table.totals["workers"], 2) << run.out;
  EXPECT_EQ(table.totals["errors"], 0) << run.out;
  EXPECT_EQ(table.totals["in_flight"], 0) << run.out;
  EXPECT_EQ(table.totals.count("connections"), 1u) << run.out;
}

TEST_F(SsrctlStatsTest, JsonCarriesTheSameWorkersAndCounters) {
  StatsTable table;
  ASSERT_TRUE(ParseStatsTable(Ssrctl({"stats"}).out, &table));
  RunResult run = Ssrctl({"stats", "--json"});
  nlohmann::json json = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(json.is_object()) << run.out;
  ASSERT_TRUE(json["stats"].is_object()) << run.out;
  ASSERT_TRUE(json["workers"].is_array()) << run.out;
  EXPECT_EQ(json["stats"]["served"], kRenders);
  EXPECT_EQ(json["stats"]["workers"], 2);
  EXPECT_EQ(json["stats"].size(), table.totals.size());
  ASSERT_EQ(json["workers"].size(), 2u) << run.out;
  std::map<std::string, std::int64_t> served_by_pid;
  for (const auto& row : table.rows) served_by_pid[row[0]] = std::stoll(row[4]);
  std::int64_t heap = 0;
  for (const auto& w : json["workers"]) {
    ASSERT_TRUE(w["pid"].is_number_unsigned()) << w.dump();
    const std::string pid = std::to_string(w["pid"].get<std::uint64_t>());
    ASSERT_EQ(served_by_pid.count(pid), 1u) << "pid " << pid << " not in the table";
    EXPECT_EQ(w["served"], served_by_pid[pid]);
    EXPECT_EQ(w["state"], "ready");
    EXPECT_EQ(w["generation"], 1);
    EXPECT_EQ(w["restarts"], 0);
    EXPECT_GT(w["rss"].get<std::int64_t>(), 0);
    heap += w["heap_used"].get<std::int64_t>();
  }
  EXPECT_GT(heap, 0) << "the worker that rendered reports its heap";
}

}  // namespace
}  // namespace ssrd::testing

namespace ssrd::testing {
namespace {

// ssrctl render --stream against the streaming bundle: the pieces, then what the reply says.
TEST(SsrctlStreamTest, RenderStreamPrintsThePiecesThenStatusAndHead) {
  DaemonProcess daemon(DaemonConfig{BundlesDir() + "/streaming.mjs", 1, {}});
  ASSERT_TRUE(daemon.Start()) << daemon.Stderr();
  auto ssrctl = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--socket", daemon.socket_path()});
    return RunProgram(SSRD_TEST_SSRCTL_BINARY, args, std::chrono::seconds(30));
  };
  const std::string props = R"({"parts":["<a>","<b>","<c>"],"delay_ms":5})";
  RunResult run = ssrctl({"render", "Pieces", "--props", props, "--stream"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "<a><b><c>\n");
  EXPECT_EQ(run.err, "status: 201\nhead: <title>streamed</title>\n");
  RunResult json = ssrctl({"render", "Pieces", "--props", props, "--stream", "--json"});
  EXPECT_EQ(json.status.exit_code, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["html"], "<a><b><c>");
  EXPECT_EQ(parsed["status"], 201);
  RunResult failed = ssrctl({"render", "ThrowsMidway", "--stream"});
  EXPECT_EQ(failed.status.exit_code, 1);
  EXPECT_EQ(failed.out, "<p>before</p>\n");
  EXPECT_NE(failed.err.find("ssrctl: error: js_error: Error: stream broke"), std::string::npos)
      << failed.err;
  EXPECT_EQ(daemon.Stop().exit_code, 0);
}

}  // namespace
}  // namespace ssrd::testing
