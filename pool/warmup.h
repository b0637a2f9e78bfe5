// What a new worker renders before it takes traffic (PoolOptions::warmup_requests).
//
// A worker that replaces another (respawn, recycling, reload) starts with cold type feedback and
// serves its first page several times slower than a warm one; a few renders of real requests
// before it is put into service take that cost off the clients. The requests come from the
// operator's warm-up file when one is given, else from WarmupSamples: a handful of recent
// requests that rendered fine, kept by the supervisor as they pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ipc/error.h"
#include "ipc/message.h"

namespace ssrd::pool {

class WarmupSamples {
 public:
  // At most this many requests are kept; one in kRefreshEvery good renders replaces the oldest,
  // so the sample follows the traffic at the cost of a copy now and then, not per request.
  static constexpr std::size_t kCapacity = 8;
  static constexpr std::uint64_t kRefreshEvery = 64;
  // Requests with more props than this are not kept: a warm-up should cost little memory.
  static constexpr std::size_t kMaxPropsBytes = 256 * 1024;

  // A render that was answered with success. Cheap unless it is kept.
  void Offer(const ipc::Request& request);
  // A kept request that crashed a worker while it warmed up is never used again.
  void Forget(const ipc::Request& request);
  const std::vector<ipc::Request>& requests() const { return requests_; }

 private:
  std::vector<ipc::Request> requests_;
  std::uint64_t offered_ = 0;
  std::size_t next_replaced_ = 0;
};

// Removes every entry with the request's component, props and url.
void EraseWarmupRequest(std::vector<ipc::Request>* requests, const ipc::Request& request);

// Reads an operator's warm-up file: a JSON array of {"component": "...", "props": {...}} objects,
// with optional "url" (string) and "hydrate" (bool). kBadRequest "warm-up file PATH: ..." names
// the entry and the field when one is wrong.
ipc::Result<std::vector<ipc::Request>> LoadWarmupFile(const std::string& path);

}  // namespace ssrd::pool
