// Collects V8's young generation between renders when the next render would not fit in what is
// left of it, so that a render seldom meets a scavenge in its middle.
//
// Why: a page render allocates megabytes that are nearly all dead once it returns. When the young
// generation fills in the middle of a render, the scavenge copies everything the render still
// holds (the element tree, the html built so far), promotes what survives a second one, and that
// promoted garbage later costs mark-sweeps of the old generation. Measured on the example app's
// ProductPage (bench_render, guarded, 230 renders): 219 mid-render scavenges and 14 mark-sweeps,
// ~1.6 ms of GC pauses per render; collected between renders (and with nothing holding the
// render's result, render_stream.h's EarlyRead), no mark-sweep and ~0.4 ms per render. The same
// scavenge between renders finds almost nothing alive.
//
// When: after each render the tidy knows what the render allocated in the young generation (its
// use before and after; when a GC ran inside the render, a lower bound) and keeps a decaying
// maximum of it. If that maximum is more than the young generation has left, the next render
// would meet a scavenge anyway, so it is done now. A small render (a few KB) thus collects about
// as often as V8 would on its own, only at a moment when nothing is alive; a page collects after
// most renders. Owner thread only; the isolate must be entered.
#pragma once

#include <cstddef>
#include <cstdint>

namespace v8 {
class Isolate;
}

namespace ssrd::isolates {

class YoungGenerationTidy {
 public:
  // Before a render (after any tidy): notes the young generation's use.
  void RenderStarts(v8::Isolate* isolate);
  // Between renders (after the reply): collects the young generation when the next render would
  // not fit in it. Returns true when it did. Does nothing if no render ran since the last call.
  bool AfterRender(v8::Isolate* isolate);
  bool render_pending() const { return render_running_; }

  std::uint64_t collections() const { return collections_; }

 private:
  struct Use {
    std::size_t used = 0;
    std::size_t available = 0;
  };
  Use Measure(v8::Isolate* isolate);

  static constexpr std::size_t kUnknownSpace = ~std::size_t{0};
  // V8's indexes of the young generation's spaces, looked up once.
  std::size_t new_space_ = kUnknownSpace;
  std::size_t new_large_space_ = kUnknownSpace;
  bool found_spaces_ = false;
  bool render_running_ = false;
  Use at_start_;
  std::size_t expected_render_bytes_ = 0;
  std::uint64_t collections_ = 0;
};

}  // namespace ssrd::isolates
