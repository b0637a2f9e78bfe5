// bench_render: renders one component with one engine N times and prints the time per render.
//   bench_render --bundle F --component C [--props JSON] [--iterations N] [--warmup W]
//                [--warmup-s S] [--duration-s T] [--isolation guarded|fresh|shared]
// Measures isolates/ alone (no IPC, no process hop): the floor a worker can reach, and the
// "in-process limit" of scripts/bench. The warm-up stops after W renders or S seconds, the
// measured loop after N renders or T seconds, whichever comes first (at least one of each). The last line is key=value fields for scripts (renders_per_s is one
// engine's rate: 1 / mean). --isolation as in a worker (guarded by default, its check included in
// each render's time); shared is the floor of the render itself.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "isolates/v8_process.h"
#include "snapshots/snapshot_file.h"

namespace {

// Nearest rank, as ssrd_loadgen and bench_roundtrip, so that their percentiles compare.
double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()) + 0.999999);
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle, component, props_json = "{}";
  int iterations = 1000;
  int warmup = 100;
  double warmup_s = 0;    // 0 = no bound but the warm-up count
  double duration_s = 0;  // 0 = no bound but the iterations
  std::string isolation = "guarded";
  bool reuse_context = false;
  std::size_t heap_limit_mb = 512;
  CLI::App app{"Renders a component N times in one engine and prints microseconds per render"};
  app.add_option("--bundle", bundle, "server bundle")->required();
  app.add_option("--component", component, "component name")->required();
  app.add_option("--props", props_json, "props as JSON (default {})");
  app.add_option("--iterations", iterations, "measured renders")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "renders before measuring")->check(CLI::NonNegativeNumber);
  app.add_option("--warmup-s", warmup_s, "stop warming up after this many seconds (0: no bound)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--duration-s", duration_s, "stop measuring after this many seconds (0: no bound)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--heap-limit-mb", heap_limit_mb, "V8 heap limit");
  app.add_option("--isolation", isolation,
                 "as ssrd --isolation: guarded (default), fresh or shared")
      ->check(CLI::IsMember({"guarded", "fresh", "shared"}));
  app.add_flag("--reuse-context", reuse_context, "deprecated: --isolation shared");
  std::string snapshot_file;
  app.add_option("--snapshot", snapshot_file,
                 "start from this snapshot file (ssrd snapshot BUNDLE prints its path)");
  CLI11_PARSE(app, argc, argv);

  // The same V8 flags as ssrd-worker in the same mode (worker_main.cc), so that the in-process
  // figures are those of the worker's engine.
  if (reuse_context) isolation = "shared";
  if (isolation == "fresh") ssrd::isolates::SetV8FlagsBeforeInitialization("--no-opt");
  ssrd::ipc::Result<std::string> props = ssrd::ipc::JsonToMsgpack(props_json);
  if (!props.ok()) {
    std::fprintf(stderr, "--props: %s\n", props.error().ToString().c_str());
    return 2;
  }
  ssrd::isolates::EngineOptions options;
  options.bundle_path = bundle;
  options.heap_limit_mb = heap_limit_mb;
  options.isolation = *ssrd::isolates::ParseIsolation(isolation);
  if (!snapshot_file.empty()) {
    ssrd::ipc::Result<std::string> blob = ssrd::snapshots::ReadSnapshotFile(snapshot_file);
    if (!blob.ok()) {
      std::fprintf(stderr, "--snapshot: %s\n", blob.error().ToString().c_str());
      return 2;
    }
    options.snapshot_blob = std::move(blob).value();
  }
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
  using Clock = std::chrono::steady_clock;
  // The end of a phase that starts now and lasts `seconds`; time_point::max() for no bound.
  auto deadline = [](double seconds) {
    return seconds > 0 ? Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(seconds))
                       : Clock::time_point::max();
  };
  int warmed = 0;
  for (const auto warm_end = deadline(warmup_s); warmed < warmup; ++warmed) {
    if (warmed > 0 && Clock::now() >= warm_end) break;
    if (!render_once()) return 1;
  }
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(std::min(iterations, 1 << 20)));
  const auto measure_end = deadline(duration_s);
  for (int i = 0; i < iterations; ++i) {
    auto start = Clock::now();
    if (i > 0 && start >= measure_end) break;  // at least one sample
    if (!render_once()) return 1;
    micros.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::vector<double> sorted = micros;
  std::sort(sorted.begin(), sorted.end());
  double mean = std::accumulate(micros.begin(), micros.end(), 0.0) / static_cast<double>(micros.size());
  std::printf("component %s: %zu renders after %d warm-up, %zu bytes of html, engine start %.1f ms\n",
              component.c_str(), micros.size(), warmed, html_bytes, startup_ms);
  std::printf("mean %.1f us  p50 %.1f us  p90 %.1f us  p99 %.1f us  min %.1f us  max %.1f us\n",
              mean, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99),
              sorted.front(), sorted.back());
  std::printf("bench_render component=%s context=%s renders=%zu html_bytes=%zu startup_ms=%.1f mean_us=%.1f "
              "p50_us=%.1f p90_us=%.1f p99_us=%.1f renders_per_s=%.1f\n",
              component.c_str(), isolation == "fresh" ? "fresh" : isolation == "shared" ? "reused" : "guarded", micros.size(), html_bytes,
              startup_ms, mean,
              Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), 1e6 / mean);
  return 0;
}
