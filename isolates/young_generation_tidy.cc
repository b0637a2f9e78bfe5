#include "isolates/young_generation_tidy.h"

#include <algorithm>
#include <string_view>

#include <v8.h>

#include "isolates/v8_process.h"

namespace ssrd::isolates {

YoungGenerationTidy::Use YoungGenerationTidy::Measure(v8::Isolate* isolate) {
  if (!found_spaces_) {
    found_spaces_ = true;
    for (std::size_t i = 0; i < isolate->NumberOfHeapSpaces(); ++i) {
      v8::HeapSpaceStatistics stats;
      if (!isolate->GetHeapSpaceStatistics(&stats, i)) continue;
      std::string_view name = stats.space_name();
      if (name == "new_space") new_space_ = i;
      if (name == "new_large_object_space") new_large_space_ = i;
    }
  }
  v8::HeapSpaceStatistics stats;
  if (new_space_ == kUnknownSpace || !isolate->GetHeapSpaceStatistics(&stats, new_space_)) {
    return {};
  }
  Use use{stats.space_used_size(), stats.space_available_size()};
  // Objects too big for a page (a page's html of 128 KB or more) are young too, counted apart.
  if (new_large_space_ != kUnknownSpace &&
      isolate->GetHeapSpaceStatistics(&stats, new_large_space_)) {
    use.used += stats.space_used_size();
  }
  return use;
}

void YoungGenerationTidy::RenderStarts(v8::Isolate* isolate) {
  at_start_ = Measure(isolate);
  render_running_ = new_space_ != kUnknownSpace;
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
