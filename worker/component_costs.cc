#include "worker/component_costs.h"

namespace ssrd::worker {

void ComponentCosts::Record(const std::string& component, Clock::duration cost) {
  auto found = last_cost_.find(component);
  if (found != last_cost_.end()) {
    found->second = cost;
    return;
  }
  if (last_cost_.size() >= kMaxComponents) last_cost_.clear();
  last_cost_.emplace(component, cost);
}

void ComponentCosts::Forget(const std::string& component) { last_cost_.erase(component); }

bool ComponentCosts::ExpectShort(const ipc::Request& request) const {
  if (request.op != ipc::Op::kRender) return true;
  if (request.stream) return false;
  auto found = last_cost_.find(request.component);
  return found != last_cost_.end() && found->second < short_cost_;
}

}  // namespace ssrd::worker
