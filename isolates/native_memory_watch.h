// Tells an engine when to collect garbage that V8 cannot see growing. Objects V8 frees only at a
// full GC may hold memory V8 is never told about: each Intl.NumberFormat or Intl.DateTimeFormat
// holds ICU formatters that V8 10.2 registers with an estimated size of 0 (Managed<T>), so a page
// making a few formatters per render grows the process by tens of KB a render while the JS heap,
// the only thing V8's GC heuristics watch, barely moves: a worker rendering the example app's
// ProductPage grew ~80 KB a render until something else forced a full GC. The watch reads the
// bytes malloc has handed out (mallinfo2) and is Due() once they have grown by `growth_bytes`
// over the lowest level seen since the last collection; the engine then asks V8 for a full GC
// and calls Collected(). Memory that stays alive just moves the mark up: one GC per
// `growth_bytes` grown.
// Reading mallinfo2 walks malloc's arenas (a few microseconds), so Due() reads it only every
// kCheckEvery calls and no sooner than kMinInterval after the last read: for renders of tens of
// microseconds it was ~1% of a worker's time, and memory cannot grow by much in a millisecond.
// One per engine; owner thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace ssrd::isolates {

class NativeMemoryWatch {
 public:
  static constexpr std::size_t kDefaultGrowthBytes = 8u << 20;
  static constexpr std::uint32_t kCheckEvery = 8;
  static constexpr std::chrono::milliseconds kMinInterval{1};

  explicit NativeMemoryWatch(std::size_t growth_bytes = kDefaultGrowthBytes);

  // Called once per render, between renders: true when a full GC is due.
  bool Due();
  // After the full GC: the current level becomes the mark.
  void Collected();

  std::uint64_t collections() const { return collections_; }

  // Bytes malloc has handed out and not yet been given back (in use, small and mmapped chunks).
  static std::size_t MallocInUseBytes();

 private:
  std::size_t growth_bytes_;
  std::size_t mark_ = 0;
  bool marked_ = false;
  std::uint32_t calls_ = 0;
  std::chrono::steady_clock::time_point read_at_{};
  std::uint64_t collections_ = 0;
};

}  // namespace ssrd::isolates
