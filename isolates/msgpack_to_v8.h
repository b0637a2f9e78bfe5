// MessagePack bytes -> V8 values, directly (no JSON text in between).
//   map -> plain Object with own data properties only (CreateDataProperty: a "__proto__" key is an
//          ordinary own property and never changes a prototype); keys must be str or int (ints
//          become their decimal string, as JS property keys are strings)
//   array -> Array; str -> String (UTF-8; invalid sequences become U+FFFD); bin -> Uint8Array (a
//   copy); nil -> null; bool -> Boolean; float -> Number; int -> Number when |n| <= 2^53 - 1
//   (exact), else BigInt (exact; JSON.stringify would throw on it, which is the bundle's call).
// Failure: kBadRequest for bytes that are not exactly one MessagePack value, ext types, map keys
// of another type, nesting deeper than kMaxPropsDepth ("props nested too deeply"). msgpack-c's
// exceptions are caught here and nowhere else in isolates/. Caller holds a HandleScope and is
// inside `context`.
#pragma once

#include <cstddef>
#include <string_view>

#include <v8.h>

#include "ipc/error.h"

namespace ssrd::isolates {

inline constexpr std::size_t kMaxPropsDepth = 512;

ipc::Result<v8::Local<v8::Value>> MsgpackToV8(v8::Isolate* isolate, v8::Local<v8::Context> context,
                                              std::string_view bytes);

}  // namespace ssrd::isolates
