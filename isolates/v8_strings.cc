#include "isolates/v8_strings.h"

#include <cstdint>
#include <vector>

#include "isolates/utf16_to_utf8.h"

namespace ssrd::isolates {

namespace {

// A rendered page is a tree of thousands of concatenated pieces. Utf8Length and WriteUtf8 both
// make V8 flatten it first: a heap copy of the whole page (two bytes a character, since one
// character outside Latin-1 makes it all two-byte), then two walks of that copy. Copying the
// pieces out straight into a reused buffer and encoding from there skips the heap copy and one
// walk. Short strings keep V8's path.
constexpr int kCopyOutLength = 16 * 1024;

std::string CopyOutAsUtf8(v8::Isolate* isolate, v8::Local<v8::String> string, int length) {
  static thread_local std::vector<std::uint16_t> units;
  static thread_local std::vector<std::uint8_t> latin1;
  const int options = v8::String::NO_NULL_TERMINATION;
  std::string out;
  if (string->IsOneByte()) {
    latin1.resize(static_cast<std::size_t>(length));
    string->WriteOneByte(isolate, latin1.data(), 0, length, options);
    AppendLatin1AsUtf8(latin1.data(), latin1.size(), &out);
  } else {
    units.resize(static_cast<std::size_t>(length));
    string->Write(isolate, units.data(), 0, length, options);
    AppendUtf16AsUtf8(units.data(), units.size(), &out);
  }
  // A huge page once must not pin its size in the worker for good.
  constexpr std::size_t kKeepBytes = 4u << 20;
  if (units.capacity() * sizeof(std::uint16_t) > kKeepBytes) std::vector<std::uint16_t>().swap(units);
  if (latin1.capacity() > kKeepBytes) std::vector<std::uint8_t>().swap(latin1);
  return out;
}

}  // namespace

std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) return {};
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::String> string;
  if (value->IsString()) {
    string = value.As<v8::String>();
  } else if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&string)) {
    return {};
  }
  const int length = string->Length();
  if (length >= kCopyOutLength) return CopyOutAsUtf8(isolate, string, length);
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
