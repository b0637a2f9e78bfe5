// Issue 11, worker side, against a real daemon: a reply over the frame limit, ArrayBuffers under
// the heap limit, log lines that quote what clients and bundles send, and promise rejections that
// nobody handles. Each test checks the exact answer and that the same worker serves the next
// request.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> LinesContaining(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  for (std::string& line : Lines(text)) {
    if (line.find(needle) != std::string::npos) found.push_back(std::move(line));
  }
  return found;
}

// The same worker renders Echo correctly: the fault cost nothing but its own request.
void ExpectEchoServed(RawConnection& conn, std::uint64_t id) {
  auto echo = Call(conn, RenderRequest(id, "Echo", R"({"a":1})"));
  ASSERT_TRUE(echo);
  ASSERT_TRUE(echo->ok()) << echo->error->ToString();
  EXPECT_EQ(echo->html, R"(<p>Echo:{"a":1}</p>)");
}

// Issue 11.1: the supervisor used to kill the worker for the oversized frame, retry on the other
// worker, kill that one too, and answer worker_crashed.
// No worker can gain privileges (set-uid binaries, file capabilities): the kernel says so in
// /proc/PID/status.
TEST(HardeningTest, WorkersRunWithNoNewPrivileges) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 2, {}});
  ASSERT_TRUE(daemon.Start());
  auto no_new_privs = [](pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("NoNewPrivs:", 0) == 0) return line.substr(line.find_last_of(" \t") + 1);
    }
    return std::string("missing");
  };
  auto pids = WorkerPids(bundle);
  ASSERT_EQ(pids.size(), 2u);
  for (pid_t pid : pids) EXPECT_EQ(no_new_privs(pid), "1") << "worker " << pid;
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);
  auto reply = Call(*conn, RenderRequest(1, "Echo", R"({"a":1})"));
  ASSERT_TRUE(reply && reply->ok());
  EXPECT_EQ(reply->html, R"(<p>Echo:{"a":1}</p>)");
}

TEST(HardeningTest, AReplyOverTheFrameLimitIsAnsweredTooLargeAndTheWorkersStay) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 2, {"--max-frame-bytes", "65536"}});
  ASSERT_TRUE(daemon.Start());
  auto pids_before = WorkerPids(bundle);
  ASSERT_EQ(pids_before.size(), 2u);
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);

  // A 40 KB request whose page is twice that: every " is escaped in the echoed JSON.
  std::string quotes;
  for (int i = 0; i < 40000; ++i) quotes += "\\\"";
  auto big = Call(*conn, RenderRequest(1, "Echo", R"({"text":")" + quotes + R"("})"));
  ASSERT_TRUE(big);
  ASSERT_FALSE(big->ok());
  EXPECT_EQ(ipc::ErrorCodeName(big->error->code), "too_large") << big->error->ToString();
  std::smatch match;
  const std::regex expected(
      R"(the reply of (\d+) bytes exceeds the limit of 65536 bytes \(--max-frame-bytes\))");
  ASSERT_TRUE(std::regex_match(big->error->message, match, expected)) << big->error->message;
  // The page alone is 80 000 bytes: the size named is the reply's, not made up.
  std::size_t named = std::stoul(match[1].str());
  EXPECT_GT(named, 80000u);
  EXPECT_LT(named, 80200u);

  ExpectEchoServed(*conn, 2);
  EXPECT_EQ(WorkerPids(bundle), pids_before) << "no worker was killed or replaced";
  ipc::Reply stats = Stats(daemon.socket_path());
  EXPECT_EQ(stats.stats["crashes"], 0);
  EXPECT_EQ(stats.stats["retries"], 0);
}

// Issue 11.3: ArrayBuffer memory lives outside the V8 heap; 1 GiB of it used to render fine
// under a 512 MiB heap limit.
TEST(HardeningTest, ArrayBuffersCountAgainstTheHeapLimitAndTheWorkerRecovers) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1, {"--heap-limit-mb", "512"}});
  ASSERT_TRUE(daemon.Start());
  auto pids_before = WorkerPids(bundle);
  ASSERT_EQ(pids_before.size(), 1u);
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);

  auto hog = Call(*conn, RenderRequest(1, "BufferHog", R"({"mib":1024})"));
  ASSERT_TRUE(hog);
  ASSERT_FALSE(hog->ok()) << "1 GiB of ArrayBuffers rendered under a 512 MiB limit: " << hog->html;
  EXPECT_EQ(ipc::ErrorCodeName(hog->error->code), "js_error");
  EXPECT_EQ(hog->error->message,
            "RangeError: Array buffer allocation failed (ArrayBuffer memory is limited to the "
            "heap limit of 512 MB)");

  // The refused render's buffers are collected: half the limit fits again, in the same worker.
  auto half = Call(*conn, RenderRequest(2, "BufferHog", R"({"mib":256})"));
  ASSERT_TRUE(half);
  ASSERT_TRUE(half->ok()) << half->error->ToString();
  EXPECT_EQ(half->html, "<p>BufferHog:4</p>");
  ExpectEchoServed(*conn, 3);
  EXPECT_EQ(WorkerPids(bundle), pids_before);
}

