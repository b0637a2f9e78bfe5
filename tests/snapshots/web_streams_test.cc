// Web streams, Request/Response bodies, Blob, atob/btoa, structuredClone and crypto (isolates/web
// and its native half: isolates/random_fill.cc, isolates/structured_clone.cc), from a context that
// evaluated the bundle and from a startup snapshot of it. The expected texts are what Node 20
// prints for the same bundle (tests/snapshots/bundles/web_streams.mjs) except where a comment
// says otherwise.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "ipc/message.h"
#include "isolates/engine.h"
#include "snapshots/snapshot_builder.h"

namespace ssrd::snapshots {
namespace {

class WebStreams : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    isolates::EngineOptions options;
    options.bundle_path = std::string(SSRD_TEST_BUNDLES) + "/web_streams.mjs";
    if (GetParam()) {
      ipc::Result<std::string> blob = BuildSnapshotBlob(options);
      ASSERT_TRUE(blob.ok()) << blob.error().ToString();
      options.snapshot_blob = blob.value();
    }
    ipc::Result<std::unique_ptr<isolates::Engine>> engine = isolates::Engine::Create(options);
    ASSERT_TRUE(engine.ok()) << engine.error().ToString();
    engine_ = std::move(engine.value());
  }

  std::string Html(const std::string& component) {
    ipc::Result<isolates::RenderOutput> out =
        engine_->Render(isolates::RenderInput{component, "", "/", false}, nullptr);
    if (!out.ok()) return "error: " + out.error().ToString() + "\n" + out.error().stack;
    EXPECT_TRUE(engine_->PrepareNextRender().ok());
    return out.value().html;
  }

  std::unique_ptr<isolates::Engine> engine_;
};

TEST_P(WebStreams, ReadableWritableTransformAndTextStreams) {
  EXPECT_EQ(Html("Streams"),
            "pipeThrough A,B\n"
            "pipeTo 1,2,closed\n"
            "pipeTo aborted threw Error Error: stop\n"
            "tee x x\n"
            "values preventCancel false 2\n"
            "asyncIterator true\n"
            "from 1,2\n"
            "cancel why\n"
            "errored threw TypeError TypeError: bad\n"
            "bytes [1,2]\n"
            "byob 9 false\n"
            "writer 2 w\n"
            "strategies 3 4\n"
            "made at load made at load\n"
            "TextEncoderStream [97],[240,159,152,128,98],[239,191,189]\n"
            "TextDecoderStream \xE2\x82\xAC" "A,\xEF\xBF\xBD\n"
            // Node's error also has code ERR_ENCODING_INVALID_ENCODED_DATA.
            "fatal threw TypeError TypeError: The encoded data was not valid for encoding utf-8\n"
            "piped text h\xC3\xA9llo");
  // Streams made, piped and left locked leave nothing the context guard objects to.
  EXPECT_EQ(engine_->context_resets(), 0u);
}

TEST_P(WebStreams, RequestAndResponseBodies) {
  EXPECT_EQ(Html("Bodies"),
            "string text/plain;charset=UTF-8 h\xC3\xA9llo true\n"
            "ArrayBuffer hi\n"
            "DataView BC\n"
            "URLSearchParams application/x-www-form-urlencoded;charset=UTF-8 a=1&b=x+y\n"
            "Blob a/b q\n"
            "stream null false hi true\n"
            "stream of strings threw TypeError TypeError: Received non-Uint8Array chunk\n"
            "body [object ReadableStream] true false\n"
            "read Uint8Array 97,98,99 true used=true\n"
            "text after read threw TypeError TypeError: Body is unusable: Body has already been read\n"
            "clone of locked threw TypeError TypeError: Response.clone: Body has already been "
            "consumed.\n"
            "read twice threw TypeError TypeError: Body is unusable: Body has already been read\n"
            "no body null \"\" false\n"
            "clone of stream ok ok\n"
            "arrayBuffer 97,98,99\n"
            "json {\"a\":[1,2]}\n"
            "blob text/plain;charset=utf-8 2\n"
            "redirect 301 https://a.example/x?y\n"
            "redirect relative threw TypeError TypeError: Failed to parse URL from /x\n"
            "error error 0\n"
            "request moved true hi\n"
            "stream without duplex threw TypeError TypeError: RequestInit: duplex option is "
            "required when sending a body.\n"
            "request stream half up\n"
            "AbortSignal.timeout TimeoutError\n"
            "AbortSignal.any true first");
  EXPECT_EQ(engine_->context_resets(), 0u);
}

