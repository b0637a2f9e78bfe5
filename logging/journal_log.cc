#include "logging/journal_log.h"

#include <spdlog/pattern_formatter.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace ssrd::logging {
namespace {

// sd-daemon.h's SD_* values, without making every user of this file depend on libsystemd.
int Priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical: return 2;  // SD_CRIT
    case spdlog::level::err: return 3;       // SD_ERR
    case spdlog::level::warn: return 4;      // SD_WARNING
    case spdlog::level::info: return 6;      // SD_INFO
    default: return 7;                       // SD_DEBUG (trace, debug)
  }
}

class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char text[4] = {'<', static_cast<char>('0' + Priority(msg.level)), '>', '\0'};
    dest.append(text, text + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st;
  if (fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

void UseJournalPattern(spdlog::logger& logger, const std::string& pattern) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<PriorityFlag>('*').set_pattern("%*" + pattern);
  logger.set_formatter(std::move(formatter));
}

const char* ErrorPrefix() {
  static const bool journal = StderrIsJournal();
  return journal ? "<3>" : "";
}

}  // namespace ssrd::logging
