#include "isolates/library_warmup.h"

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// The default zone (ICU looks for the host's) and one named zone (ICU opens its zone tables and
// looks for override files): with strace, the only files ICU probes after start. Nothing else:
// locale data, collation, break iteration and the other Intl services read libicudata (mapped)
// and never the file system, and touching them here would only make their data pages resident in
// every worker (measured on the React example: a warm-up of every Intl service in 12 locales and
// 8 zones cost ~25 MB of RSS per worker, one of each service in one locale still ~6 MB).
constexpr const char* kWarmUpSource = R"JS((() => {
  const when = new Date(Date.UTC(2026, 6, 1, 12, 30));
  const seen = [when.toString(), when.toLocaleString(), String(when.getTimezoneOffset()),
                new Intl.DateTimeFormat().resolvedOptions().timeZone,
                String(new Date(2026, 0, 1).getTime()),
                new Intl.DateTimeFormat('en-US', {timeZone: 'America/New_York',
                                                  timeStyle: 'full'}).format(when)];
  return seen.length;
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
