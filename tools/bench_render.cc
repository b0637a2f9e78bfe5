// bench_render: renders one component with one engine N times and prints the time per render.
//   bench_render --bundle F --component C [--props JSON] [--iterations N] [--warmup W]
// Measures isolates/ alone (no IPC, no process hop): the floor a worker can reach.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ipc/message.h"
#include "isolates/engine.h"

namespace {

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle, component, props_json = "{}";
  int iterations = 1000;
  int warmup = 100;
  std::size_t heap_limit_mb = 512;
  CLI::App app{"Renders a component N times in one engine and prints microseconds per render"};
  app.add_option("--bundle", bundle, "server bundle")->required();
  app.add_option("--component", component, "component name")->required();
  app.add_option("--props", props_json, "props as JSON (default {})");
  app.add_option("--iterations", iterations, "measured renders")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "renders before measuring")->check(CLI::NonNegativeNumber);
  app.add_option("--heap-limit-mb", heap_limit_mb, "V8 heap limit");
  CLI11_PARSE(app, argc, argv);

  ssrd::ipc::Result<std::string> props = ssrd::ipc::JsonToMsgpack(props_json);
  if (!props.ok()) {
    std::fprintf(stderr, "--props: %s\n", props.error().ToString().c_str());
    return 2;
  }
  ssrd::isolates::EngineOptions options;
  options.bundle_path = bundle;
  options.heap_limit_mb = heap_limit_mb;
  auto created_at = std::chrono::steady_clock::now();
  auto engine = ssrd::isolates::Engine::Create(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.error().ToString().c_str());
    return 2;
  }
  double startup_ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - created_at).count();

  const ssrd::isolates::RenderInput input{component, props.value(), "/"};
  std::size_t html_bytes = 0;
  auto render_once = [&]() -> bool {
    auto out = engine.value()->Render(input, nullptr);
    if (!out.ok()) {
      std::fprintf(stderr, "render failed: %s\n%s\n", out.error().ToString().c_str(),
                   out.error().stack.c_str());
      return false;
    }
    html_bytes = out->html.size();
    return true;
  };
  for (int i = 0; i < warmup; ++i) {
    if (!render_once()) return 1;
  }
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(iterations));
  for (int i = 0; i < iterations; ++i) {
    auto start = std::chrono::steady_clock::now();
    if (!render_once()) return 1;
    micros.push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start).count());
  }
  std::vector<double> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  double mean = std::accumulate(micros.begin(), micros.end(), 0.0) / static_cast<double>(micros.size());
  std::printf("component %s: %d renders after %d warm-up, %zu bytes of html, engine start %.1f ms\n",
              component.c_str(), iterations, warmup, html_bytes, startup_ms);
  std::printf("mean %.1f us  p50 %.1f us  p99 %.1f us  min %.1f us  max %.1f us\n", mean,
              Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.front(), sorted.back());
  return 0;
}
