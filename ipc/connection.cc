#include "ipc/connection.h"

#include <utility>

namespace ssrd::ipc {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;

// One queued write: the request and the bytes it points at live and die together.
struct WriteRequest {
  uv_write_t req;
  std::vector<std::string> frames;
  std::size_t bytes;
  Connection* connection;
};

uv_handle_t* Handle(uv_stream_t* stream) { return reinterpret_cast<uv_handle_t*>(stream); }

// Frees a stream handle as the type it was allocated as.
void DeleteStream(uv_stream_t* stream) {
  if (stream->type == UV_TCP) {
    delete reinterpret_cast<uv_tcp_t*>(stream);
  } else {
    delete reinterpret_cast<uv_stream_t*>(stream);
  }
}

}  // namespace

Connection::Connection(uv_stream_t* stream, std::size_t max_frame_bytes, Callbacks callbacks)
    : stream_(stream), decoder_(max_frame_bytes), callbacks_(std::move(callbacks)) {
  stream_->data = this;
  prepare_ = new uv_prepare_t;
  check_ = new uv_check_t;
  uv_prepare_init(stream_->loop, prepare_);
  uv_check_init(stream_->loop, check_);
  prepare_->data = this;
  check_->data = this;
}

Connection* Connection::Adopt(uv_stream_t* stream, std::size_t max_frame_bytes,
                              Callbacks callbacks) {
  auto* connection = new Connection(stream, max_frame_bytes, std::move(callbacks));
  connection->StartReading();
  return connection;
}

Connection* Connection::Open(uv_loop_t* loop, int fd, std::size_t max_frame_bytes,
                             Callbacks callbacks) {
  auto* pipe = new uv_pipe_t;
  if (uv_pipe_init(loop, pipe, 0) != 0) {
    delete pipe;
    return nullptr;
  }
  if (uv_pipe_open(pipe, fd) != 0) {
    // The handle is initialised, so libuv must close it before its memory may go.
    uv_close(reinterpret_cast<uv_handle_t*>(pipe),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); });
    return nullptr;
  }
  return Adopt(pipe, max_frame_bytes, std::move(callbacks));
}

void Connection::StartReading() {
  if (uv_read_start(stream_, AllocCb, ReadCb) != 0) StartClose();
}

void Connection::AllocCb(uv_handle_t* h, std::size_t /*suggested*/, uv_buf_t* buf) noexcept {
  // libuv has at most one read outstanding per stream, so one buffer per connection suffices.
  auto* self = static_cast<Connection*>(h->data);
  if (self->read_buffer_.size() != kReadBufferBytes) self->read_buffer_.resize(kReadBufferBytes);
  *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(kReadBufferBytes));
}

void Connection::ReadCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
  static_cast<Connection*>(s->data)->OnRead(nread, buf);
}

void Connection::OnRead(ssize_t nread, const uv_buf_t* buf) noexcept {
  if (nread == 0 || closing_) return;  // 0: EAGAIN, nothing to do
  if (nread < 0) {
    // EOF: flush what was already queued (replies to a peer that only shut down its write side);
    // any other error means the socket is unusable.
    Close(/*graceful=*/nread == UV_EOF);
    return;
  }
  reads_total_.fetch_add(1, std::memory_order_relaxed);
  decoder_.Feed(buf->base, static_cast<std::size_t>(nread));
  std::string payload;
  while (!closing_) {
    switch (decoder_.Next(&payload)) {
      case FrameDecoder::Status::kFrame:
        if (callbacks_.on_frame) callbacks_.on_frame(*this, std::move(payload));
        payload.clear();
        continue;
      case FrameDecoder::Status::kNeedMore: return;
      case FrameDecoder::Status::kTooLarge:
        uv_read_stop(stream_);
        if (callbacks_.on_too_large) callbacks_.on_too_large(*this, decoder_.rejected_length());
        Close(/*graceful=*/true);  // lets a reply written by on_too_large reach the peer
        return;
    }
  }
}

// libuv writes with plain writev(), which raises SIGPIPE when the peer is gone: a program using
// Connection must ignore SIGPIPE (then the write fails with EPIPE and WriteCb closes us).
void Connection::WriteFramed(std::string framed) {
  if (closing_ || framed.empty()) return;
  pending_write_bytes_ += framed.size();
  outbox_.push_back(std::move(framed));
  if (flush_armed_) return;
  flush_armed_ = true;
  uv_prepare_start(prepare_, [](uv_prepare_t* h) noexcept { FlushCb(reinterpret_cast<uv_handle_t*>(h)); });
  uv_check_start(check_, [](uv_check_t* h) noexcept { FlushCb(reinterpret_cast<uv_handle_t*>(h)); });
}

void Connection::FlushCb(uv_handle_t* h) noexcept { static_cast<Connection*>(h->data)->Flush(); }

