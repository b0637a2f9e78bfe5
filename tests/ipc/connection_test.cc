// Connection on a real libuv loop over a socketpair. Every test ends (in TearDown) by asserting
// that uv_loop_close() succeeds, i.e. that no handle was leaked.
#include "ipc/connection.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "ipc/fd_io.h"
#include "ipc/frame.h"

namespace ssrd::ipc {
namespace {

std::string Framed(std::string_view payload) {
  std::string out;
  AppendFrame(&out, payload);
  return out;
}

std::string Header(std::uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

// Writes `bytes` into an fd a few at a time, one piece per loop iteration (an idle handle makes
// the loop poll without blocking in between), so the reading side sees frames cut at arbitrary
// points across separate reads.
struct PieceWriter {
  uv_idle_t idle;
  int fd;
  std::string bytes;
  std::size_t piece;
  std::size_t at = 0;

  void Start(uv_loop_t* loop) {
    uv_idle_init(loop, &idle);
    idle.data = this;
    uv_idle_start(&idle, Tick);
  }
  static void Tick(uv_idle_t* h) noexcept {
    auto* self = static_cast<PieceWriter*>(h->data);
    const std::size_t n = std::min(self->piece, self->bytes.size() - self->at);
    ASSERT_EQ(::write(self->fd, self->bytes.data() + self->at, n), static_cast<ssize_t>(n));
    self->at += n;
    if (self->at == self->bytes.size()) uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
  }
};

class ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
  }

  void TearDown() override {
    if (fds_[1] >= 0) ::close(fds_[1]);
    if (!connection_opened_ && fds_[0] >= 0) ::close(fds_[0]);
    uv_run(&loop_, UV_RUN_NOWAIT);  // lets pending close callbacks run
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was leaked";
  }

  // Runs the loop until nothing is left to do; a guard timer fails the test instead of hanging.
  void Run() {
    uv_timer_t guard;
    uv_timer_init(&loop_, &guard);
    guard.data = &loop_;
    uv_timer_start(
        &guard,
        [](uv_timer_t* t) noexcept {
          ADD_FAILURE() << "loop still busy after 10 s";
          uv_stop(static_cast<uv_loop_t*>(t->data));
        },
        10000, 0);
    uv_unref(reinterpret_cast<uv_handle_t*>(&guard));
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
  }

  Connection* OpenOurEnd(std::size_t max_frame_bytes, Connection::Callbacks callbacks) {
    Connection* c = Connection::Open(&loop_, fds_[0], max_frame_bytes, std::move(callbacks));
    connection_opened_ = c != nullptr;
    return c;
  }

  // Counts on_closed calls and records frames; everything a test usually wants.
  Connection::Callbacks Recorder() {
    Connection::Callbacks cb;
    cb.on_frame = [this](Connection&, std::string&& payload) { frames_.push_back(payload); };
    cb.on_closed = [this](Connection&) { ++closed_; };
    return cb;
  }

  void CloseTheirEnd() {
    ::close(fds_[1]);
    fds_[1] = -1;
  }

  uv_loop_t loop_;
  int fds_[2] = {-1, -1};
  bool connection_opened_ = false;
  std::vector<std::string> frames_;
  int closed_ = 0;
};

const std::vector<std::string> kPayloads = {"alpha", "", "gamma-gamma", std::string(3000, 'd')};

std::string FramedPayloads() {
  std::string out;
  for (const std::string& p : kPayloads) AppendFrame(&out, p);
  return out;
}

TEST_F(ConnectionTest, FramesSentInSmallPiecesArriveWhole) {
  for (std::size_t piece : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
    frames_.clear();
    closed_ = 0;
    // A fresh socketpair per piece size: each Connection closes its end.
    if (piece != 1) {
      ::close(fds_[1]);
      ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0);
    }
    Connection::Callbacks cb = Recorder();
    cb.on_frame = [this](Connection& c, std::string&& payload) {
      frames_.push_back(payload);
      if (frames_.size() == kPayloads.size()) c.Close();
    };
    ASSERT_NE(OpenOurEnd(kDefaultMaxFrameBytes, std::move(cb)), nullptr);
    PieceWriter writer{{}, fds_[1], FramedPayloads(), piece};
    writer.Start(&loop_);
    Run();
    EXPECT_EQ(frames_, kPayloads) << "piece size " << piece;
    EXPECT_EQ(closed_, 1);
  }
}

