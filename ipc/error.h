// Errors as values at every module boundary: a stable machine-readable code and a human message.
// Codes are part of the wire protocol (docs/protocol.md); their names never change.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ssrd::ipc {

enum class ErrorCode {
  kBadRequest,     // "bad_request": malformed frame or message, wrong type, missing field
  kNotFound,       // "not_found": unknown component (reported by the bundle) or unknown request id
  kJsError,        // "js_error": the bundle threw or rejected; stack attached
  kTimeout,        // "timeout": the deadline passed, queued or rendering
  kOverloaded,     // "overloaded": the queue is full
  kWorkerCrashed,  // "worker_crashed": the worker died while rendering this request
  kOutOfMemory,    // "out_of_memory": the render exhausted the worker's heap
  kTooLarge,       // "too_large": a frame over the size limit
  kShuttingDown,   // "shutting_down": the daemon is draining
  kBundleError,    // "bundle_error": the bundle cannot be loaded (missing, syntax error, no render)
  kUnavailable,    // "unavailable": cannot reach the daemon / no worker could start
  kCancelled,      // "cancelled": a cancel request stopped this request
  kForbidden,      // "forbidden": the connecting peer's uid/gid is not allowed (--allow-uid/-gid)
  kUnauthorized,   // "unauthorized": a TCP client sent no valid token (--auth-token-file)
  kInternal,       // "internal": a bug; never expected
};

std::string_view ErrorCodeName(ErrorCode code);
std::optional<ErrorCode> ErrorCodeFromName(std::string_view name);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string stack;  // JS stack for kJsError; empty otherwise

  std::string ToString() const;  // "code: message"
};

// Holds a T or an Error. Result<void> holds nothing or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Error MakeError(ErrorCode code, std::string message, std::string stack = {}) {
  return Error{code, std::move(message), std::move(stack)};
}

}  // namespace ssrd::ipc
