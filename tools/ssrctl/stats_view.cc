#include "tools/ssrctl/stats_view.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <string_view>
#include <tuple>
#include <vector>

#include "tools/ssrctl/exchange.h"

namespace ssrd::ssrctl {
namespace {

// The counters as the daemon names them, in the order a reader wants them: load first, then
// faults, then lifecycle. Names the daemon adds later are shown after these.
constexpr std::array<std::string_view, 14> kCounterOrder = {
    "workers",  "queued",   "in_flight", "served",   "errors",  "crashes",         "timeouts",
    "overloads", "retries", "cancels",   "recycled", "reloads", "reload_failures", "connections"};

std::string Mib(std::int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

// Columns: text left-aligned, numbers right-aligned, two spaces between columns.
std::string FormatRows(const std::vector<std::vector<std::string>>& rows,
                       const std::vector<bool>& right_aligned) {
  std::vector<std::size_t> width(right_aligned.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      std::string pad(width[c] - row[c].size(), ' ');
      line += right_aligned[c] ? pad + row[c] : row[c] + pad;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace

ipc::Result<ipc::Reply> FetchStats(const std::string& socket_path,
                                   std::chrono::milliseconds timeout) {
  ipc::Request request;
  request.id = 1;
  request.op = ipc::Op::kStats;
  ipc::Result<ipc::Reply> reply = Exchange(socket_path, request, timeout);
  if (reply.ok() && reply->error) return *reply->error;
  return reply;
}

std::string FormatStatsTable(const ipc::Reply& reply) {
  std::vector<ipc::WorkerInfo> workers = reply.workers;
  std::sort(workers.begin(), workers.end(), [](const auto& a, const auto& b) {
    return std::tie(a.slot, a.generation, a.pid) < std::tie(b.slot, b.generation, b.pid);
  });
  std::vector<std::vector<std::string>> rows = {
      {"PID", "SLOT", "STATE", "GEN", "SERVED", "RESTARTS", "HEAP(MiB)", "RSS(MiB)"}};
  for (const ipc::WorkerInfo& w : workers) {
    rows.push_back({std::to_string(w.pid), std::to_string(w.slot), w.state,
                    std::to_string(w.generation), std::to_string(w.served),
                    std::to_string(w.restarts), Mib(w.heap_used), Mib(w.rss)});
  }
  std::string out = FormatRows(rows, {true, true, false, true, true, true, true, true});

  std::vector<std::vector<std::string>> totals;
  for (std::string_view name : kCounterOrder) {
    auto it = reply.stats.find(std::string(name));
    if (it != reply.stats.end()) totals.push_back({it->first, std::to_string(it->second)});
  }
  for (const auto& [name, value] : reply.stats) {
    if (std::find(kCounterOrder.begin(), kCounterOrder.end(), name) == kCounterOrder.end()) {
      totals.push_back({name, std::to_string(value)});
    }
  }
  out += "\n";
  out += FormatRows(totals, {false, false});
  return out;
}

std::string FormatStatsJson(const ipc::Reply& reply) {
  nlohmann::ordered_json stats = nlohmann::ordered_json::object();
  for (const auto& [name, value] : reply.stats) stats[name] = value;
  nlohmann::ordered_json workers = nlohmann::ordered_json::array();
  for (const ipc::WorkerInfo& w : reply.workers) {
    workers.push_back({{"pid", w.pid},
                       {"slot", w.slot},
                       {"state", w.state},
                       {"generation", w.generation},
                       {"served", w.served},
                       {"restarts", w.restarts},
                       {"heap_used", w.heap_used},
                       {"rss", w.rss}});
  }
  nlohmann::ordered_json out = {{"stats", std::move(stats)}, {"workers", std::move(workers)}};
  // Invalid UTF-8 in a state name (it never should be) must not make dump() throw.
  return out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace ssrd::ssrctl
