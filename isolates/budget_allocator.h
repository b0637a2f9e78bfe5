// The memory behind ArrayBuffers and typed arrays lives outside the V8 heap, so the isolate's
// heap limit does not see it: without a budget a render could hold gigabytes under a 512 MB
// --heap-limit-mb. This allocator holds those buffers to a budget (the engine gives it the heap
// limit, so a worker's JS memory stays under about twice --heap-limit-mb). An allocation past the
// budget returns null, which V8 turns into a RangeError in JS ("Array buffer allocation failed"),
// after it has collected garbage and retried, so buffers that are already unreachable do not
// count. refused() tells the engine that a render met the budget, to name it in the error.
//
// Threads: V8 may free buffers on its background threads (the array-buffer sweeper); the counts
// are atomic. Wraps V8's default allocator, which zero-fills Allocate() and uses malloc/free.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include <v8.h>

namespace ssrd::isolates {

class BudgetAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit BudgetAllocator(std::size_t budget_bytes);

  void* Allocate(std::size_t length) override;
  void* AllocateUninitialized(std::size_t length) override;
  void Free(void* data, std::size_t length) override;

  std::size_t budget_bytes() const { return budget_bytes_; }
  std::size_t allocated_bytes() const { return allocated_.load(std::memory_order_relaxed); }
  // True once an allocation was refused since the last ClearRefused().
  bool refused() const { return refused_.load(std::memory_order_relaxed); }
  void ClearRefused() { refused_.store(false, std::memory_order_relaxed); }

 private:
  // Counts `length` against the budget; false (and refused()) if it does not fit.
  bool Reserve(std::size_t length);

  const std::size_t budget_bytes_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> backing_;
  std::atomic<std::size_t> allocated_{0};
  std::atomic<bool> refused_{false};
};

}  // namespace ssrd::isolates
