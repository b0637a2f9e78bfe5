// Collects console output of one render (or of the bundle's top-level code) as (level, text)
// lines. Formatting of the arguments happens in JS (runtime_prelude.cc); this only stores the
// result, bounded so that a chatty loop cannot exhaust the worker's memory: past kMaxLines lines
// or kMaxBytes bytes, lines are counted but dropped, and End() appends one line saying how many.
// Pure C++; one per isolate; not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ipc/message.h"

namespace ssrd::isolates {

class ConsoleCapture {
 public:
  static constexpr std::size_t kMaxLines = 1000;
  static constexpr std::size_t kMaxBytes = 1024 * 1024;

  // Lines go to *sink until End(); a null sink discards them. Begin() resets the limits.
  void Begin(std::vector<ipc::ConsoleLine>* sink);
  void End();
  void Add(std::string_view level, std::string text);

 private:
  std::vector<ipc::ConsoleLine>* sink_ = nullptr;
  std::size_t lines_ = 0;
  std::size_t bytes_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace ssrd::isolates
