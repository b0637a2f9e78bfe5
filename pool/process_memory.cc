#include "pool/process_memory.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace ssrd::pool {

std::int64_t ResidentBytes(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/statm";
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return 0;
  long long size_pages = 0;
  long long resident_pages = 0;
  int fields = std::fscanf(f, "%lld %lld", &size_pages, &resident_pages);
  std::fclose(f);
  if (fields != 2) return 0;
  return resident_pages * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace ssrd::pool
