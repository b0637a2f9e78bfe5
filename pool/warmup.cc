#include "pool/warmup.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace ssrd::pool {
namespace {

bool SameRequest(const ipc::Request& a, const ipc::Request& b) {
  return a.component == b.component && a.props_msgpack == b.props_msgpack && a.url == b.url;
}

}  // namespace

void WarmupSamples::Offer(const ipc::Request& request) {
  std::uint64_t n = offered_++;
  if (request.op != ipc::Op::kRender || request.props_msgpack.size() > kMaxPropsBytes) return;
  if (requests_.size() < kCapacity) {
    if (std::none_of(requests_.begin(), requests_.end(),
                     [&](const ipc::Request& kept) { return SameRequest(kept, request); })) {
      requests_.push_back(request);
    }
    return;
  }
  if (n % kRefreshEvery != 0) return;
  requests_[next_replaced_] = request;
  next_replaced_ = (next_replaced_ + 1) % requests_.size();
}

void EraseWarmupRequest(std::vector<ipc::Request>* requests, const ipc::Request& request) {
  requests->erase(std::remove_if(requests->begin(), requests->end(),
                                 [&](const ipc::Request& kept) { return SameRequest(kept, request); }),
                  requests->end());
}

void WarmupSamples::Forget(const ipc::Request& request) {
  EraseWarmupRequest(&requests_, request);
  if (next_replaced_ >= requests_.size()) next_replaced_ = 0;
}

ipc::Result<std::vector<ipc::Request>> LoadWarmupFile(const std::string& path) {
  auto fail = [&path](const std::string& why) {
    return ipc::MakeError(ipc::ErrorCode::kBadRequest, "warm-up file " + path + ": " + why);
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  // ordered_json keeps the props' keys in the order written, as a client's request would.
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) return fail("not valid JSON");
  if (!doc.is_array()) return fail("expected a JSON array of {\"component\", \"props\"} objects");
  std::vector<ipc::Request> requests;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const auto& entry = doc[i];
    std::string where = "entry " + std::to_string(i);
    if (!entry.is_object()) return fail(where + " is not an object");
    for (const auto& [key, value] : entry.items()) {
      if (key != "component" && key != "props" && key != "url" && key != "hydrate") {
        return fail(where + " has an unknown field \"" + key + "\"");
      }
    }
    ipc::Request request;
    request.op = ipc::Op::kRender;
    request.retry = false;
    auto component = entry.find("component");
    if (component == entry.end() || !component->is_string() || component->get<std::string>().empty()) {
      return fail(where + ": \"component\" must be a non-empty string");
    }
    request.component = component->get<std::string>();
    auto props = entry.find("props");
    nlohmann::ordered_json props_value =
        props == entry.end() ? nlohmann::ordered_json::object() : *props;
    if (!props_value.is_object()) return fail(where + ": \"props\" must be an object");
    nlohmann::ordered_json::to_msgpack(props_value, request.props_msgpack);
    if (auto url = entry.find("url"); url != entry.end()) {
      if (!url->is_string()) return fail(where + ": \"url\" must be a string");
      request.url = url->get<std::string>();
    }
    if (auto hydrate = entry.find("hydrate"); hydrate != entry.end()) {
      if (!hydrate->is_boolean()) return fail(where + ": \"hydrate\" must be true or false");
      request.hydrate = hydrate->get<bool>();
    }
    requests.push_back(std::move(request));
  }
  if (requests.empty()) return fail("holds no request");
  return requests;
}

}  // namespace ssrd::pool