TEST_F(ConnectionTest, CoalescedFramesArriveInOrderThenPeerEofCloses) {
  std::string stream;
  std::vector<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    expected.push_back("frame " + std::to_string(i));
    AppendFrame(&stream, expected.back());
  }
  ASSERT_TRUE(WriteAll(fds_[1], stream).ok());
  CloseTheirEnd();
  ASSERT_NE(OpenOurEnd(kDefaultMaxFrameBytes, Recorder()), nullptr);
  Run();
  EXPECT_EQ(frames_, expected);
  EXPECT_EQ(closed_, 1);
}

TEST_F(ConnectionTest, NoFrameIsDeliveredAfterClose) {
  ASSERT_TRUE(WriteAll(fds_[1], FramedPayloads()).ok());
  Connection::Callbacks cb = Recorder();
  cb.on_frame = [this](Connection& c, std::string&& payload) {
    frames_.push_back(payload);
    c.Close();
    c.Close();  // twice is harmless
  };
  ASSERT_NE(OpenOurEnd(kDefaultMaxFrameBytes, std::move(cb)), nullptr);
  Run();
  EXPECT_EQ(frames_, std::vector<std::string>{"alpha"});
  EXPECT_EQ(closed_, 1);
}

TEST_F(ConnectionTest, WritesArriveWholeAndGracefulCloseFlushesThem) {
  Connection* c = OpenOurEnd(kDefaultMaxFrameBytes, Recorder());
  ASSERT_NE(c, nullptr);
  // 4 MiB is far more than a socket buffer holds, so libuv must queue and finish it later.
  const std::vector<std::string> sent = {"first", std::string(4 * 1024 * 1024, 'x'), "", "last"};
  std::size_t framed_bytes = 0;
  for (const std::string& p : sent) {
    c->Write(p);
    framed_bytes += kFrameHeaderBytes + p.size();
  }
  EXPECT_EQ(c->pending_write_bytes(), framed_bytes);
  c->Close(/*graceful=*/true);
  EXPECT_TRUE(c->closing());
  // Close wrote what the socket took at once (uv_try_write); the rest waits in libuv.
  const std::size_t pending = c->pending_write_bytes();
  EXPECT_GT(pending, 0u);
  EXPECT_LT(pending, framed_bytes);
  c->Write("ignored after Close");
  EXPECT_EQ(c->pending_write_bytes(), pending);

  std::vector<std::string> received;
  Result<void> end;
  std::thread reader([&] {
    FrameDecoder decoder;
    std::string payload;
    for (;;) {
      Result<void> r = ReadFrame(fds_[1], &decoder, &payload);
      if (!r.ok()) {
        end = r;
        return;
      }
      received.push_back(payload);
    }
  });
  Run();
  reader.join();
  EXPECT_EQ(received, sent);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(end.error().message, "connection closed");
  EXPECT_EQ(closed_, 1);
}

// Frames queued in one turn of the loop leave in one write; frames queued in a later turn (here
// from a timer, before the loop waits again) in another.
TEST_F(ConnectionTest, FramesQueuedInOneTurnLeaveInOneWrite) {
  Connection* c = OpenOurEnd(kDefaultMaxFrameBytes, Recorder());
  ASSERT_NE(c, nullptr);
  for (const std::string& p : kPayloads) c->Write(p);
  EXPECT_EQ(c->writes_issued(), 0u) << "nothing is written inside Write()";
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(c->writes_issued(), 1u);
  // Taken whole by the socket: written at once, with no write request left for libuv to finish.
  EXPECT_EQ(c->pending_write_bytes(), 0u);
  uv_timer_t later;
  uv_timer_init(&loop_, &later);
  later.data = c;
  uv_timer_start(
      &later,
      [](uv_timer_t* t) noexcept {
        auto* conn = static_cast<Connection*>(t->data);
        conn->Write("from a timer");
        conn->Write("and another");
      },
      0, 0);
  // NOWAIT runs the due timer and the write it queues; ONCE would then wait for an event, and a
  // write the socket took whole leaves none.
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(c->writes_issued(), 2u);
  uv_close(reinterpret_cast<uv_handle_t*>(&later), nullptr);
  c->Close(/*graceful=*/true);
  std::vector<std::string> received;
  std::thread reader([&] {
    FrameDecoder decoder;
    std::string payload;
    while (ReadFrame(fds_[1], &decoder, &payload).ok()) received.push_back(payload);
  });
  Run();
  reader.join();
  std::vector<std::string> expected = kPayloads;
  expected.push_back("from a timer");
  expected.push_back("and another");
  EXPECT_EQ(received, expected);
}

TEST_F(ConnectionTest, ForcedCloseOvertakesAGracefulOne) {
  Connection* c = OpenOurEnd(kDefaultMaxFrameBytes, Recorder());
  ASSERT_NE(c, nullptr);
  c->Write(std::string(8 * 1024 * 1024, 'x'));  // nobody reads: this never flushes
  c->Close(/*graceful=*/true);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(closed_, 0);
  c->Close(/*graceful=*/false);
  Run();
  EXPECT_EQ(closed_, 1);
}