void Connection::Flush() noexcept {
  if (flush_armed_) {
    flush_armed_ = false;
    uv_prepare_stop(prepare_);
    uv_check_stop(check_);
  }
  if (outbox_.empty() || uv_is_closing(Handle(stream_))) return;
  std::vector<uv_buf_t> bufs;
  bufs.reserve(outbox_.size());
  std::size_t total = 0;
  for (std::string& frame : outbox_) {
    bufs.push_back(uv_buf_init(frame.data(), static_cast<unsigned>(frame.size())));
    total += frame.size();
  }
  ++writes_issued_;
  // Written at once when the socket takes it all, which is the common case: no write request and
  // no completion for libuv to process. That saves more than an allocation: libuv 1.44 ends every
  // uv_write by re-registering the socket with epoll (an epoll_ctl per write, seen with strace as
  // one per frame relayed). uv_try_write refuses (UV_EAGAIN) while earlier writes are queued, so
  // order is kept.
  std::size_t written = 0;
  if (int n = uv_try_write(stream_, bufs.data(), static_cast<unsigned>(bufs.size())); n > 0) {
    written = static_cast<std::size_t>(n);
  } else if (n != UV_EAGAIN && n != UV_ENOSYS) {
    StartClose();
    return;
  }
  pending_write_bytes_ -= written;
  if (written == total) {
    outbox_.clear();
    return;
  }
  // The rest goes through libuv, which writes it when the socket has room.
  std::size_t skip = written;
  std::size_t first = 0;
  while (skip >= bufs[first].len) skip -= bufs[first++].len;
  bufs[first].base += skip;
  bufs[first].len -= static_cast<unsigned>(skip);
  auto* request = new WriteRequest{{}, std::move(outbox_), total - written, this};
  outbox_.clear();
  request->req.data = request;
  if (uv_write(&request->req, stream_, bufs.data() + first,
               static_cast<unsigned>(bufs.size() - first), WriteCb) != 0) {
    pending_write_bytes_ -= request->bytes;
    delete request;
    StartClose();
  }
}

void Connection::Write(std::string_view payload) {
  if (closing_) return;
  std::string framed;
  AppendFrame(&framed, payload);
  WriteFramed(std::move(framed));
}

void Connection::WriteCb(uv_write_t* req, int status) noexcept {
  auto* request = static_cast<WriteRequest*>(req->data);
  Connection* self = request->connection;
  self->pending_write_bytes_ -= request->bytes;
  delete request;
  // UV_ECANCELED: the handle is closing and libuv is returning the queued writes.
  if (status < 0 && status != UV_ECANCELED) self->StartClose();
}

void Connection::Close(bool graceful) {
  if (closing_) {
    // A forced close may overtake a graceful one that is still waiting for its writes.
    if (!graceful && close_when_flushed_) StartClose();
    return;
  }
  closing_ = true;
  uv_read_stop(stream_);
  if (graceful) Flush();  // the frames queued this turn are part of what must reach the peer
  if (graceful && pending_write_bytes_ > 0) {
    // uv_shutdown completes after every queued write has, which is exactly "flushed".
    auto* shutdown = new uv_shutdown_t;
    shutdown->data = this;
    if (uv_shutdown(shutdown, stream_, ShutdownCb) == 0) {
      close_when_flushed_ = true;
      return;
    }
    delete shutdown;
  }
  StartClose();
}

void Connection::ShutdownCb(uv_shutdown_t* req, int /*status*/) noexcept {
  // Whatever the status (even ECANCELED after a forced close), the connection is done.
  auto* self = static_cast<Connection*>(req->data);
  delete req;
  self->StartClose();
}

void Connection::StartClose() noexcept {
  closing_ = true;
  if (uv_is_closing(Handle(stream_))) return;
  uv_read_stop(stream_);
  // Frames never handed to libuv are dropped with the connection.
  for (const std::string& frame : outbox_) pending_write_bytes_ -= frame.size();
  outbox_.clear();
  flush_armed_ = false;
  auto free_handle = [](uv_handle_t* h) noexcept {
    if (h->type == UV_PREPARE) delete reinterpret_cast<uv_prepare_t*>(h);
    else delete reinterpret_cast<uv_check_t*>(h);
  };
  uv_close(reinterpret_cast<uv_handle_t*>(prepare_), free_handle);
  uv_close(reinterpret_cast<uv_handle_t*>(check_), free_handle);
  prepare_ = nullptr;
  check_ = nullptr;
  uv_close(Handle(stream_), CloseCb);
}

void Connection::CloseCb(uv_handle_t* h) noexcept {
  auto* self = static_cast<Connection*>(h->data);
  if (self->callbacks_.on_closed) self->callbacks_.on_closed(*self);
  DeleteStream(self->stream_);
  delete self;
}

}  // namespace ssrd::ipc
