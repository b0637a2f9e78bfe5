#include "tests/integration/supervision_support.h"

#include <gtest/gtest.h>

#include <string_view>
#include <thread>

namespace ssrd::testing {

std::string CopyBundle(const TempDir& dir, const std::string& name) {
  std::string path = dir.File(name);
  WriteFile(path, ReadFileOrEmpty(BundlesDir() + "/" + name));
  return path;
}

std::vector<pid_t> WorkerPids(const std::string& bundle_path) {
  std::vector<pid_t> workers;
  for (pid_t pid : ProcessesWithArg(bundle_path)) {
    // argv[0] only: the daemon's own command line names ssrd-worker too (--worker-executable).
    std::string cmdline = ReadFileOrEmpty("/proc/" + std::to_string(pid) + "/cmdline");
    std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
    constexpr std::string_view kWorker = "ssrd-worker";
    if (argv0.size() >= kWorker.size() &&
        argv0.compare(argv0.size() - kWorker.size(), kWorker.size(), kWorker) == 0) {
      workers.push_back(pid);
    }
  }
  return workers;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds bound) {
  auto until = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

ipc::Request RenderRequest(std::uint64_t id, const std::string& component,
                           const std::string& props_json) {
  ipc::Request request;
  request.id = id;
  request.op = ipc::Op::kRender;
  request.component = component;
  auto props = ipc::JsonToMsgpack(props_json);
  EXPECT_TRUE(props) << props_json;
  if (props) request.props_msgpack = *props;
  return request;
}

std::optional<ipc::Reply> Call(RawConnection& conn, const ipc::Request& request,
                               std::chrono::milliseconds bound) {
  std::string framed;
  ipc::EncodeRequest(request, &framed);
  if (auto written = conn.Write(framed); !written) {
    ADD_FAILURE() << "write: " << written.error().ToString();
    return std::nullopt;
  }
  auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    auto payload = conn.ReadFrame(std::max(left, std::chrono::milliseconds(1)));
    if (!payload) {
      ADD_FAILURE() << "no reply to request " << request.id << ": " << payload.error().ToString();
      return std::nullopt;
    }
    auto reply = ipc::DecodeReply(*payload);
    if (!reply) {
      ADD_FAILURE() << "undecodable reply: " << reply.error().ToString();
      return std::nullopt;
    }
    if (reply->id == request.id) return std::move(reply).value();
  }
}

ipc::Reply Stats(const std::string& socket_path) {
  auto conn = RawConnection::Connect(socket_path);
  if (!conn) {
    ADD_FAILURE() << "connect: " << conn.error().ToString();
    return {};
  }
  ipc::Request request;
  request.id = 1;
  request.op = ipc::Op::kStats;
  auto reply = Call(*conn, request, std::chrono::seconds(10));
  return reply ? *reply : ipc::Reply{};
}

}  // namespace ssrd::testing
