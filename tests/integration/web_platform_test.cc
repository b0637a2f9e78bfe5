// A bundle that needs the web platform (URL, AbortController, Response, fetch, import(),
// AsyncLocalStorage, streams, structuredClone, crypto, btoa) rendered through the real daemon,
// with and without a snapshot cache.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/daemon_process.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/supervision_support.h"

namespace ssrd::testing {
namespace {

constexpr char kExpected[] =
    "<h1>Lamp 7</h1><span>/products/7</span><p>2 a=1&z=2 true hit refused</p>"
    "<footer>Lamp 7</footer><i>36 b2s=</i>";

std::string Page(const DaemonProcess& daemon, std::uint64_t id) {
  auto conn = RawConnection::Connect(daemon.socket_path());
  if (!conn) return "no connection";
  ipc::Request request = RenderRequest(id, "Page", R"({"id":7})");
  request.url = "/products/7?z=2&a=1";
  auto reply = Call(*conn, request);
  if (!reply) return "no reply";
  return reply->ok() ? reply->html : "error: " + reply->error->ToString();
}

TEST(WebPlatformTest, ABundleUsingTheWebPlatformRendersThroughTheDaemon) {
  for (bool snapshot : {false, true}) {
    TempDir cache;
    DaemonConfig config{BundlesDir() + "/web_platform/entry.mjs", 1};
    if (snapshot) config.extra_args = {"--snapshot-dir", cache.path()};
    DaemonProcess daemon(config);
    ASSERT_TRUE(daemon.Start()) << daemon.Stderr();
    for (std::uint64_t id = 1; id <= 3; ++id) EXPECT_EQ(Page(daemon, id), kExpected) << snapshot;
    EXPECT_EQ(daemon.Stop().exit_code, 0) << daemon.Stderr();
  }
}

}  // namespace
}  // namespace ssrd::testing
