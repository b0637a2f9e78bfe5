// Streamed renders through the real daemon (docs/protocol.md, "Streaming"): chunk frames, the
// final reply, errors and crashes mid-stream, cancel, a client that leaves or does not read.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The frames of one streamed request: the chunks' html, then the final reply.
struct Streamed {
  std::vector<std::string> chunks;
  std::optional<ipc::Reply> final_reply;
  std::string Page() const {
    std::string page;
    for (const std::string& c : chunks) page += c;
    if (final_reply && final_reply->ok()) page += final_reply->html;
    return page;
  }
};

// Reads frames of request `id` until its final reply (frames of other ids are dropped).
Streamed ReadStream(RawConnection& conn, std::uint64_t id, std::size_t max_frame = 0) {
  Streamed out;
  for (;;) {
    auto payload = conn.ReadFrame(seconds(30));
    if (!payload) {
      ADD_FAILURE() << "stream of request " << id << " ended: " << payload.error().ToString();
      return out;
    }
    if (max_frame != 0) EXPECT_LE(payload->size(), max_frame);
    auto reply = ipc::DecodeReply(*payload);
    if (!reply) {
      ADD_FAILURE() << "undecodable frame: " << reply.error().ToString();
      return out;
    }
    if (reply->id != id) continue;
    if (reply->chunk) {
      EXPECT_FALSE(reply->html.empty()) << "chunks are never empty";
      out.chunks.push_back(std::move(reply->html));
      continue;
    }
    out.final_reply = std::move(reply).value();
    return out;
  }
}

ipc::Request StreamRequest(std::uint64_t id, const std::string& component,
                           const std::string& props_json) {
  ipc::Request request = RenderRequest(id, component, props_json);
  request.stream = true;
  return request;
}

bool Send(RawConnection& conn, const ipc::Request& request) {
  std::string frame;
  ipc::EncodeRequest(request, &frame);
  return conn.Write(frame).ok();
}

class StreamingTest : public ::testing::Test {
 protected:
  void StartDaemon(int workers, std::vector<std::string> extra = {}) {
    bundle_ = CopyBundle(dir_, "streaming.mjs");
    daemon_.emplace(DaemonConfig{bundle_, workers, std::move(extra)});
    ASSERT_TRUE(daemon_->Start()) << daemon_->Stderr();
  }
  RawConnection Connect() {
    auto conn = RawConnection::Connect(daemon_->socket_path());
    EXPECT_TRUE(conn.ok());
    return std::move(conn).value();
  }
  // The daemon still serves: a plain render on a new connection.
  void ExpectServes() {
    RawConnection conn = Connect();
    auto reply = Call(conn, RenderRequest(900, "Plain", "{}"), seconds(10));
    ASSERT_TRUE(reply && reply->ok()) << (reply && reply->error ? reply->error->ToString() : "");
    EXPECT_EQ(reply->html, "<p>plain</p>");
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->Stop().exit_code, 0) << daemon_->Stderr();
    }
  }

  TempDir dir_;
  std::string bundle_;
  std::optional<DaemonProcess> daemon_;
};

TEST_F(StreamingTest, PiecesArriveAsChunksWhileTheRenderWaitsThenTheFinalReply) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ipc::Request request = StreamRequest(1, "Pieces", R"({"parts":["<a>","<b>","<c>"],"delay_ms":100})");
  request.hydrate = true;
  ASSERT_TRUE(Send(conn, request));
  Streamed s = ReadStream(conn, 1);
  ASSERT_TRUE(s.final_reply && s.final_reply->ok())
      << (s.final_reply && s.final_reply->error ? s.final_reply->error->ToString() : "");
  // Each wait for the next timer sends what was produced before it; the last piece travels in
  // the final reply, which also carries what the renderer set while it streamed.
  EXPECT_EQ(s.chunks, (std::vector<std::string>{"<a>", "<b>"}));
  EXPECT_EQ(s.final_reply->html, "<c>");
  EXPECT_EQ(s.final_reply->head, "<title>streamed</title>");
  EXPECT_EQ(s.final_reply->status, 201u);
  EXPECT_NE(s.final_reply->script.find(R"("data":{"parts":3})"), std::string::npos)
      << s.final_reply->script;
}

