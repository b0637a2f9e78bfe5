// The large-page cache (isolates/large_page_cache.h) over the real system page allocator (mmap):
// what V8 frees is handed out again still mapped, with what was written in it, only to requests
// it fits and is aligned for, within its capacity; and a worker's V8 really takes its pages from
// it (a page render is served from kept regions). Checked by addresses, contents and mincore, never
// timed.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <libplatform/libplatform.h>

#include "isolates/engine.h"
#include "isolates/large_page_cache.h"
#include "isolates/v8_process.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

constexpr std::size_t kKiB = 1024;
constexpr std::size_t kAlignment = 256 * kKiB;  // V8's chunk alignment

v8::PageAllocator* SystemPages() {
  static std::unique_ptr<v8::Platform> platform = v8::platform::NewDefaultPlatform(1);
  return platform->GetPageAllocator();
}

bool Mapped(void* address) {
  unsigned char resident = 0;
  long page = ::sysconf(_SC_PAGESIZE);
  void* start = reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(address) &
                                        ~static_cast<std::uintptr_t>(page - 1));
  return ::mincore(start, static_cast<std::size_t>(page), &resident) == 0 || errno != ENOMEM;
}

void* Commit(LargePageCache& cache, std::size_t length) {
  void* region = cache.AllocatePages(nullptr, length, kAlignment, v8::PageAllocator::kNoAccess);
  if (region == nullptr) return nullptr;
  if (!cache.SetPermissions(region, length, v8::PageAllocator::kReadWrite)) return nullptr;
  return region;
}

TEST(LargePageCacheTest, AFreedRegionIsHandedOutAgainStillMappedWithItsContents) {
  LargePageCache cache(SystemPages());
  void* first = Commit(cache, 300 * kKiB);
  ASSERT_NE(first, nullptr);
  std::memset(first, 0x5a, 300 * kKiB);
  ASSERT_TRUE(cache.FreePages(first, 300 * kKiB));
  EXPECT_TRUE(Mapped(first));
  EXPECT_GE(cache.stats().cached_bytes, 300 * kKiB);

  // A slightly different size, as the next render asks for: the same region serves it.
  void* second = Commit(cache, 290 * kKiB);
  ASSERT_EQ(second, first);
  EXPECT_EQ(static_cast<unsigned char*>(second)[0], 0x5a);
  EXPECT_EQ(static_cast<unsigned char*>(second)[290 * kKiB - 1], 0x5a);
  EXPECT_EQ(cache.stats().reused, 1u);
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
  ASSERT_TRUE(cache.FreePages(second, 290 * kKiB));
}

TEST(LargePageCacheTest, ARegionFarLongerThanAskedIsNotUsed) {
  LargePageCache cache(SystemPages());
  void* big = Commit(cache, 2048 * kKiB);
  ASSERT_NE(big, nullptr);
  ASSERT_TRUE(cache.FreePages(big, 2048 * kKiB));
  void* small = Commit(cache, 200 * kKiB);
  ASSERT_NE(small, nullptr);
  EXPECT_NE(small, big);
  EXPECT_EQ(cache.stats().reused, 0u);
  ASSERT_TRUE(cache.FreePages(small, 200 * kKiB));
}

TEST(LargePageCacheTest, AlignmentIsHonoured) {
  LargePageCache cache(SystemPages());
  // Mapped with page alignment only: not usable for a request aligned to 256 KiB unless it
  // happens to be.
  void* loose = cache.AllocatePages(nullptr, 300 * kKiB, cache.AllocatePageSize(),
                                    v8::PageAllocator::kReadWrite);
  ASSERT_NE(loose, nullptr);
  bool loose_is_aligned = reinterpret_cast<std::uintptr_t>(loose) % kAlignment == 0;
  ASSERT_TRUE(cache.FreePages(loose, 300 * kKiB));
  void* aligned = Commit(cache, 300 * kKiB);
  ASSERT_NE(aligned, nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(aligned) % kAlignment, 0u);
  EXPECT_EQ(aligned == loose, loose_is_aligned);
  ASSERT_TRUE(cache.FreePages(aligned, 300 * kKiB));
}

