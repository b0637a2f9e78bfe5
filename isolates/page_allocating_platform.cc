#include "isolates/page_allocating_platform.h"

namespace ssrd::isolates {

PageAllocatingPlatform::PageAllocatingPlatform(std::unique_ptr<v8::Platform> default_platform,
                                               std::size_t cache_capacity)
    : default_(std::move(default_platform)),
      page_cache_(default_->GetPageAllocator(), cache_capacity) {}

// V8 calls these when an allocation failed, then retries it once: what the cache keeps goes
// back to the system first.
void PageAllocatingPlatform::OnCriticalMemoryPressure() {
  page_cache_.Trim();
  default_->OnCriticalMemoryPressure();
}

bool PageAllocatingPlatform::OnCriticalMemoryPressure(std::size_t length) {
  std::size_t freed = page_cache_.Trim();
  return default_->OnCriticalMemoryPressure(length) || freed >= length;
}

}  // namespace ssrd::isolates
