#include "tools/ssrd/prometheus_text.h"

#include <cstdio>
#include <iterator>
#include <map>

namespace ssrd::tools {
namespace {

// Label values are quoted strings: backslash, quote and newline must be escaped.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    text_ += "# HELP ";
    text_ += name;
    text_ += ' ';
    text_ += help;
    text_ += "\n# TYPE ";
    text_ += name;
    text_ += ' ';
    text_ += type;
    text_ += '\n';
  }
  void Sample(std::string_view name, std::string_view labels, double value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += '{';
      text_ += labels;
      text_ += '}';
    }
    text_ += ' ';
    text_ += Number(value);
    text_ += '\n';
  }
  void One(std::string_view name, std::string_view type, std::string_view help, double value) {
    Family(name, type, help);
    Sample(name, "", value);
  }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace

std::string PrometheusText(const pool::Stats& s, std::int64_t connections, const BuildInfo& build) {
  Exposition out;
  out.Family("ssrd_requests_total", "counter",
             "Replies to requests, by outcome: ok or the error code (docs/protocol.md).");
  out.Sample("ssrd_requests_total", "outcome=\"ok\"",
             static_cast<double>(s.outcomes.count("ok") ? s.outcomes.at("ok") : 0));
  for (const auto& [outcome, count] : s.outcomes) {
    if (outcome == "ok") continue;
    out.Sample("ssrd_requests_total", "outcome=\"" + LabelValue(outcome) + "\"",
               static_cast<double>(count));
  }

  out.Family("ssrd_render_duration_seconds", "histogram",
             "Time from a request's arrival to its worker's reply (queue time included).");
  std::int64_t cumulative = 0;
  for (std::size_t i = 0; i < std::size(pool::kRenderSecondsBounds); ++i) {
    if (i < s.render_seconds_buckets.size()) cumulative += s.render_seconds_buckets[i];
    out.Sample("ssrd_render_duration_seconds_bucket",
               "le=\"" + Number(pool::kRenderSecondsBounds[i]) + "\"",
               static_cast<double>(cumulative));
  }
  if (s.render_seconds_buckets.size() > std::size(pool::kRenderSecondsBounds)) {
    cumulative += s.render_seconds_buckets.back();
  }
  out.Sample("ssrd_render_duration_seconds_bucket", "le=\"+Inf\"", static_cast<double>(cumulative));
  out.Sample("ssrd_render_duration_seconds_sum", "", s.render_seconds_sum);
  out.Sample("ssrd_render_duration_seconds_count", "", static_cast<double>(cumulative));

  out.One("ssrd_queue_depth", "gauge", "Requests waiting for a worker.",
          static_cast<double>(s.queued));
  out.One("ssrd_in_flight", "gauge", "Requests sent to workers and not yet answered.",
          static_cast<double>(s.in_flight));
  out.One("ssrd_connections", "gauge", "Open client connections.",
          static_cast<double>(connections));

  std::map<std::string, std::int64_t> by_state = {
      {"starting", 0}, {"warming", 0}, {"ready", 0}, {"busy", 0}, {"retiring", 0}};
  for (const auto& w : s.worker_table) ++by_state[w.state];
  out.Family("ssrd_workers", "gauge", "Worker processes, by state.");
  for (const auto& [state, count] : by_state) {
    out.Sample("ssrd_workers", "state=\"" + LabelValue(state) + "\"", static_cast<double>(count));
  }

  out.One("ssrd_worker_crashes_total", "counter", "Workers that exited unasked (then respawned).",
          static_cast<double>(s.crashes));
  out.One("ssrd_workers_recycled_total", "counter",
          "Workers replaced for their request count or memory.", static_cast<double>(s.recycled));
  out.One("ssrd_reloads_total", "counter", "Bundle generations put into service after the first.",
          static_cast<double>(s.reloads));
  out.One("ssrd_reload_failures_total", "counter",
          "Reloads abandoned because the new bundle did not load.",
          static_cast<double>(s.reload_failures));
  out.One("ssrd_context_resets_total", "counter",
          "Contexts the guard replaced because a render left something behind.",
          static_cast<double>(s.context_resets));
  out.One("ssrd_retries_total", "counter", "Renders run again after their worker died.",
          static_cast<double>(s.retries));
  out.One("ssrd_steals_total", "counter",
          "Requests taken from behind a long render for an idle worker.",
          static_cast<double>(s.steals));
  out.One("ssrd_warmup_renders_total", "counter", "Renders new workers ran to warm up.",
          static_cast<double>(s.warmups));

  // Per slot, the worker serving it (a replacement starting beside it shows in ssrd_workers).
  std::map<std::uint32_t, const ipc::WorkerInfo*> serving;
  for (const auto& w : s.worker_table) {
    if (w.state == "retiring" || w.state == "starting" || w.state == "warming") continue;
    serving.emplace(w.slot, &w);
  }
  out.Family("ssrd_worker_heap_bytes", "gauge", "V8 heap used by the worker of a slot.");
  for (const auto& [slot, w] : serving) {
    out.Sample("ssrd_worker_heap_bytes", "slot=\"" + std::to_string(slot) + "\"",
               static_cast<double>(w->heap_used));
  }
  out.Family("ssrd_worker_rss_bytes", "gauge", "Resident memory of the worker of a slot.");
  for (const auto& [slot, w] : serving) {
    out.Sample("ssrd_worker_rss_bytes", "slot=\"" + std::to_string(slot) + "\"",
               static_cast<double>(w->rss));
  }
  out.Family("ssrd_worker_restarts_total", "counter", "Times a slot was refilled after a crash.");
  for (const auto& [slot, w] : serving) {
    out.Sample("ssrd_worker_restarts_total", "slot=\"" + std::to_string(slot) + "\"",
               static_cast<double>(w->restarts));
  }

  out.Family("ssrd_build_info", "gauge", "ssrd's version and the V8 its workers run.");
  out.Sample("ssrd_build_info",
             "version=\"" + LabelValue(build.version) + "\",v8=\"" + LabelValue(build.v8_version) +
                 "\"",
             1);
  return out.Take();
}

}  // namespace ssrd::tools
