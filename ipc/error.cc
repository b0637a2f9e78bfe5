#include "ipc/error.h"

#include <array>

namespace ssrd::ipc {
namespace {

struct CodeName {
  ErrorCode code;
  std::string_view name;
};

// The names are wire protocol (docs/protocol.md): never rename one.
constexpr std::array<CodeName, 15> kCodeNames = {{
    {ErrorCode::kBadRequest, "bad_request"},
    {ErrorCode::kNotFound, "not_found"},
    {ErrorCode::kJsError, "js_error"},
    {ErrorCode::kTimeout, "timeout"},
    {ErrorCode::kOverloaded, "overloaded"},
    {ErrorCode::kWorkerCrashed, "worker_crashed"},
    {ErrorCode::kOutOfMemory, "out_of_memory"},
    {ErrorCode::kTooLarge, "too_large"},
    {ErrorCode::kShuttingDown, "shutting_down"},
    {ErrorCode::kBundleError, "bundle_error"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kCancelled, "cancelled"},
    {ErrorCode::kForbidden, "forbidden"},
    {ErrorCode::kUnauthorized, "unauthorized"},
    {ErrorCode::kInternal, "internal"},
}};
static_assert(kCodeNames.size() == static_cast<std::size_t>(ErrorCode::kInternal) + 1,
              "every ErrorCode needs its wire name here");

}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  for (const CodeName& entry : kCodeNames) {
    if (entry.code == code) return entry.name;
  }
  return "internal";
}

std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const CodeName& entry : kCodeNames) {
    if (entry.name == name) return entry.code;
  }
  return std::nullopt;
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace ssrd::ipc
