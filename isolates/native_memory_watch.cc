#include "isolates/native_memory_watch.h"

#include <malloc.h>

namespace ssrd::isolates {

NativeMemoryWatch::NativeMemoryWatch(std::size_t growth_bytes)
    : growth_bytes_(growth_bytes), mark_(MallocInUseBytes()) {}

std::size_t NativeMemoryWatch::MallocInUseBytes() {
  // glibc: uordblks counts chunks in use from the arenas, hblkhd those served by mmap.
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

bool NativeMemoryWatch::Due() {
  if (++calls_ % kCheckEvery != 0) return false;
  return MallocInUseBytes() > mark_ + growth_bytes_;
}

void NativeMemoryWatch::Collected() {
  ++collections_;
  mark_ = MallocInUseBytes();
}

}  // namespace ssrd::isolates
