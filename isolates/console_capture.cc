#include "isolates/console_capture.h"

#include <utility>

namespace ssrd::isolates {

void ConsoleCapture::Begin(std::vector<ipc::ConsoleLine>* sink) {
  sink_ = sink;
  lines_ = 0;
  bytes_ = 0;
  dropped_ = 0;
}

void ConsoleCapture::End() {
  if (sink_ != nullptr && dropped_ > 0) {
    sink_->push_back({"warn", std::to_string(dropped_) + " console lines dropped (limit " +
                                  std::to_string(kMaxLines) + " lines / " +
                                  std::to_string(kMaxBytes) + " bytes per render)"});
  }
  sink_ = nullptr;
}

void ConsoleCapture::Add(std::string_view level, std::string text) {
  if (sink_ == nullptr) return;
  if (lines_ >= kMaxLines || bytes_ + text.size() > kMaxBytes) {
    ++dropped_;
    return;
  }
  ++lines_;
  bytes_ += text.size();
  sink_->push_back({std::string(level), std::move(text)});
}

}  // namespace ssrd::isolates
