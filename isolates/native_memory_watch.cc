#include "isolates/native_memory_watch.h"

#include <malloc.h>

namespace ssrd::isolates {

NativeMemoryWatch::NativeMemoryWatch(std::size_t growth_bytes) : growth_bytes_(growth_bytes) {}

std::size_t NativeMemoryWatch::MallocInUseBytes() {
  // glibc: uordblks counts chunks in use from the arenas, hblkhd those served by mmap.
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

bool NativeMemoryWatch::Due() {
  // The mark is taken at the first call, between renders, not when the engine is made: what the
  // isolate, the snapshot and the bundle allocate while starting is not growth.
  if (!marked_) {
    marked_ = true;
    mark_ = MallocInUseBytes();
    return false;
  }
  if (++calls_ % kCheckEvery != 0) return false;
  const auto read_at = std::chrono::steady_clock::now();
  if (read_at - read_at_ < kMinInterval) return false;
  read_at_ = read_at;
  const std::size_t now = MallocInUseBytes();
  // The memory a collection frees may come back only later (V8 runs the ICU objects'
  // destructors after the GC, from a task): the mark follows it down.
  if (now < mark_) mark_ = now;
  return now > mark_ + growth_bytes_;
}

void NativeMemoryWatch::Collected() {
  ++collections_;
  marked_ = true;
  mark_ = MallocInUseBytes();
}

}  // namespace ssrd::isolates
