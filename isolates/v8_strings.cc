#include "isolates/v8_strings.h"

namespace ssrd::isolates {

std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) return {};
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> string;
  if (value->IsString()) {
    string = value.As<v8::String>();
  } else if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&string)) {
    return {};
  }
  std::string out(static_cast<std::size_t>(string->Utf8Length(isolate)), '\0');
  string->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
                    v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

v8::MaybeLocal<v8::String> NewUtf8(v8::Isolate* isolate, std::string_view utf8) {
  if (utf8.size() > static_cast<std::size_t>(v8::String::kMaxLength)) return {};
  return v8::String::NewFromUtf8(isolate, utf8.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(utf8.size()));
}

v8::Local<v8::String> Literal(v8::Isolate* isolate, std::string_view utf8) {
  return NewUtf8(isolate, utf8).ToLocalChecked();
}

}  // namespace ssrd::isolates
