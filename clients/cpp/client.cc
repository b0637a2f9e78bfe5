#include "clients/cpp/client.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <utility>

#include <unistd.h>

#include "clients/cpp/mux_connection.h"

namespace ssrd::client {
namespace {

using detail::MuxConnection;
using ipc::ErrorCode;
using ipc::MakeError;

// The connection of one process. After fork() the child replaces it without touching its locks,
// which a parent thread may have held at the moment of the fork.
struct ProcessState {
  explicit ProcessState(pid_t p) : pid(p) {}
  const pid_t pid;
  std::mutex mu;  // guards conn
  std::shared_ptr<MuxConnection> conn;
};

}  // namespace

std::string DefaultSocketPath() {
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0') {
    return std::string(runtime_dir) + "/ssrd.sock";
  }
  return "/tmp/ssrd-" + std::to_string(::getuid()) + ".sock";
}

class Client::Impl {
 public:
  Impl(std::string socket_path, ClientOptions options)
      : socket_path_(std::move(socket_path)),
        options_(options),
        state_(new ProcessState(::getpid())) {}

  ~Impl() {
    ProcessState* state = state_.load();
    if (state->pid == ::getpid()) {
      delete state;  // the connection's destructor joins its reader
    } else if (state->conn) {
      state->conn->AbandonAfterFork();  // inherited: leaked on purpose, see client.h
    }
  }

  // Connects now, so that Client::Connect reports an unreachable daemon.
  ipc::Result<void> Warm() {
    ProcessState* state = CurrentState();
    std::lock_guard<std::mutex> lock(state->mu);
    auto conn = OpenConnection();
    if (!conn) return conn.error();
    state->conn = std::move(conn).value();
    return {};
  }

  ipc::Result<ipc::Reply> Call(ipc::Request request, std::chrono::milliseconds timeout,
                               const MuxConnection::ChunkFn& on_chunk = nullptr) {
    ProcessState* state = CurrentState();
    request.id = next_id_.fetch_add(1, std::memory_order_relaxed);
    std::string frame;
    ipc::EncodeRequest(request, &frame);
    if (frame.size() - ipc::kFrameHeaderBytes > options_.max_frame_bytes) {
      return MakeError(ErrorCode::kTooLarge,
                       "request of " + std::to_string(frame.size() - ipc::kFrameHeaderBytes) +
                           " bytes exceeds the limit of " +
                           std::to_string(options_.max_frame_bytes) + " bytes");
    }
    const auto deadline = MuxConnection::Clock::now() + timeout;
    for (int attempt = 0;; ++attempt) {
      std::shared_ptr<MuxConnection> conn;
      bool fresh = false;
      {
        std::lock_guard<std::mutex> lock(state->mu);
        if (!state->conn || state->conn->dead()) {
          // Replacing a dead connection joins its reader, which has already stopped.
          auto opened = OpenConnection();
          if (!opened) {
            state->conn.reset();
            return opened.error();
          }
          state->conn = std::move(opened).value();
          fresh = true;
        }
        conn = state->conn;
      }
      bool not_sent = false;
      auto reply = conn->Call(request.id, frame, deadline, &not_sent, on_chunk);
      if (reply) {
        if (reply->error) return *std::move(reply->error);
        return reply;
      }
      // The connection died before this request left whole (e.g. the daemon restarted since the
      // last call and the reader has not yet seen the EOF, or it died while the frame was queued
      // behind another thread's write): one retry on a new connection is safe.
      if (not_sent && !fresh && attempt == 0) continue;
      if (reply.error().code == ErrorCode::kTimeout) {
        if (request.op == ipc::Op::kRender) SendCancel(*conn, request.id);
        return MakeError(ErrorCode::kTimeout,
                         "no reply within " + std::to_string(timeout.count()) + " ms");
      }
      return reply.error();
    }
  }

  const std::string& socket_path() const { return socket_path_; }
  const ClientOptions& options() const { return options_; }

 private:
  ipc::Result<std::shared_ptr<MuxConnection>> OpenConnection() {
    return MuxConnection::Open(socket_path_, options_.connect_timeout, options_.request_timeout,
                               options_.max_frame_bytes, options_.auth_token,
                               options_.busy_poll);
  }

  // Lets the daemon stop work nobody waits for; its reply (and the late render reply) are dropped.
  void SendCancel(MuxConnection& conn, std::uint64_t target) {
    ipc::Request cancel;
    cancel.id = next_id_.fetch_add(1, std::memory_order_relaxed);
    cancel.op = ipc::Op::kCancel;
    cancel.target_id = target;
    std::string frame;
    ipc::EncodeRequest(cancel, &frame);
    conn.SendOnly(frame);
  }

