// A code-split build made by a real bundler (esbuild --splitting, bundles/code_split): the entry
// loads each route through import() and two routes load a nested chunk the same way. Every route
// renders what Node renders from the same build; and a nested chunk replaced while two clients
// keep the daemon busy loses and fails no request, every reply is the old page or the new one
// (never anything else), and once the reload is in service every reply is new.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBuilds = SSRD_TEST_CODE_SPLIT_DIR;  // v1/, v2/ and Node's v1.tsv, v2.tsv
constexpr char kChangedChunk[] = "chunks/details.mjs";

struct Page {
  std::uint32_t status = 0;
  std::string html;
  bool operator==(const Page& other) const { return status == other.status && html == other.html; }
};

// url -> page, from node_render.mjs's "URL<TAB>STATUS<TAB>HTML" lines.
std::map<std::string, Page> NodePages(const std::string& version) {
  std::map<std::string, Page> pages;
  std::ifstream in(kBuilds + "/" + version + ".tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::size_t a = line.find('\t'), b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    pages[line.substr(0, a)] = Page{static_cast<std::uint32_t>(std::stoul(line.substr(a + 1, b - a - 1))),
                                    line.substr(b + 1)};
  }
  return pages;
}

std::string Describe(const ipc::Reply& reply) {
  if (!reply.ok()) return "error: " + reply.error->ToString();
  return std::to_string(reply.status) + " " + reply.html.substr(0, 200);
}

class CodeSplitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1_ = NodePages("v1");
    v2_ = NodePages("v2");
    ASSERT_EQ(v1_.size(), 4u) << "Node's pages of the v1 build are missing in " << kBuilds;
    ASSERT_EQ(v2_.size(), 4u);
    // The two builds differ in the nested chunk alone, and so do their pages.
    ASSERT_NE(ReadFileOrEmpty(kBuilds + "/v1/" + kChangedChunk),
              ReadFileOrEmpty(kBuilds + "/v2/" + kChangedChunk));
    ASSERT_NE(v1_["/product"].html, v2_["/product"].html);
    ASSERT_EQ(v1_["/"].html, v2_["/"].html);
    app_ = dir_.File("app");
    fs::copy(kBuilds + "/v1", app_, fs::copy_options::recursive);
  }

  std::map<std::string, Page> v1_, v2_;
  TempDir dir_;
  TempDir cache_;
  std::string app_;
};

ipc::Request RouteRequest(std::uint64_t id, const std::string& url) {
  ipc::Request request = RenderRequest(id, "Page", "{}");
  request.url = url;
  return request;
}

TEST_F(CodeSplitTest, EveryRouteRendersAsInNode) {
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{}, {"--isolation", "fresh"}, {"--no-snapshot"}}) {
    std::vector<std::string> args = {"--snapshot-dir", cache_.path()};
    args.insert(args.end(), mode.begin(), mode.end());
    DaemonProcess daemon(DaemonConfig{app_ + "/entry.mjs", 1, args});
    ASSERT_TRUE(daemon.Start()) << daemon.Stderr();
    auto conn = RawConnection::Connect(daemon.socket_path());
    ASSERT_TRUE(conn.ok());
    std::uint64_t id = 0;
    for (int round = 0; round < 2; ++round) {  // the second round with the chunks loaded
      for (const auto& [url, want] : v1_) {
        auto reply = Call(*conn, RouteRequest(++id, url));
        ASSERT_TRUE(reply);
        ASSERT_TRUE(reply->ok()) << url << ": " << Describe(*reply) << "\n" << daemon.Stderr();
        EXPECT_EQ((Page{reply->status, reply->html}), want)
            << url << " (" << (mode.empty() ? "default" : mode[0]) << ")\n got: " << reply->html
            << "\nwant: " << want.html;
      }
    }
    EXPECT_EQ(daemon.Stop().exit_code, 0) << daemon.Stderr();
  }
}

