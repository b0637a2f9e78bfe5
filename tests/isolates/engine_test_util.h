// Helpers shared by the engine tests: bundle paths and JSON props.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ipc/message.h"
#include "isolates/engine.h"

namespace ssrd::isolates::testing {

inline std::string Bundle(const std::string& name) {
  return std::string(SSRD_TEST_BUNDLES) + "/" + name;
}

inline std::string Props(const std::string& json) {
  ipc::Result<std::string> bytes = ipc::JsonToMsgpack(json);
  EXPECT_TRUE(bytes.ok()) << json;
  return bytes.ok() ? bytes.value() : std::string();
}

inline std::unique_ptr<Engine> MustCreate(const std::string& bundle, std::size_t heap_mb = 512) {
  EngineOptions options;
  options.bundle_path = Bundle(bundle);
  options.heap_limit_mb = heap_mb;
  options.node_env = "test-env";
  ipc::Result<std::unique_ptr<Engine>> engine = Engine::Create(options);
  EXPECT_TRUE(engine.ok()) << (engine.ok() ? "" : engine.error().ToString());
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

}  // namespace ssrd::isolates::testing