TEST_F(ConnectionTest, WriteToAVanishedPeerClosesTheConnection) {
  // libuv writes with plain writev(), so like any libuv program this one must ignore SIGPIPE.
  ::signal(SIGPIPE, SIG_IGN);
  CloseTheirEnd();
  Connection* c = OpenOurEnd(kDefaultMaxFrameBytes, Recorder());
  ASSERT_NE(c, nullptr);
  c->Write(std::string(1024 * 1024, 'x'));
  Run();
  EXPECT_EQ(closed_, 1);
}

TEST_F(ConnectionTest, TooLargeCallsBackLetsItReplyThenCloses) {
  ASSERT_TRUE(WriteAll(fds_[1], Framed("fine") + Header(1025) + "some of the payload").ok());
  std::uint32_t announced = 0;
  Connection::Callbacks cb = Recorder();
  cb.on_too_large = [&](Connection& c, std::uint32_t n) {
    announced = n;
    c.Write("too_large reply");
  };
  ASSERT_NE(OpenOurEnd(1024, std::move(cb)), nullptr);
  Run();
  EXPECT_EQ(frames_, std::vector<std::string>{"fine"});
  EXPECT_EQ(announced, 1025u);
  EXPECT_EQ(closed_, 1);
  // The reply was flushed before the close.
  FrameDecoder decoder;
  std::string payload;
  ASSERT_TRUE(ReadFrame(fds_[1], &decoder, &payload).ok());
  EXPECT_EQ(payload, "too_large reply");
  Result<void> end = ReadFrame(fds_[1], &decoder, &payload);
  ASSERT_FALSE(end.ok());
  EXPECT_EQ(end.error().message, "connection closed");
}

TEST_F(ConnectionTest, TooLargeWithoutAReplyClosesAtOnce) {
  ASSERT_TRUE(WriteAll(fds_[1], Header(0xFFFFFFFF)).ok());
  ASSERT_NE(OpenOurEnd(kDefaultMaxFrameBytes, Recorder()), nullptr);  // no on_too_large set
  Run();
  EXPECT_TRUE(frames_.empty());
  EXPECT_EQ(closed_, 1);
}

TEST_F(ConnectionTest, TwoConnectionsEchoEachOther) {
  int echoed = 0;
  int closed_b = 0;
  constexpr int kCount = 50;
  Connection::Callbacks a_cb = Recorder();
  a_cb.on_frame = [&](Connection& c, std::string&& payload) {
    EXPECT_EQ(payload, "msg " + std::to_string(echoed));  // replies come back in order here
    if (++echoed == kCount) c.Close(/*graceful=*/true);
  };
  Connection* a = OpenOurEnd(kDefaultMaxFrameBytes, std::move(a_cb));
  ASSERT_NE(a, nullptr);
  Connection::Callbacks b_cb;
  b_cb.on_frame = [](Connection& c, std::string&& payload) { c.Write(payload); };
  b_cb.on_closed = [&](Connection&) { ++closed_b; };
  Connection* b = Connection::Open(&loop_, fds_[1], kDefaultMaxFrameBytes, std::move(b_cb));
  ASSERT_NE(b, nullptr);
  fds_[1] = -1;  // owned by b now
  for (int i = 0; i < kCount; ++i) a->Write("msg " + std::to_string(i));
  Run();
  EXPECT_EQ(echoed, kCount);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(closed_b, 1);  // saw EOF when a closed
}

TEST_F(ConnectionTest, OpenFailsCleanlyOnABadFd) {
  EXPECT_EQ(Connection::Open(&loop_, -1, kDefaultMaxFrameBytes, Recorder()), nullptr);
  Run();
  EXPECT_EQ(closed_, 0);  // a Connection that never existed never reports closing
}

TEST_F(ConnectionTest, AdoptTakesAnAcceptedPipe) {
  auto* pipe = new uv_pipe_t;
  ASSERT_EQ(uv_pipe_init(&loop_, pipe, 0), 0);
  ASSERT_EQ(uv_pipe_open(pipe, fds_[0]), 0);
  connection_opened_ = true;
  Connection* c = Connection::Adopt(pipe, kDefaultMaxFrameBytes, Recorder());
  c->user_data = this;
  ASSERT_TRUE(WriteAll(fds_[1], Framed("adopted")).ok());
  CloseTheirEnd();
  Run();
  EXPECT_EQ(frames_, std::vector<std::string>{"adopted"});
  EXPECT_EQ(closed_, 1);
}

}  // namespace
}  // namespace ssrd::ipc