TEST(LargePageCacheTest, WhatIsKeptStaysWithinCapacityOldestUnmappedFirst) {
  LargePageCache cache(SystemPages(), 1024 * kKiB);
  void* regions[4];
  for (void*& region : regions) {
    region = Commit(cache, 400 * kKiB);
    ASSERT_NE(region, nullptr);
  }
  for (void* region : regions) ASSERT_TRUE(cache.FreePages(region, 400 * kKiB));
  EXPECT_LE(cache.stats().cached_bytes, 1024 * kKiB);
  EXPECT_GT(cache.stats().cached_bytes, 0u);
  EXPECT_FALSE(Mapped(regions[0]));
  EXPECT_FALSE(Mapped(regions[1]));
  EXPECT_TRUE(Mapped(regions[3]));
  EXPECT_EQ(cache.Trim(), 448 * kKiB * 2);
  EXPECT_FALSE(Mapped(regions[3]));
  EXPECT_EQ(cache.stats().cached_bytes, 0u);
}

TEST(LargePageCacheTest, SmallHugeAndExecutableRequestsPassStraightThrough) {
  LargePageCache cache(SystemPages());
  void* small = Commit(cache, 16 * kKiB);
  ASSERT_NE(small, nullptr);
  ASSERT_TRUE(cache.FreePages(small, 16 * kKiB));
  EXPECT_FALSE(Mapped(small));
  void* huge = Commit(cache, 16 * 1024 * kKiB);
  ASSERT_NE(huge, nullptr);
  ASSERT_TRUE(cache.FreePages(huge, 16 * 1024 * kKiB));
  EXPECT_FALSE(Mapped(huge));
  EXPECT_EQ(cache.stats().cached_bytes, 0u);

  void* kept = Commit(cache, 300 * kKiB);
  ASSERT_TRUE(cache.FreePages(kept, 300 * kKiB));
  void* code = cache.AllocatePages(nullptr, 300 * kKiB, kAlignment,
                                   v8::PageAllocator::kReadWriteExecute);
  ASSERT_NE(code, nullptr);
  EXPECT_NE(code, kept);
  EXPECT_EQ(cache.stats().reused, 0u);
  ASSERT_TRUE(cache.FreePages(code, 300 * kKiB));
}

TEST(LargePageCacheTest, AShrunkRegionIsKeptAtItsNewLength) {
  LargePageCache cache(SystemPages());
  void* region = Commit(cache, 1024 * kKiB);
  ASSERT_NE(region, nullptr);
  ASSERT_TRUE(cache.ReleasePages(region, 1024 * kKiB, 256 * kKiB));
  EXPECT_FALSE(Mapped(static_cast<char*>(region) + 512 * kKiB));
  ASSERT_TRUE(cache.FreePages(region, 256 * kKiB));
  EXPECT_EQ(cache.stats().cached_bytes, 256 * kKiB);
  EXPECT_TRUE(Mapped(region));
}

TEST(LargePageCacheTest, AnEngineTakesItsLargePagesFromTheCache) {
  EngineOptions options;
  options.bundle_path = std::string(SSRD_REACT_APP_DIR) + "/dist/server.mjs";
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.error().ToString();
  ASSERT_NE(V8PageCache(), nullptr);
  std::uint64_t reused_before = V8PageCache()->stats().reused;
  const std::string page = testing::Props(R"({"title":"Pages","count":300,"seed":1})");
  for (int i = 0; i < 6; ++i) {
    ipc::Result<RenderOutput> out = engine.value()->Render({"ProductPage", page, "/"}, nullptr);
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    ASSERT_TRUE(engine.value()->PrepareNextRender().ok());
  }
  EXPECT_GT(V8PageCache()->stats().reused, reused_before);
  EXPECT_LE(V8PageCache()->stats().cached_bytes, LargePageCache::kDefaultCapacity);
}

}  // namespace
}  // namespace ssrd::isolates
