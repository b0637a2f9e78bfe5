// The context guard's record made by the snapshot builder (ContextGuard::Prepare): a context made
// from the snapshot adopts it instead of recording the builtins again, and still sees a change to
// what V8 adds to a context only after deserialisation (WebAssembly, Atomics, Object.hasOwn, …),
// which the builder's context never had.
#include <gtest/gtest.h>
#include <v8.h>

#include <memory>
#include <string>

#include "isolates/bundle_context.h"
#include "isolates/context_guard.h"
#include "isolates/module_loader.h"
#include "isolates/runtime_globals.h"
#include "isolates/runtime_state.h"
#include "isolates/v8_process.h"
#include "isolates/v8_strings.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

class PreparedGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    isolates::EngineOptions options;
    options.bundle_path = std::string(SSRD_TEST_BUNDLES) + "/isolation.mjs";
    ipc::Result<std::string> blob = BuildSnapshotBlob(options);
    ASSERT_TRUE(blob.ok()) << blob.error().ToString();
    blob_ = blob.value();
    isolates::EnsureV8Initialized();
    allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    startup_ = {blob_.data(), static_cast<int>(blob_.size())};
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    params.external_references = isolates::RuntimeExternalReferences();
    params.snapshot_blob = &startup_;
    isolate_ = v8::Isolate::New(params);
    isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
    isolates::AttachRuntimeState(isolate_, &state_);
  }
  void TearDown() override {
    state_.ReleaseHandles();  // before the isolate goes
    if (isolate_ != nullptr) isolate_->Dispose();
  }

  // Makes a context from the snapshot, installs a guard, runs `script`, and says whether the
  // quick check still finds the context clean. *adopted: whether the prepared record was used.
  bool CleanAfter(const std::string& script, bool* adopted) {
    v8::Isolate::Scope isolate_scope(isolate_);
    v8::HandleScope handle_scope(isolate_);
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    isolates::ContextGuard guard;
    EXPECT_TRUE(guard.Install(isolate_, context).ok());
    *adopted = guard.adopted();
    EXPECT_EQ(guard.QuickCheck(isolate_, context), isolates::ContextGuard::Check::kClean)
        << "dirty before " << script;
    v8::TryCatch try_catch(isolate_);
    v8::Local<v8::Script> compiled;
    EXPECT_TRUE(v8::Script::Compile(context, isolates::Literal(isolate_, script)).ToLocal(&compiled));
    EXPECT_FALSE(compiled->Run(context).IsEmpty()) << script;
    bool clean = guard.QuickCheck(isolate_, context) == isolates::ContextGuard::Check::kClean;
    guard.Reset();
    return clean;
  }

  std::string blob_;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::StartupData startup_{};
  isolates::RuntimeState state_;
  v8::Isolate* isolate_ = nullptr;
};

TEST_F(PreparedGuard, AContextFromTheSnapshotAdoptsTheBuildersRecord) {
  bool adopted = false;
  EXPECT_TRUE(CleanAfter("1 + 1", &adopted));
  EXPECT_TRUE(adopted);
  EXPECT_FALSE(CleanAfter("globalThis.leaked = 1", &adopted));
  EXPECT_FALSE(CleanAfter("Array.prototype.map = function () {}", &adopted));
}

TEST_F(PreparedGuard, WhatV8AddsAfterDeserialisationIsCheckedToo) {
  bool adopted = false;
  // Added to every context outside the builder: a property of the global object, one of a
  // constructor, and the builtins of a whole namespace the builder's context lacked.
  EXPECT_FALSE(CleanAfter("WebAssembly = 0", &adopted));
  EXPECT_TRUE(adopted);
  EXPECT_FALSE(CleanAfter("Object.hasOwn = null", &adopted));
  EXPECT_FALSE(CleanAfter("Atomics.add = null", &adopted));
  EXPECT_FALSE(CleanAfter("SharedArrayBuffer.prototype.slice = null", &adopted));
}

TEST_F(PreparedGuard, AContextMadeWithoutTheSnapshotRecordsItsOwn) {
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handle_scope(isolate_);
  isolates::ModuleGraph graph;
  ipc::Result<v8::Local<v8::Context>> context = isolates::NewBundleContext(
      isolate_, &state_, &graph, std::string(SSRD_TEST_BUNDLES) + "/isolation.mjs");
  ASSERT_TRUE(context.ok()) << context.error().ToString();
  v8::Context::Scope context_scope(context.value());
  isolates::ContextGuard guard;
  ASSERT_TRUE(guard.Install(isolate_, context.value()).ok());
  EXPECT_FALSE(guard.adopted());
  EXPECT_EQ(guard.QuickCheck(isolate_, context.value()), isolates::ContextGuard::Check::kClean);
  guard.Reset();
}

}  // namespace
}  // namespace ssrd::snapshots
