#include "isolates/budget_allocator.h"

namespace ssrd::isolates {

BudgetAllocator::BudgetAllocator(std::size_t budget_bytes)
    : budget_bytes_(budget_bytes), backing_(v8::ArrayBuffer::Allocator::NewDefaultAllocator()) {}

bool BudgetAllocator::Reserve(std::size_t length) {
  std::size_t used = allocated_.load(std::memory_order_relaxed);
  do {
    if (used > budget_bytes_ || length > budget_bytes_ - used) {
      refused_.store(true, std::memory_order_relaxed);
      return false;
    }
  } while (!allocated_.compare_exchange_weak(used, used + length, std::memory_order_relaxed));
  return true;
}

void* BudgetAllocator::Allocate(std::size_t length) {
  if (!Reserve(length)) return nullptr;
  void* data = backing_->Allocate(length);
  if (data == nullptr) allocated_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void* BudgetAllocator::AllocateUninitialized(std::size_t length) {
  if (!Reserve(length)) return nullptr;
  void* data = backing_->AllocateUninitialized(length);
  if (data == nullptr) allocated_.fetch_sub(length, std::memory_order_relaxed);
  return data;
}

void BudgetAllocator::Free(void* data, std::size_t length) {
  backing_->Free(data, length);
  allocated_.fetch_sub(length, std::memory_order_relaxed);
}

}  // namespace ssrd::isolates
