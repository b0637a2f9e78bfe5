// bench_roundtrip: the client round trip at concurrency 1 — one thread, one request at a time —
// against a running ssrd. Prints latency percentiles in µs and the request rate.
//   bench_roundtrip --socket S --component C [--props JSON] [--iterations N] [--warmup N]
// An error reply stops the run (exit 1): a benchmark of failures measures nothing.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "clients/cpp/client.h"

namespace {

using Clock = std::chrono::steady_clock;

double Percentile(const std::vector<double>& sorted, double p) {
  // Nearest-rank: the smallest sample with at least p% of the samples at or below it.
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_roundtrip: client round-trip latency at concurrency 1"};
  std::string socket_path = ssrd::client::DefaultSocketPath();
  std::string component = "Echo";
  std::string props = "{}";
  int iterations = 20000;
  int warmup = 1000;
  bool ping = false;
  app.add_option("--socket", socket_path, "Unix socket of the daemon")->capture_default_str();
  app.add_option("--component", component, "component to render")->capture_default_str();
  app.add_option("--props", props, "props as JSON")->capture_default_str();
  app.add_option("--iterations", iterations, "measured requests")
      ->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--warmup", warmup, "unmeasured requests first")
      ->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_flag("--ping", ping, "measure ping (no worker) instead of render");
  CLI11_PARSE(app, argc, argv);

  auto client = ssrd::client::Client::Connect(socket_path);
  if (!client) {
    std::cerr << "bench_roundtrip: error: " << client.error().ToString() << "\n";
    return 1;
  }
  auto props_msgpack = ssrd::ipc::JsonToMsgpack(props);
  if (!props_msgpack) {
    std::cerr << "bench_roundtrip: error: --props: " << props_msgpack.error().ToString() << "\n";
    return 1;
  }
  auto once = [&]() -> ssrd::ipc::Result<void> {
    if (ping) return (*client)->Ping();
    auto r = (*client)->RenderMsgpack(component, *props_msgpack);
    if (!r) return r.error();
    return {};
  };

  for (int i = 0; i < warmup; ++i) {
    if (auto r = once(); !r) {
      std::cerr << "bench_roundtrip: error during warm-up: " << r.error().ToString() << "\n";
      return 1;
    }
  }
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(iterations));
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = Clock::now();
    auto r = once();
    const auto t1 = Clock::now();
    if (!r) {
      std::cerr << "bench_roundtrip: error at request " << i << ": " << r.error().ToString()
                << "\n";
      return 1;
    }
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(micros.begin(), micros.end());
  const double mean = std::accumulate(micros.begin(), micros.end(), 0.0) / micros.size();

  const std::string what = ping ? "ping" : "render " + component;
  std::printf("bench_roundtrip: %s, %d requests at concurrency 1 (after %d warm-up)\n",
              what.c_str(), iterations, warmup);
  std::printf("  p50   %10.1f µs\n", Percentile(micros, 50));
  std::printf("  p90   %10.1f µs\n", Percentile(micros, 90));
  std::printf("  p99   %10.1f µs\n", Percentile(micros, 99));
  std::printf("  mean  %10.1f µs\n", mean);
  std::printf("  rate  %10.0f requests/s\n", iterations / seconds);
  return 0;
}