// Issue 11.5: a newline in a component name or a console line used to write a forged line.
TEST(HardeningTest, TextFromClientsAndBundlesCannotForgeLogLines) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1, {}});
  ASSERT_TRUE(daemon.Start());
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);

  const std::string component = "Nope\n[info] forged by a client\x1b[31m";
  auto unknown = Call(*conn, RenderRequest(1, component, "{}"));
  ASSERT_TRUE(unknown);
  ASSERT_FALSE(unknown->ok());
  EXPECT_EQ(ipc::ErrorCodeName(unknown->error->code), "not_found");
  // Clients still get the text as it was: only the log escapes it.
  EXPECT_EQ(unknown->error->message, "Error: unknown component " + component);

  auto logged = Call(*conn, RenderRequest(2, "Log", R"({"text":"first\n[info] forged by a bundle\r"})"));
  ASSERT_TRUE(logged);
  ASSERT_TRUE(logged->ok()) << logged->error->ToString();
  ExpectEchoServed(*conn, 3);
  daemon.Stop();
  std::string log = daemon.Stderr();

  EXPECT_EQ(log.find('\x1b'), std::string::npos) << "a raw ESC reached the log";
  for (const std::string& line : LinesContaining(log, "forged")) {
    EXPECT_NE(line.find("\\n[info] forged by a"), std::string::npos)
        << "a line that starts inside quoted text: " << line;
  }
  const std::string escaped = "Nope\\n[info] forged by a client\\x1b[31m";
  // One line each: the worker's failure, the supervisor's failure, the console line.
  auto worker_failure = LinesContaining(log, "render " + escaped + " failed: not_found: Error: "
                                             "unknown component " + escaped);
  EXPECT_EQ(worker_failure.size(), 1u) << log;
  auto supervisor_failure = LinesContaining(log, "render " + escaped + " on worker ");
  ASSERT_EQ(supervisor_failure.size(), 1u) << log;
  EXPECT_NE(supervisor_failure[0].find("not_found: Error: unknown component " + escaped),
            std::string::npos) << supervisor_failure[0];
  EXPECT_EQ(LinesContaining(log, "console.log: first\\n[info] forged by a bundle\\r").size(), 1u)
      << log;
  EXPECT_EQ(LinesContaining(log, "forged").size(), 3u) << log;
}

// Issue 11.10: a rejection nobody handled was in neither the reply nor the log.
TEST(HardeningTest, UnhandledRejectionsReachTheConsoleTheLogAndTheTimeoutMessage) {
  TempDir dir;
  std::string bundle = CopyBundle(dir, "faults.mjs");
  DaemonProcess daemon(DaemonConfig{bundle, 1, {}});
  ASSERT_TRUE(daemon.Start());
  auto pids_before = WorkerPids(bundle);
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn);

  auto unhandled = Call(*conn, RenderRequest(1, "RejectsUnhandled", "{}"));
  ASSERT_TRUE(unhandled);
  ASSERT_TRUE(unhandled->ok()) << unhandled->error->ToString();
  EXPECT_EQ(unhandled->html, "<p>RejectsUnhandled</p>");
  ASSERT_EQ(unhandled->console.size(), 1u);
  EXPECT_EQ(unhandled->console[0].level, "error");
  EXPECT_EQ(unhandled->console[0].text, "unhandled promise rejection: Error: nobody handles this");

  // Controls: a rejection handled before the render ends, and the render's own rejected promise
  // (which is its js_error), are not reported as unhandled.
  auto handled = Call(*conn, RenderRequest(2, "RejectsHandledLater", "{}"));
  ASSERT_TRUE(handled);
  ASSERT_TRUE(handled->ok()) << handled->error->ToString();
  EXPECT_TRUE(handled->console.empty()) << handled->console[0].text;
  auto own = Call(*conn, RenderRequest(3, "AsyncThrows", "{}"));
  ASSERT_TRUE(own);
  ASSERT_FALSE(own->ok());
  EXPECT_EQ(own->error->ToString(), "js_error: Error: async boom");
  EXPECT_TRUE(own->console.empty()) << own->console[0].text;

  ipc::Request hangs = RenderRequest(4, "RejectsThenHangs", "{}");
  hangs.timeout_ms = 500;
  auto timed_out = Call(*conn, hangs);
  ASSERT_TRUE(timed_out);
  ASSERT_FALSE(timed_out->ok());
  EXPECT_EQ(ipc::ErrorCodeName(timed_out->error->code), "timeout");
  // The deadline the worker names is the time left when it read the request: a few ms under 500.
  const std::regex expected(
      "render of RejectsThenHangs passed its deadline of \\d+ ms; a promise rejection went "
      "unhandled during the render: Error: lost on the way");
  EXPECT_TRUE(std::regex_match(timed_out->error->message, expected)) << timed_out->error->message;
  ASSERT_EQ(timed_out->console.size(), 1u);
  EXPECT_EQ(timed_out->console[0].text, "unhandled promise rejection: Error: lost on the way");

  ExpectEchoServed(*conn, 5);
  EXPECT_EQ(WorkerPids(bundle), pids_before);
  daemon.Stop();
  EXPECT_EQ(LinesContaining(daemon.Stderr(),
                            "console.error: unhandled promise rejection: Error: nobody handles this")
                .size(),
            1u)
      << daemon.Stderr();
}

}  // namespace
}  // namespace ssrd::testing
