// Turns what a v8::TryCatch caught into an ipc::Error. Reading the thrown object (its stack,
// its code) may run user getters; that runs under its own TryCatch and never throws out.
// Callers hold a HandleScope and are inside the context.
#pragma once

#include <string>

#include <v8.h>

#include "ipc/error.h"

namespace ssrd::isolates {

// A render failure: kJsError with message String(exception) (e.g. "Error: boom") and the JS
// stack; kNotFound when the exception has code === "not_found".
ipc::Error RenderErrorFromException(v8::Isolate* isolate, v8::Local<v8::Value> exception);

// A one-line description of a load failure: "SyntaxError: Unexpected token ')' at /b.mjs:3".
// `message` may be empty (a rejected top-level await): the location then comes from the
// exception's own stack.
std::string DescribeLoadFailure(v8::Isolate* isolate, v8::Local<v8::Value> exception,
                                v8::Local<v8::Message> message);

}  // namespace ssrd::isolates