TEST_F(StreamingTest, WithoutTheStreamFlagTheSameRenderIsOneReply) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, RenderRequest(1, "Pieces", R"({"parts":["<a>","<b>"],"delay_ms":2})")));
  Streamed s = ReadStream(conn, 1);
  ASSERT_TRUE(s.final_reply && s.final_reply->ok());
  EXPECT_TRUE(s.chunks.empty());
  EXPECT_EQ(s.final_reply->html, "<a><b>");
  EXPECT_EQ(s.final_reply->status, 201u);
}

TEST_F(StreamingTest, TheFirstBytesReachTheClientBeforeTheRenderEnds) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "WaitsAfterFirst", "{}")));
  // The render now waits 60 s for a timer; the first piece must not wait with it.
  auto first = conn.ReadFrame(seconds(10));
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  auto chunk = ipc::DecodeReply(*first);
  ASSERT_TRUE(chunk.ok());
  EXPECT_TRUE(chunk->chunk);
  EXPECT_EQ(chunk->html, "<p>first</p>");
  // Cancel works mid-stream: the final frame says so, and the worker serves the next request.
  ipc::Request cancel;
  cancel.id = 2;
  cancel.op = ipc::Op::kCancel;
  cancel.target_id = 1;
  ASSERT_TRUE(Send(conn, cancel));
  Streamed rest = ReadStream(conn, 1);
  ASSERT_TRUE(rest.final_reply.has_value());
  ASSERT_FALSE(rest.final_reply->ok());
  EXPECT_EQ(rest.final_reply->error->code, ipc::ErrorCode::kCancelled);
  EXPECT_EQ(rest.final_reply->error->message, "request 1 was cancelled while rendering");
  ExpectServes();
}

TEST_F(StreamingTest, ADeadlineStopsAStreamMidway) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ipc::Request request = StreamRequest(1, "WaitsAfterFirst", "{}");
  request.timeout_ms = 300;
  ASSERT_TRUE(Send(conn, request));
  Streamed s = ReadStream(conn, 1);
  EXPECT_EQ(s.chunks, (std::vector<std::string>{"<p>first</p>"}));
  ASSERT_TRUE(s.final_reply && !s.final_reply->ok());
  EXPECT_EQ(s.final_reply->error->code, ipc::ErrorCode::kTimeout);
  EXPECT_EQ(s.final_reply->error->message, "render of WaitsAfterFirst passed its deadline of 300 ms");
  ExpectServes();
}

TEST_F(StreamingTest, BytesSplitInsideACharacterArriveAsValidUtf8) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "SplitBytes", "{}")));
  Streamed s = ReadStream(conn, 1);
  ASSERT_TRUE(s.final_reply && s.final_reply->ok());
  EXPECT_EQ(s.Page(), "<b>\xc3\xa9\xf0\x9f\x99\x82</b>");
}

TEST_F(StreamingTest, APageLargerThanTheFrameLimitStreamsInFramesWithinIt) {
  constexpr std::size_t kLimit = 64 * 1024;
  StartDaemon(1, {"--max-frame-bytes", std::to_string(kLimit)});
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "Big", R"({"pieces":30,"size":50000})")));
  Streamed s = ReadStream(conn, 1, kLimit);
  ASSERT_TRUE(s.final_reply && s.final_reply->ok());
  EXPECT_EQ(s.Page(), std::string(30 * 50000, 'x'));
  EXPECT_GE(s.chunks.size(), 23u);  // 1.5 MB in frames of at most 64 KiB
  // Not streamed, the same page is one reply over the limit.
  auto whole = Call(conn, RenderRequest(2, "Big", R"({"pieces":30,"size":50000})"));
  ASSERT_TRUE(whole && !whole->ok());
  EXPECT_EQ(whole->error->code, ipc::ErrorCode::kTooLarge);
}

