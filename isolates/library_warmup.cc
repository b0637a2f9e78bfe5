#include "isolates/library_warmup.h"

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// The host's zone, the one probe whose failure would change an answer: V8's date cache asks ICU
// for the default zone, which ICU finds (TZ, else readlink("/etc/localtime")) once and keeps.
// Nothing else. ICU's other probes are stat()s of time-zone override files
// (/usr/share/zoneinfo-icu/…) that do not exist on Debian; under the filter they fail with EPERM
// instead of ENOENT, and ICU uses the data compiled into libicudata either way. Formatting dates in
// a named zone and the default locale here, as this did until 2026-12, cost 10-18 ms of every
// worker start (ICU's pattern generator) and data pages resident in every worker, for no change
// in any answer (tests/integration/sandbox_test.cc, IntlAnswersAsWithoutTheFilter: nine zones in
// nine locales, with and without the filter).
constexpr const char* kWarmUpSource = R"JS((() => {
  const when = new Date(Date.UTC(2026, 6, 1, 12, 30));
  return String(when.getTimezoneOffset()).length;
})())JS";

}  // namespace

ipc::Result<void> WarmUpLazyLibraries(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  v8::Context::Scope context_scope(context);
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> result;
  if (!v8::Script::Compile(context, Literal(isolate, kWarmUpSource)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&result)) {
    std::string why = try_catch.HasCaught() ? ToUtf8(isolate, try_catch.Exception())
                                            : std::string("no result");
    return ipc::MakeError(ipc::ErrorCode::kInternal, "the library warm-up failed: " + why);
  }
  return {};
}

}  // namespace ssrd::isolates
