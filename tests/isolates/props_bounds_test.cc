// Props that announce more than they hold (found by fuzz/props_fuzz.cc): a MessagePack array or
// map header may declare up to 4G elements, and msgpack-c reserves memory for all of them before
// reading one. Five bytes of props must never make a worker reserve gigabytes.
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolates/engine.h"
#include "tests/isolates/engine_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::MustCreate;

// The process's peak virtual size (VmPeak), in bytes: it records every reservation, even one
// freed at once without a byte of it touched.
std::size_t PeakVirtualBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmPeak:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(4096, '\n');
  }
  ADD_FAILURE() << "no VmPeak in /proc/self/status";
  return 0;
}

TEST(PropsBoundsTest, HeadersAnnouncingMoreElementsThanBytesAreRefusedBeforeAllocating) {
  std::unique_ptr<Engine> engine = MustCreate("app.mjs");
  ASSERT_NE(engine, nullptr);
  const std::vector<std::pair<std::string, std::string>> cases = {
      // array 32 of 2^27 elements: 3-4 GiB of msgpack::object before the fix
      {"array", std::string("\xdd\x08\x00\x00\x00", 5)},
      // map 32 of 2^27 entries, as a value inside a map
      {"map", std::string("\x81\xa1x\xdf\x08\x00\x00\x00", 8)},
  };
  for (const auto& [name, props] : cases) {
    const std::size_t before = PeakVirtualBytes();
    std::vector<ipc::ConsoleLine> console;
    ipc::Result<RenderOutput> out = engine->Render({"Hello", props, "/"}, &console);
    const std::size_t after = PeakVirtualBytes();
    ASSERT_FALSE(out.ok()) << name;
    EXPECT_EQ(out.error().code, ipc::ErrorCode::kBadRequest) << name;
    EXPECT_LT(after - before, std::size_t{256} << 20)
        << name << ": converting " << props.size() << " bytes of props reserved "
        << ((after - before) >> 20) << " MiB";
  }
  // A real array right at the bound still converts: one byte per element.
  std::string ones("\xdc\x10\x00", 3);  // array 16 of 4096
  ones.append(4096, '\x01');
  std::vector<ipc::ConsoleLine> console;
  std::string props = std::string("\x81\xa5items", 7) + ones;
  ipc::Result<RenderOutput> fine = engine->Render({"Hello", props, "/"}, &console);
  EXPECT_TRUE(fine.ok()) << fine.error().ToString();
}

}  // namespace
}  // namespace ssrd::isolates
