// Embedding the pool: render one component on this program's own libuv loop, without ssrd.
//   ssrd-embed-example BUNDLE COMPONENT [PROPS_JSON] [--worker-executable PATH]
// Prints the HTML on stdout. Exit code 0 on success, 1 on a render error, 2 on bad input.
#include <spdlog/spdlog.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "ipc/message.h"
#include "pool/pool.h"

using namespace ssrd;

int main(int argc, char** argv) {
  pool::PoolOptions options;
  std::string component, props_json = "{}";
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--worker-executable") == 0 && i + 1 < argc) {
      options.worker_executable = argv[++i];
    } else if (positional == 0) {
      options.bundle_path = argv[i], ++positional;
    } else if (positional == 1) {
      component = argv[i], ++positional;
    } else {
      props_json = argv[i];
    }
  }
  if (component.empty()) {
    std::fprintf(stderr, "usage: %s BUNDLE COMPONENT [PROPS_JSON] [--worker-executable PATH]\n",
                 argv[0]);
    return 2;
  }
  auto props = ipc::JsonToMsgpack(props_json);
  if (!props.ok()) {
    std::fprintf(stderr, "bad props: %s\n", props.error().message.c_str());
    return 2;
  }
  options.workers = 1;
  spdlog::set_level(spdlog::level::warn);  // the pool logs through spdlog's default logger

  uv_loop_t loop;
  uv_loop_init(&loop);
  auto created = pool::Pool::Create(&loop, options);
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.error().ToString().c_str());
    return 2;
  }
  std::unique_ptr<pool::Pool> pool = std::move(created).value();
  int exit_code = 1;

  ipc::Request request;
  request.id = 1;
  request.op = ipc::Op::kRender;
  request.component = component;
  request.props_msgpack = props.value();
  // Submitted before the worker is ready: it waits in the queue.
  pool->Submit(std::move(request), [&](std::string&& payload) {
    auto reply = ipc::DecodeReply(payload);
    if (!reply.ok()) {
      std::fprintf(stderr, "unreadable reply: %s\n", reply.error().ToString().c_str());
    } else if (!reply->ok()) {
      std::fprintf(stderr, "%s\n", reply->error->ToString().c_str());
    } else {
      std::printf("%s\n", reply->html.c_str());
      exit_code = 0;
    }
    pool->Stop(nullptr);
  });
  pool->Start([&](ipc::Result<void> ready) {
    if (!ready.ok()) {
      std::fprintf(stderr, "%s\n", ready.error().ToString().c_str());
      exit_code = 2;
      pool->Stop(nullptr);
    }
  });
  uv_run(&loop, UV_RUN_DEFAULT);  // returns once the pool has stopped and every handle closed
  pool.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? exit_code : 1;
}
