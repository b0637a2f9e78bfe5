// UTF-8 conversions between std::string and V8 strings. Callers hold a HandleScope.
#pragma once

#include <string>
#include <string_view>

#include <v8.h>

namespace ssrd::isolates {

// Converts with ToString semantics when value is not a string; "" if that throws (the exception
// is swallowed by a local TryCatch: callers use this to describe values, not to run user code).
std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value);
// Creates a string from UTF-8 bytes; invalid sequences become U+FFFD. Empty for a string longer
// than V8's maximum length.
v8::MaybeLocal<v8::String> NewUtf8(v8::Isolate* isolate, std::string_view utf8);
// NewUtf8 for short literals known to fit.
v8::Local<v8::String> Literal(v8::Isolate* isolate, std::string_view utf8);

}  // namespace ssrd::isolates
