// libplatform's default v8::Platform with one change: V8 takes its heap pages from a
// LargePageCache (large_page_cache.h says why) instead of straight from the system. Everything else
// (worker threads, task runners, clocks, tracing) is the default platform's, which
// `default_platform()` returns for the libplatform functions that need it by type
// (v8::platform::PumpMessageLoop casts its argument to the default platform).
#pragma once

#include <memory>

#include <v8-platform.h>

#include "isolates/large_page_cache.h"

namespace ssrd::isolates {

class PageAllocatingPlatform final : public v8::Platform {
 public:
  // `default_platform` must be libplatform's (v8::platform::NewDefaultPlatform), with a page
  // allocator; the cache keeps up to `cache_capacity` bytes.
  PageAllocatingPlatform(std::unique_ptr<v8::Platform> default_platform,
                         std::size_t cache_capacity);

  v8::Platform* default_platform() const { return default_.get(); }
  LargePageCache& page_cache() { return page_cache_; }

  v8::PageAllocator* GetPageAllocator() override { return &page_cache_; }
  void OnCriticalMemoryPressure() override;
  bool OnCriticalMemoryPressure(std::size_t length) override;

  v8::ZoneBackingAllocator* GetZoneBackingAllocator() override {
    return default_->GetZoneBackingAllocator();
  }
  int NumberOfWorkerThreads() override { return default_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    return default_->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    default_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay_s) override {
    default_->CallDelayedOnWorkerThread(std::move(task), delay_s);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override {
    return default_->IdleTasksEnabled(isolate);
  }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job_task) override {
    return default_->PostJob(priority, std::move(job_task));
  }
  double MonotonicallyIncreasingTime() override { return default_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return default_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return default_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override {
    return default_->GetTracingController();
  }
  void DumpWithoutCrashing() override { default_->DumpWithoutCrashing(); }
  v8::HighAllocationThroughputObserver* GetHighAllocationThroughputObserver() override {
    return default_->GetHighAllocationThroughputObserver();
  }

 private:
  std::unique_ptr<v8::Platform> default_;
  LargePageCache page_cache_;
};

}  // namespace ssrd::isolates
