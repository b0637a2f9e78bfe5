// Target over ssrd's socket: one Client per connection, shared by that connection's slots, which
// the client multiplexes by request id (clients/cpp/client.h).
#include <string>
#include <utility>

#include "clients/cpp/client.h"
#include "ipc/message.h"
#include "tools/bench/load_target.h"

namespace ssrd::bench {
namespace {

using client::Client;

struct Shared {
  std::string component;
  std::string props_msgpack;
  ResponseCheck check;
  client::RenderOptions options;
  bool ping = false;
  std::chrono::microseconds client_busy_poll{-1};
};

CallOutcome RenderOnce(Client& client, const Shared& shared) {
  if (shared.ping) {
    auto pong = client.Ping();
    if (!pong) return CallOutcome::Fail(std::string(ipc::ErrorCodeName(pong.error().code)));
    return CallOutcome::Ok();
  }
  auto result = client.RenderMsgpack(shared.component, shared.props_msgpack, shared.options);
  if (!result) return CallOutcome::Fail(std::string(ipc::ErrorCodeName(result.error().code)));
  if (auto bad = shared.check.Check(result->html); !bad.empty()) {
    return CallOutcome::Fail(std::string(bad));
  }
  return CallOutcome::Ok();
}

class SsrdSlot final : public Slot {
 public:
  SsrdSlot(std::shared_ptr<Client> client, std::shared_ptr<const Shared> shared)
      : client_(std::move(client)), shared_(std::move(shared)) {}
  CallOutcome Call() override { return RenderOnce(*client_, *shared_); }

 private:
  std::shared_ptr<Client> client_;
  std::shared_ptr<const Shared> shared_;
};

class SsrdTarget final : public Target {
 public:
  SsrdTarget(std::string socket_path, std::shared_ptr<const Shared> shared)
      : socket_path_(std::move(socket_path)), shared_(std::move(shared)) {}

  ipc::Result<std::vector<std::unique_ptr<Slot>>> OpenConnection(int in_flight) override {
    auto client = Client::Connect(socket_path_, Options());
    if (!client) return client.error();
    std::shared_ptr<Client> shared_client = std::move(client).value();
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < in_flight; ++i) {
      slots.push_back(std::make_unique<SsrdSlot>(shared_client, shared_));
    }
    return slots;
  }

  CallOutcome Probe() override {
    auto client = Client::Connect(socket_path_, Options());
    if (!client) return CallOutcome::Fail(std::string(ipc::ErrorCodeName(client.error().code)));
    return RenderOnce(**client, *shared_);
  }

  std::string Name() const override { return "ssrd"; }

  std::string ServerStats() override {
    auto client = Client::Connect(socket_path_, Options());
    if (!client) return {};
    auto stats = (*client)->Stats();
    if (!stats) return {};
    std::string fields;
    for (const auto& [name, value] : *stats) {
      fields += " stat_" + name + "=" + std::to_string(value);
    }
    return fields;
  }

 private:
  client::ClientOptions Options() const {
    client::ClientOptions options;
    options.request_timeout = shared_->options.timeout;
    if (shared_->client_busy_poll.count() >= 0) options.busy_poll = shared_->client_busy_poll;
    return options;
  }

  std::string socket_path_;
  std::shared_ptr<const Shared> shared_;
};

}  // namespace

ipc::Result<std::unique_ptr<Target>> MakeSsrdTarget(std::string socket_path,
                                                    RenderRequest request) {
  auto props = ipc::JsonToMsgpack(request.props_json);
  if (!props) return props.error();
  auto shared = std::make_shared<Shared>();
  shared->component = std::move(request.component);
  shared->props_msgpack = std::move(props).value();
  shared->check = std::move(request.check);
  shared->options.timeout = request.timeout;
  shared->ping = request.ping;
  shared->client_busy_poll = request.client_busy_poll;
  return std::unique_ptr<Target>(new SsrdTarget(std::move(socket_path), std::move(shared)));
}

}  // namespace ssrd::bench
