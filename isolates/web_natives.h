// The native functions behind isolates/web's crypto and structuredClone. runtime_globals.cc puts
// them in the prelude's bindings object (which the bundle never sees) and lists them among the
// runtime's external references, so that contexts in a startup snapshot find them again.
// Both are V8 callbacks: they throw JS exceptions, never C++ ones.
#pragma once

#include <v8.h>

namespace ssrd::isolates {

// randomFill(view): fills an ArrayBufferView's bytes from getrandom(2), at every call (nothing
// is buffered, so nothing random lives in the heap a snapshot captures). The caller (crypto.js)
// has checked the type and the 65536-byte quota; a non-view throws a TypeError, and a kernel
// that refuses (no getrandom: Linux < 3.17) an Error.
void RandomFill(const v8::FunctionCallbackInfo<v8::Value>& info);

// structuredClone(value, transfer, makeError): the clone of `value` made by V8's ValueSerializer
// and ValueDeserializer in the current context. `transfer` is an array of ArrayBuffers (checked
// by structured_clone.js) whose contents move to the clone, leaving the originals detached. What
// V8 cannot clone (a function, a symbol, ...) throws makeError(V8's message), a DataCloneError.
void StructuredClone(const v8::FunctionCallbackInfo<v8::Value>& info);

}  // namespace ssrd::isolates