TEST_F(CodeSplitTest, ANestedChunkReplacedUnderLoadLosesNothingAndNeverMixes) {
  // Bounds: each client stops after kMaxPerClient requests, or at kDeadline, or once it has had
  // kAfterReload replies to requests sent after the reload was in service.
  constexpr int kClients = 2;
  constexpr int kMaxPerClient = 3000;
  constexpr int kAfterReload = 40;
  constexpr int kBeforeChange = 20;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);

  DaemonProcess daemon(DaemonConfig{app_ + "/entry.mjs", 2, {"--snapshot-dir", cache_.path()}});
  ASSERT_TRUE(daemon.Start()) << daemon.Stderr();

  const std::vector<std::string> urls = {"/product", "/about", "/", "/missing"};
  std::atomic<bool> reloaded{false};
  std::atomic<int> sent{0}, answered{0}, failed{0}, unexpected{0}, old_pages{0}, new_pages{0},
      old_after_reload{0};
  std::atomic<int> started[kClients] = {};
  std::mutex mu;
  std::vector<std::string> problems;
  auto report = [&](std::string problem) {
    std::lock_guard<std::mutex> lock(mu);
    if (problems.size() < 8) problems.push_back(std::move(problem));
  };

  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      auto conn = RawConnection::Connect(daemon.socket_path());
      if (!conn.ok()) {
        report("client " + std::to_string(c) + " cannot connect: " + conn.error().ToString());
        return;
      }
      int after = 0;
      for (int i = 0; i < kMaxPerClient && after < kAfterReload &&
                      std::chrono::steady_clock::now() < deadline;
           ++i) {
        const std::string& url = urls[static_cast<std::size_t>(i + c) % urls.size()];
        const bool sent_after_reload = reloaded.load();
        ++sent;
        std::string frame;
        ipc::EncodeRequest(RouteRequest(static_cast<std::uint64_t>(i + 1), url), &frame);
        if (!conn->Write(frame).ok()) {
          ++failed;
          report("client " + std::to_string(c) + ": write failed");
          return;
        }
        auto payload = conn->ReadFrame(std::chrono::seconds(30));
        auto reply = payload.ok() ? ipc::DecodeReply(*payload)
                                  : ipc::Result<ipc::Reply>(payload.error());
        if (!reply.ok() || reply->id != static_cast<std::uint64_t>(i + 1)) {
          ++failed;
          report("client " + std::to_string(c) + " request " + std::to_string(i + 1) + " " + url +
                 ": no reply of its own");
          return;
        }
        ++answered;
        started[c] = i + 1;
        if (!reply->ok()) {
          ++failed;
          report(url + ": " + Describe(*reply));
          continue;
        }
        const Page page{reply->status, reply->html};
        const bool is_old = page == v1_.at(url), is_new = page == v2_.at(url);
        if (!is_old && !is_new) {
          ++unexpected;
          report(url + ": neither the old page nor the new one: " + Describe(*reply));
        } else if (is_old && !is_new) {
          ++old_pages;
          if (sent_after_reload) {
            ++old_after_reload;
            report(url + ": the old page after the reload was in service");
          }
        } else if (is_new && !is_old) {
          ++new_pages;
        }
        if (sent_after_reload) ++after;
      }
    });
  }

  // Deploy while both clients are busy: every worker has loaded the chunk by then.
  const bool busy = WaitFor(
      [&] {
        for (auto& s : started) {
          if (s.load() < kBeforeChange) return false;
        }
        return true;
      },
      std::chrono::seconds(60));
  if (busy) {
    const std::string chunk = app_ + "/" + kChangedChunk, staged = chunk + ".tmp";
    WriteFile(staged, ReadFileOrEmpty(kBuilds + "/v2/" + kChangedChunk));
    EXPECT_EQ(std::rename(staged.c_str(), chunk.c_str()), 0);
    const bool in_service = WaitFor(
        [&] { return Stats(daemon.socket_path()).stats["reloads"] >= 1; }, std::chrono::seconds(60));
    EXPECT_TRUE(in_service) << "the change to a nested chunk did not reload the workers\n"
                            << daemon.Stderr();
    reloaded = true;
  }
  for (auto& client : clients) client.join();
  ASSERT_TRUE(busy) << "the clients did not get going";

  for (const auto& problem : problems) ADD_FAILURE() << problem;
  std::printf("%d requests: %d old pages, %d new, the rest the same in both builds\n", sent.load(),
              old_pages.load(), new_pages.load());
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(answered.load(), sent.load()) << "requests lost";
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(old_after_reload.load(), 0);
  EXPECT_GT(old_pages.load(), 0) << "the load did not start before the change";
  EXPECT_GT(new_pages.load(), 0);
  ipc::Reply stats = Stats(daemon.socket_path());
  EXPECT_EQ(stats.stats["reloads"], 1);
  EXPECT_EQ(stats.stats["errors"], 0);
  EXPECT_EQ(daemon.Stop().exit_code, 0) << daemon.Stderr();
}

}  // namespace
}  // namespace ssrd::testing