TEST_P(WebStreams, BlobAndFile) {
  EXPECT_EQ(Html("Blobs"),
            "parts 7 text/plain \"a\\nbA\xC3\xA9z\"\n"
            "bad type \"\"\n"
            "slice \xC3\xA9 3 x/y\n"
            "endings \"a\\nb\\nc\"\n"
            "arrayBuffer 104,105\n"
            "stream [104,105]\n"
            "tag [object Blob]\n"
            // Node: ERR_INVALID_ARG_TYPE, 'The "sources" argument must be a sequence. Received
            // type string ('abc')'; this is the browsers' message.
            "not a sequence threw TypeError TypeError: Failed to construct 'Blob': The provided "
            "value cannot be converted to a sequence.\n"
            "File f.txt 2 text/plain 5 true");
}

TEST_P(WebStreams, AtobAndBtoa) {
  EXPECT_EQ(Html("Base64"),
            "btoa aGVsbG8= //4= \n"
            "atob hello \"a\"\n"
            "atob a DOMException InvalidCharacterError 5: The string to be decoded is not "
            "correctly encoded. true\n"
            "atob ab=c DOMException InvalidCharacterError 5: Invalid character true\n"
            "atob ab=== DOMException InvalidCharacterError 5: Invalid character true\n"
            "atob * DOMException InvalidCharacterError 5: Invalid character true\n"
            "btoa DOMException InvalidCharacterError 5: Invalid character\n"
            "atob() TypeError TypeError ERR_MISSING_ARGS: The \"input\" argument must be "
            "specified");
}

TEST_P(WebStreams, StructuredCloneUsesV8sSerializer) {
  EXPECT_EQ(Html("Clones"),
            "types true,true,true,5,1,true,g,true,boom,true,false,3,true,object,Uint16Array,1,2\n"
            "class Object 1\n"
            "getter {\"value\":5,\"writable\":true,\"enumerable\":true,\"configurable\":true}\n"
            "function DOMException DataCloneError 25: () => {} could not be cloned. true\n"
            "symbol DOMException DataCloneError 25: Symbol(x) could not be cloned. true\n"
            "method DOMException DataCloneError 25: a() {} could not be cloned. true\n"
            "transfer 0 3 8,9 true\n"
            "duplicate DOMException DataCloneError 25: Transfer list contains duplicate "
            "ArrayBuffer\n"
            "invalid TypeError TypeError ERR_INVALID_TRANSFER_OBJECT: Found invalid object in "
            "transferList\n"
            "nothing TypeError TypeError ERR_MISSING_ARGS: The value argument must be specified");
}

TEST_P(WebStreams, CryptoChecksItsArgumentsAsNodeDoes) {
  EXPECT_EQ(Html("Crypto"),
            "Float32Array DOMException TypeMismatchError 17: The data argument must be an "
            "integer-type TypedArray\n"
            "DataView DOMException TypeMismatchError 17: The data argument must be an "
            "integer-type TypedArray\n"
            "65537 bytes DOMException QuotaExceededError 22: The requested length exceeds "
            "65,536 bytes\n"
            "array DOMException TypeMismatchError 17: The data argument must be an integer-type "
            "TypedArray\n"
            "nothing TypeError TypeError ERR_MISSING_ARGS: Failed to execute 'getRandomValues' "
            "on 'Crypto': 1 argument required, but only 0 present.\n"
            "65536 bytes true true\n"
            "BigUint64Array true\n"
            "view fills only its bytes 0000\n"
            "uuid true\n"
            "tag [object Crypto] true\n"
            "new Crypto TypeError TypeError ERR_ILLEGAL_CONSTRUCTOR: Illegal constructor");
}

INSTANTIATE_TEST_SUITE_P(Contexts, WebStreams, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FromSnapshot" : "FromBundle";
                         });

}  // namespace
}  // namespace ssrd::snapshots
