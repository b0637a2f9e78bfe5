// Many callers, shared connections, distinct props: every reply must be the one for its own
// request. This is the defect of the pipe bridge ssrd replaces (interleaved writes, replies
// handed to the wrong caller), so these tests pipeline as hard as they can.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "clients/cpp/client.h"
#include "ipc/message.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"

namespace ssrd::testing {
namespace {

using ssrd::client::Client;

std::string RandomPad(std::mt19937& rng, int max_len) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::uniform_int_distribution<int> len(0, max_len);
  std::uniform_int_distribution<int> pick(0, sizeof(kChars) - 2);
  std::string pad(static_cast<std::size_t>(len(rng)), 'a');
  for (char& c : pad) c = kChars[pick(rng)];
  return pad;
}

// echo.mjs renders "<p>" + component + ":" + JSON.stringify(props) + "</p>"; for these props
// (string keys in insertion order, integers, [a-z0-9] strings) that is the JSON text as sent.
std::string ExpectedHtml(const std::string& component, const std::string& props_json) {
  return "<p>" + component + ":" + props_json + "</p>";
}

TEST(DaemonLoadTest, SixtyFourThreadsSharingSixteenClientsEachGetTheirOwnReplies) {
  constexpr int kClients = 16;
  constexpr int kThreads = 64;
  constexpr int kTotal = 10000;
  constexpr auto kBound = std::chrono::seconds(240);

  DaemonProcess daemon(DaemonConfig{BundlesDir() + "/echo.mjs", 2, {}});
  ASSERT_TRUE(daemon.Start());
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    auto client = Client::Connect(daemon.socket_path());
    ASSERT_TRUE(client) << client.error().ToString();
    clients.push_back(std::move(client).value());
  }

  std::atomic<int> matched{0}, wrong{0}, failed{0};
  std::mutex mu;
  std::vector<std::string> first_problems;
  auto report = [&](std::string problem) {
    std::lock_guard<std::mutex> lock(mu);
    if (first_problems.size() < 5) first_problems.push_back(std::move(problem));
  };
  const auto deadline = std::chrono::steady_clock::now() + kBound;

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Client& client = *clients[t % kClients];  // 4 threads per connection
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1u);
      const int count = kTotal / kThreads + (t < kTotal % kThreads ? 1 : 0);
      for (int i = 0; i < count && std::chrono::steady_clock::now() < deadline; ++i) {
        const std::string props = "{\"thread\":" + std::to_string(t) + ",\"seq\":" +
                                  std::to_string(i) + ",\"pad\":\"" + RandomPad(rng, 300) + "\"}";
        auto result = client.Render("Echo", props);
        if (!result) {
          ++failed;
          report("thread " + std::to_string(t) + " seq " + std::to_string(i) + ": " +
                 result.error().ToString());
        } else if (result->html != ExpectedHtml("Echo", props)) {
          ++wrong;
          report("thread " + std::to_string(t) + " seq " + std::to_string(i) + " got " +
                 result->html.substr(0, 120));
        } else {
          ++matched;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(matched.load(), kTotal) << "not all requests done within the bound";
  for (const auto& problem : first_problems) ADD_FAILURE() << problem;
  auto pong = clients[0]->Ping();
  EXPECT_TRUE(pong) << pong.error().ToString();
}

TEST(DaemonLoadTest, AThousandFramesWrittenBeforeAnyReadAreAllAnsweredAndMatchedById) {
  constexpr int kRequests = 1000;
  DaemonProcess daemon(DaemonConfig{BundlesDir() + "/echo.mjs", 2, {}});
  ASSERT_TRUE(daemon.Start());
  auto conn = RawConnection::Connect(daemon.socket_path());
  ASSERT_TRUE(conn) << conn.error().ToString();

  // Ids far apart and not in sending order, so a reply matched by position would be caught.
  std::mt19937 rng(42);
  std::map<std::uint64_t, std::string> expected;  // id -> html
  std::string burst;
  for (int i = 0; i < kRequests; ++i) {
    ipc::Request request;
    request.id = (static_cast<std::uint64_t>(i) * 2654435761u) % 1000000007u + 1;
    request.op = ipc::Op::kRender;
    request.component = "Pipe";
    const std::string props = "{\"seq\":" + std::to_string(i) + ",\"pad\":\"" +
                              RandomPad(rng, 40) + "\"}";
    auto props_msgpack = ipc::JsonToMsgpack(props);
    ASSERT_TRUE(props_msgpack);
    request.props_msgpack = *props_msgpack;
    ASSERT_TRUE(expected.emplace(request.id, ExpectedHtml("Pipe", props)).second);
    ipc::EncodeRequest(request, &burst);
  }
  auto written = conn->Write(burst);
  ASSERT_TRUE(written) << written.error().ToString();

  std::map<std::uint64_t, int> seen;
  int wrong = 0, errors = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (seen.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    auto payload = conn->ReadFrame(std::chrono::seconds(30));
    ASSERT_TRUE(payload) << payload.error().ToString() << " after " << seen.size() << " replies";
    auto reply = ipc::DecodeReply(*payload);
    ASSERT_TRUE(reply) << reply.error().ToString();
    auto it = expected.find(reply->id);
    ASSERT_NE(it, expected.end()) << "reply for an id never sent: " << reply->id;
    ASSERT_EQ(seen[reply->id]++, 0) << "second reply for id " << reply->id;
    if (!reply->ok()) {
      if (++errors <= 3) ADD_FAILURE() << "id " << reply->id << ": " << reply->error->ToString();
    } else if (reply->html != it->second) {
      if (++wrong <= 3) ADD_FAILURE() << "id " << reply->id << " got " << reply->html;
    }
  }
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(errors, 0);
}

}  // namespace
}  // namespace ssrd::testing
