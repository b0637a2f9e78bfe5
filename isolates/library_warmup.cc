#include "isolates/library_warmup.h"

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// Every Intl service and the Date paths that consult the host's zone, with a spread of zones
// (each with its own rules) and locales (scripts, calendars and numbering systems).
constexpr const char* kWarmUpSource = R"JS((() => {
  const when = new Date(Date.UTC(2026, 6, 1, 12, 30));
  const seen = [when.toString(), when.toLocaleString(), String(when.getTimezoneOffset()),
                new Intl.DateTimeFormat().resolvedOptions().timeZone, when.toLocaleDateString(),
                when.toLocaleTimeString(), String(new Date(2026, 0, 1).getTime())];
  const zones = ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles',
                 'Asia/Tokyo', 'Asia/Kolkata', 'Australia/Sydney'];
  const locales = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'ja-JP', 'zh-CN', 'ar-EG', 'hi-IN',
                   'ru-RU', 'pt-BR', 'th-TH-u-ca-buddhist'];
  for (const timeZone of zones) {
    for (const locale of locales) {
      seen.push(new Intl.DateTimeFormat(locale, {timeZone, dateStyle: 'full', timeStyle: 'full'})
                    .format(when));
    }
  }
  for (const locale of locales) {
    seen.push(new Intl.NumberFormat(locale, {style: 'currency', currency: 'EUR'}).format(1234.5),
              new Intl.NumberFormat(locale, {style: 'unit', unit: 'kilometer-per-hour'}).format(3),
              new Intl.PluralRules(locale).select(2),
              new Intl.RelativeTimeFormat(locale).format(-1, 'day'),
              new Intl.ListFormat(locale).format(['a', 'b', 'c']),
              new Intl.DisplayNames([locale], {type: 'region'}).of('JP'),
              String(new Intl.Collator(locale).compare('a', 'b')),
              [...new Intl.Segmenter(locale, {granularity: 'word'}).segment('a b')].length,
              'I'.toLocaleLowerCase(locale), (1234.5).toLocaleString(locale));
  }
  seen.push('\u00e9'.normalize('NFD'), Intl.supportedValuesOf('timeZone').length);
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
