#include "isolates/large_page_cache.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>

namespace ssrd::isolates {
namespace {

// A kept region is normally read-write (V8 frees pages it had committed). For kNoAccess it is left
// so: V8 asks for a reservation without access and commits it read-write at once (a large page is
// committed whole), and taking the access away first cost ~2% of a page render (mprotect of
// resident pages flushes their TLB entries on every CPU the process ran on). For kReadWrite it is
// mprotect alone, where the system allocator's SetPermissions would also discard pages when
// taking access away, which is exactly the refault the cache is there to avoid.
bool Prepare(void* address, std::size_t length, v8::PageAllocator::Permission access) {
  if (access == v8::PageAllocator::kNoAccess) return true;
  return ::mprotect(address, length, PROT_READ | PROT_WRITE) == 0;
}

bool Reusable(v8::PageAllocator::Permission access) {
  return access == v8::PageAllocator::kNoAccess || access == v8::PageAllocator::kReadWrite;
}

}  // namespace

LargePageCache::LargePageCache(v8::PageAllocator* system, std::size_t capacity)
    : system_(system), capacity_(capacity) {}

LargePageCache::~LargePageCache() { Trim(); }

bool LargePageCache::Cacheable(std::size_t length) const {
  return length >= kMinRegion && length <= kMaxRegion && capacity_ > 0;
}

std::size_t LargePageCache::MappedLength(std::size_t length) const {
  if (!Cacheable(length)) return length;
  std::size_t granule = std::max(kMinRegion, std::bit_floor(length) / 8);
  return (length + granule - 1) / granule * granule;
}

std::uintptr_t LargePageCache::TakeKept(std::size_t length, std::size_t alignment,
                                        std::size_t* kept_length) {
  std::size_t longest = MappedLength(length) + MappedLength(length) / 4;
  std::size_t best = kept_.size();
  for (std::size_t i = 0; i < kept_.size(); ++i) {
    const Region& region = kept_[i];
    if (region.length < length || region.length > longest) continue;
    if (alignment != 0 && region.address % alignment != 0) continue;
    if (best == kept_.size() || region.length < kept_[best].length) best = i;
  }
  if (best == kept_.size()) return 0;
  Region taken = kept_[best];
  kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(best));
  kept_bytes_ -= taken.length;
  *kept_length = taken.length;
  return taken.address;
}

void* LargePageCache::AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                                    Permission access) {
  if (!Cacheable(length) || !Reusable(access)) {
    return system_->AllocatePages(hint, length, alignment, access);
  }
  std::uintptr_t address = 0;
  std::size_t real_length = 0;
  {
    std::lock_guard lock(mutex_);
    address = TakeKept(length, alignment, &real_length);
  }
  if (address != 0) {
    void* region = reinterpret_cast<void*>(address);
    if (Prepare(region, real_length, access)) {
      std::lock_guard lock(mutex_);
      handed_out_[address] = real_length;
      ++stats_.reused;
      return region;
    }
    system_->FreePages(region, real_length);
  }
  real_length = MappedLength(length);
  void* region = system_->AllocatePages(hint, real_length, alignment, access);
  if (region == nullptr) return nullptr;
  std::lock_guard lock(mutex_);
  handed_out_[reinterpret_cast<std::uintptr_t>(region)] = real_length;
  ++stats_.mapped;
  return region;
}

bool LargePageCache::FreePages(void* address, std::size_t length) {
  auto key = reinterpret_cast<std::uintptr_t>(address);
  std::vector<Region> evicted;
  bool kept = false;
  {
    std::lock_guard lock(mutex_);
    auto found = handed_out_.find(key);
    if (found != handed_out_.end()) {
      length = found->second;
      handed_out_.erase(found);
      kept = Cacheable(length) && length <= capacity_;
      if (kept) {
        kept_.push_back({key, length});
        kept_bytes_ += length;
        while (kept_bytes_ > capacity_) {
          evicted.push_back(kept_.front());
          kept_bytes_ -= kept_.front().length;
          kept_.erase(kept_.begin());
        }
      }
    }
  }
  UnmapAll(evicted);
  return kept || system_->FreePages(address, length);
}

bool LargePageCache::ReleasePages(void* address, std::size_t length, std::size_t new_length) {
  auto key = reinterpret_cast<std::uintptr_t>(address);
  {
    std::lock_guard lock(mutex_);
    auto found = handed_out_.find(key);
    if (found != handed_out_.end()) {
      length = found->second;
      found->second = new_length;
    }
  }
  return system_->ReleasePages(address, length, new_length);
}

LargePageCache::Stats LargePageCache::stats() const {
  std::lock_guard lock(mutex_);
  Stats now = stats_;
  now.cached_bytes = kept_bytes_;
  return now;
}

std::size_t LargePageCache::Trim() {
  std::vector<Region> all;
  std::size_t bytes = 0;
  {
    std::lock_guard lock(mutex_);
    all.swap(kept_);
    bytes = kept_bytes_;
    kept_bytes_ = 0;
  }
  UnmapAll(all);
  return bytes;
}

void LargePageCache::UnmapAll(const std::vector<Region>& regions) {
  for (const Region& region : regions) {
    system_->FreePages(reinterpret_cast<void*>(region.address), region.length);
  }
}

}  // namespace ssrd::isolates