TEST_F(StreamingTest, AStreamThatThrowsEndsWithItsErrorAndTheServiceGoesOn) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "ThrowsMidway", "{}")));
  Streamed s = ReadStream(conn, 1);
  EXPECT_EQ(s.chunks, (std::vector<std::string>{"<p>before</p>"}));
  ASSERT_TRUE(s.final_reply && !s.final_reply->ok());
  EXPECT_EQ(s.final_reply->error->code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(s.final_reply->error->message, "Error: stream broke");

  ASSERT_TRUE(Send(conn, StreamRequest(2, "BadChunk", "{}")));
  Streamed bad = ReadStream(conn, 2);
  ASSERT_TRUE(bad.final_reply && !bad.final_reply->ok());
  EXPECT_EQ(bad.final_reply->error->code, ipc::ErrorCode::kJsError);
  EXPECT_EQ(bad.final_reply->error->message,
            "render stream: it must yield strings or Uint8Arrays, got number");
  ExpectServes();
}

TEST_F(StreamingTest, APlainStringAndAStreamResultBothWork) {
  StartDaemon(1);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "Plain", "{}")));
  Streamed plain = ReadStream(conn, 1);
  ASSERT_TRUE(plain.final_reply && plain.final_reply->ok());
  EXPECT_TRUE(plain.chunks.empty());
  EXPECT_EQ(plain.final_reply->html, "<p>plain</p>");

  ASSERT_TRUE(Send(conn, StreamRequest(2, "Whole", "{}")));
  Streamed whole = ReadStream(conn, 2);
  ASSERT_TRUE(whole.final_reply && whole.final_reply->ok());
  EXPECT_EQ(whole.Page(), "<i>a</i><i>b</i>");
  EXPECT_EQ(whole.final_reply->status, 200u);
}

TEST_F(StreamingTest, AWorkerKilledAfterAChunkIsNotRetried) {
  StartDaemon(2);
  RawConnection conn = Connect();
  ASSERT_TRUE(Send(conn, StreamRequest(1, "WaitsAfterFirst", "{}")));
  auto first = conn.ReadFrame(seconds(10));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(ipc::IsChunkPayload(*first));
  // The worker that sent it is the busy one: kill every worker, the idle one's death is harmless.
  for (pid_t pid : WorkerPids(bundle_)) ::kill(pid, SIGKILL);
  Streamed rest = ReadStream(conn, 1);
  ASSERT_TRUE(rest.final_reply && !rest.final_reply->ok());
  EXPECT_EQ(rest.final_reply->error->code, ipc::ErrorCode::kWorkerCrashed);
  EXPECT_NE(rest.final_reply->error->message.find(
                "after 1 chunk(s) of its stream were sent (not retried)"),
            std::string::npos)
      << rest.final_reply->error->message;
  ASSERT_TRUE(WaitFor([&] { return Stats(daemon_->socket_path()).stats["workers"] == 2; },
                      seconds(20)));
  ExpectServes();
}

TEST_F(StreamingTest, AClientThatLeavesMidStreamStopsTheRender) {
  StartDaemon(1);
  {
    RawConnection conn = Connect();
    ASSERT_TRUE(Send(conn, StreamRequest(1, "WaitsAfterFirst", "{}")));
    auto first = conn.ReadFrame(seconds(10));
    ASSERT_TRUE(first.ok() && ipc::IsChunkPayload(*first));
  }  // closed: the render waiting 60 s is cancelled, so the only worker is free again
  ExpectServes();
  EXPECT_GE(Stats(daemon_->socket_path()).stats["cancels"], 1);
}

TEST_F(StreamingTest, AClientThatDoesNotReadIsDisconnectedAtTheBacklogLimit) {
  StartDaemon(1, {"--max-client-backlog-mb", "1"});
  RawConnection conn = Connect();
  // 20 MB streamed to a client that never reads.
  ASSERT_TRUE(Send(conn, StreamRequest(1, "Big", R"({"pieces":400,"size":50000})")));
  EXPECT_TRUE(WaitFor([&] { return daemon_->Stderr().find("(--max-client-backlog-mb)") !=
                                   std::string::npos; },
                      seconds(30)))
      << daemon_->Stderr();
  EXPECT_TRUE(conn.WaitForClose(seconds(30)));
  ExpectServes();
}

}  // namespace
}  // namespace ssrd::testing