  ProcessState* CurrentState() {
    ProcessState* state = state_.load();
    const pid_t self = ::getpid();
    if (state->pid == self) return state;
    // First use in a forked child: take a fresh state; the inherited one is never locked or
    // freed, since its locks and reader thread belong to the parent.
    auto* fresh = new ProcessState(self);
    if (state_.compare_exchange_strong(state, fresh)) {
      if (state->conn) state->conn->AbandonAfterFork();
      return fresh;
    }
    delete fresh;  // another thread of this child won the race; `state` now holds its value
    return state;
  }

  const std::string socket_path_;
  const ClientOptions options_;
  std::atomic<std::uint64_t> next_id_{1};  // 0 is the id of connection-level error replies
  std::atomic<ProcessState*> state_;
};

ipc::Result<std::unique_ptr<Client>> Client::Connect(std::string socket_path,
                                                      ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(socket_path), options);
  if (auto warm = impl->Warm(); !warm) return warm.error();
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const std::string& Client::socket_path() const { return impl_->socket_path(); }

namespace {

ipc::Request RenderRequest(std::string_view component, std::string_view props_msgpack,
                           RenderOptions* options) {
  ipc::Request request;
  request.op = ipc::Op::kRender;
  request.component = std::string(component);
  request.props_msgpack = props_msgpack.empty() ? std::string("\x80", 1) : std::string(props_msgpack);
  request.url = std::move(options->url);
  request.hydrate = options->hydrate;
  if (!options->hydrate_id.empty()) request.hydrate_id = std::move(options->hydrate_id);
  request.hydrate_global = std::move(options->hydrate_global);
  request.nonce = std::move(options->nonce);
  request.combine = options->combine;
  if (options->timeout.count() > 0) {
    request.timeout_ms = static_cast<std::uint32_t>(options->timeout.count());
  }
  return request;
}

RenderResult ResultOf(ipc::Reply&& reply) {
  RenderResult result;
  result.html = std::move(reply.html);
  result.script = std::move(reply.script);
  result.head = std::move(reply.head);
  result.status = reply.status;
  result.console = std::move(reply.console);
  return result;
}

ipc::Result<std::string> PropsToMsgpack(std::string_view props_json) {
  if (props_json.empty()) return std::string();
  return ipc::JsonToMsgpack(props_json);
}

}  // namespace

ipc::Result<RenderResult> Client::Render(std::string_view component, std::string_view props_json,
                                         RenderOptions options) {
  auto props = PropsToMsgpack(props_json);
  if (!props) return props.error();
  return RenderMsgpack(component, *props, std::move(options));
}

ipc::Result<RenderResult> Client::RenderMsgpack(std::string_view component,
                                                std::string_view props_msgpack,
                                                RenderOptions options) {
  auto timeout = options.timeout.count() > 0 ? options.timeout : impl_->options().request_timeout;
  auto reply = impl_->Call(RenderRequest(component, props_msgpack, &options), timeout);
  if (!reply) return reply.error();
  return ResultOf(std::move(reply).value());
}

ipc::Result<RenderResult> Client::RenderStream(std::string_view component,
                                               std::string_view props_json, const HtmlFn& on_html,
                                               RenderOptions options) {
  auto props = PropsToMsgpack(props_json);
  if (!props) return props.error();
  auto timeout = options.timeout.count() > 0 ? options.timeout : impl_->options().request_timeout;
  ipc::Request request = RenderRequest(component, *props, &options);
  request.stream = true;
  auto reply = impl_->Call(std::move(request), timeout,
                           [&on_html](std::string&& html) { on_html(html); });
  if (!reply) return reply.error();
  RenderResult result = ResultOf(std::move(reply).value());
  if (!result.html.empty()) on_html(result.html);
  result.html.clear();
  return result;
}

ipc::Result<void> Client::Ping() {
  ipc::Request request;
  request.op = ipc::Op::kPing;
  auto reply = impl_->Call(std::move(request), impl_->options().request_timeout);
  if (!reply) return reply.error();
  return {};
}

ipc::Result<std::map<std::string, std::int64_t>> Client::Stats() {
  ipc::Request request;
  request.op = ipc::Op::kStats;
  auto reply = impl_->Call(std::move(request), impl_->options().request_timeout);
  if (!reply) return reply.error();
  return std::move(reply->stats);
}

}  // namespace ssrd::client
