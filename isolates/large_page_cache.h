// Keeps the memory of V8's freed large-object pages mapped and hands it back out, instead of
// unmapping it and mapping (and faulting in) fresh memory for the next render.
//
// Why: an object over 128 KiB gets a page of its own (V8's large-object space), mapped when it is
// allocated and unmapped when it dies. A React page render makes several (the arrays the renderer
// grows, the flattened html): measured on the example app's ProductPage, 4 such pages of 190-420
// KiB per render, each costing mmap + madvise + munmap (the alignment slack) + mprotect, then a
// page fault and a zeroed page for every 4 KiB written, then a munmap with its TLB shoot-down on
// V8's background thread. `perf` put that at ~13% of a page render's CPU (page faults ~8%, munmap
// ~4%, the rest mmap/mprotect). V8 pools its regular 256 KiB pages itself, but not these.
//
// How: the cache wraps the platform's page allocator (V8 10.2 takes every heap page from
// `Platform::GetPageAllocator()`; page_allocating_platform.h). A freed region between kMinRegion
// and kMaxRegion long is kept, still mapped and resident, up to `capacity` bytes (the oldest are
// unmapped first). A request for a region of that size is served from the smallest kept region
// that is long enough (up to a quarter longer) and aligned as asked, made read-write by mprotect
// alone (and left so when V8 asks for no access: it commits a large page whole right after): the
// pages stay resident, so V8 writes them without a fault. Fresh regions are mapped a
// little longer than asked (rounded to an eighth of their power of two) so that the next render's
// slightly different sizes still find one. What V8 later frees or shrinks is looked up by
// address, so V8 never needs to know a region is longer than it asked for.
//
// Contents are not zeroed on reuse, as V8's own page pool does not zero: V8 initialises a page's
// header and writes every object it allocates. Executable requests are never served from the
// cache. Thread-safe: V8 frees pages from its background threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <v8-platform.h>

namespace ssrd::isolates {

class LargePageCache final : public v8::PageAllocator {
 public:
  static constexpr std::size_t kMinRegion = 64u << 10;
  static constexpr std::size_t kMaxRegion = 8u << 20;
  static constexpr std::size_t kDefaultCapacity = 8u << 20;

  struct Stats {
    std::uint64_t reused = 0;         // requests served from the cache
    std::uint64_t mapped = 0;         // cacheable requests that mapped fresh memory
    std::size_t cached_bytes = 0;     // kept now, mapped and resident (kept_bytes_)
  };

  // `system` maps and unmaps; it must outlive the cache.
  explicit LargePageCache(v8::PageAllocator* system, std::size_t capacity = kDefaultCapacity);
  ~LargePageCache() override;
  LargePageCache(const LargePageCache&) = delete;
  LargePageCache& operator=(const LargePageCache&) = delete;

  Stats stats() const;
  // Unmaps everything kept; returns how many bytes that was.
  std::size_t Trim();

  std::size_t AllocatePageSize() override { return system_->AllocatePageSize(); }
  std::size_t CommitPageSize() override { return system_->CommitPageSize(); }
  void SetRandomMmapSeed(std::int64_t seed) override { system_->SetRandomMmapSeed(seed); }
  void* GetRandomMmapAddr() override { return system_->GetRandomMmapAddr(); }
  void* AllocatePages(void* hint, std::size_t length, std::size_t alignment,
                      Permission access) override;
  bool FreePages(void* address, std::size_t length) override;
  bool ReleasePages(void* address, std::size_t length, std::size_t new_length) override;
  bool SetPermissions(void* address, std::size_t length, Permission access) override {
    return system_->SetPermissions(address, length, access);
  }
  bool DiscardSystemPages(void* address, std::size_t size) override {
    return system_->DiscardSystemPages(address, size);
  }
  bool DecommitPages(void* address, std::size_t size) override {
    return system_->DecommitPages(address, size);
  }
  bool ReserveForSharedMemoryMapping(void* address, std::size_t size) override {
    return system_->ReserveForSharedMemoryMapping(address, size);
  }
  std::unique_ptr<SharedMemory> AllocateSharedPages(std::size_t length,
                                                    const void* original_address) override {
    return system_->AllocateSharedPages(length, original_address);
  }
  bool CanAllocateSharedPages() override { return system_->CanAllocateSharedPages(); }

 private:
  struct Region {
    std::uintptr_t address;
    std::size_t length;
  };

  // What a fresh region of `length` bytes is mapped as.
  std::size_t MappedLength(std::size_t length) const;
  bool Cacheable(std::size_t length) const;
  // Takes the best kept region for the request out of the cache, or returns 0.
  std::uintptr_t TakeKept(std::size_t length, std::size_t alignment, std::size_t* kept_length);
  void UnmapAll(const std::vector<Region>& regions);

  v8::PageAllocator* system_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::vector<Region> kept_;  // oldest first
  std::size_t kept_bytes_ = 0;
  // Regions handed out by this cache, by address, with their real length (>= what V8 asked for).
  std::unordered_map<std::uintptr_t, std::size_t> handed_out_;
  Stats stats_;  // cached_bytes is filled in by stats()
};

}  // namespace ssrd::isolates
