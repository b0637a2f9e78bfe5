#include "isolates/js_errors.h"

#include "isolates/v8_strings.h"

namespace ssrd::isolates {
namespace {

// Reads object[name] when it is a string; "" otherwise or when the getter throws.
std::string StringProperty(v8::Isolate* isolate, v8::Local<v8::Value> object,
                           std::string_view name) {
  if (!object->IsObject()) return {};
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> value;
  if (!object.As<v8::Object>()
           ->Get(isolate->GetCurrentContext(), Literal(isolate, name))
           .ToLocal(&value) ||
      !value->IsString()) {
    return {};
  }
  return ToUtf8(isolate, value);
}

std::string FirstLine(std::string text) {
  auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  return text;
}

std::string Describe(v8::Isolate* isolate, v8::Local<v8::Value> exception) {
  std::string text = ToUtf8(isolate, exception);
  // ToString can throw (an object without a prototype) or be empty; say what was thrown.
  if (text.empty()) text = exception->IsObject() ? "uncaught exception (object)" : "";
  return text;
}

}  // namespace

ipc::Error RenderErrorFromException(v8::Isolate* isolate, v8::Local<v8::Value> exception) {
  ipc::Error error;
  error.code = StringProperty(isolate, exception, "code") == "not_found" ? ipc::ErrorCode::kNotFound
                                                                         : ipc::ErrorCode::kJsError;
  error.message = Describe(isolate, exception);
  if (error.message.empty()) error.message = "uncaught exception";
  error.stack = StringProperty(isolate, exception, "stack");
  return error;
}

std::string DescribeLoadFailure(v8::Isolate* isolate, v8::Local<v8::Value> exception,
                                v8::Local<v8::Message> message) {
  v8::TryCatch try_catch(isolate);
  if (message.IsEmpty()) message = v8::Exception::CreateMessage(isolate, exception);
  std::string text = FirstLine(Describe(isolate, exception));
  if (text.empty()) text = "uncaught exception";
  if (!message.IsEmpty()) {
    std::string resource = ToUtf8(isolate, message->GetScriptResourceName());
    int line = message->GetLineNumber(isolate->GetCurrentContext()).FromMaybe(0);
    if (!resource.empty() && resource != "undefined" && line > 0) {
      text += " at " + resource + ":" + std::to_string(line);
    }
  }
  return text;
}

}  // namespace ssrd::isolates
