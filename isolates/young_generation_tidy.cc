#include "isolates/young_generation_tidy.h"

#include <algorithm>
#include <string_view>

#include <v8.h>

#include "isolates/v8_process.h"

namespace ssrd::isolates {

YoungGenerationTidy::Use YoungGenerationTidy::Measure(v8::Isolate* isolate) {
  if (!found_space_) {
    found_space_ = true;
    for (std::size_t i = 0; i < isolate->NumberOfHeapSpaces(); ++i) {
      v8::HeapSpaceStatistics stats;
      if (isolate->GetHeapSpaceStatistics(&stats, i) &&
          std::string_view(stats.space_name()) == "new_space") {
        space_index_ = i;
        break;
      }
    }
  }
  v8::HeapSpaceStatistics stats;
  if (space_index_ == kUnknownSpace || !isolate->GetHeapSpaceStatistics(&stats, space_index_)) {
    return {};
  }
  return {stats.space_used_size(), stats.space_available_size()};
}

void YoungGenerationTidy::RenderStarts(v8::Isolate* isolate) {
  at_start_ = Measure(isolate);
  render_running_ = space_index_ != kUnknownSpace;
}

bool YoungGenerationTidy::AfterRender(v8::Isolate* isolate) {
  if (!render_running_) return false;
  render_running_ = false;
  Use now = Measure(isolate);
  // Less in use than at the start: a scavenge ran inside the render, after at least what was
  // left had been allocated (a lower bound; survivors make it lower still).
  std::size_t allocated = now.used >= at_start_.used ? now.used - at_start_.used
                                                     : at_start_.available + now.used;
  // A decaying maximum: one big render is remembered for a while, an old one fades (1/8 a render).
  expected_render_bytes_ = std::max(allocated, expected_render_bytes_ - expected_render_bytes_ / 8);
  if (now.used == 0 || expected_render_bytes_ <= now.available) return false;
  CollectYoungGeneration(isolate);
  ++collections_;
  return true;
}

}  // namespace ssrd::isolates
