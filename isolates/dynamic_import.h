// V8's hook for import(): loads the module through the context's ModuleGraph (module_loader.h,
// which decides what may be imported), evaluates it, and settles the returned promise with its
// namespace, or rejects with an Error naming the specifier and why. Installed by
// AttachModuleGraph; never throws out of the callback (a termination is passed on, as V8 asks).
#pragma once

#include <cstdint>

#include <v8.h>

namespace ssrd::isolates {

v8::MaybeLocal<v8::Promise> ImportModuleDynamically(v8::Local<v8::Context> context,
                                                    v8::Local<v8::Data> host_defined_options,
                                                    v8::Local<v8::Value> resource_name,
                                                    v8::Local<v8::String> specifier,
                                                    v8::Local<v8::FixedArray> import_assertions);

// The native functions import() leaves in a context, 0-terminated: part of the runtime's external
// references (runtime_globals.h), since a snapshot may hold them.
const std::intptr_t* DynamicImportExternalReferences();

}  // namespace ssrd::isolates
