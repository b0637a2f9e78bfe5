#include <nlohmann/json.hpp>

#include "ipc/message.h"

namespace ssrd::ipc {

Result<std::string> JsonToMsgpack(std::string_view json) {
  // ordered_json keeps the object keys in the order written (nlohmann::json would sort them), so
  // props reach the component as the caller wrote them.
  nlohmann::ordered_json value;
  try {
    value = nlohmann::ordered_json::parse(json.begin(), json.end());
  } catch (const nlohmann::ordered_json::parse_error& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " tag; the rest reads well on its own.
    if (const std::size_t tag_end = what.find("] ");
        what.rfind("[json.", 0) == 0 && tag_end != std::string::npos) {
      what.erase(0, tag_end + 2);
    }
    return MakeError(ErrorCode::kBadRequest, "invalid JSON: " + what);
  }
  std::string out;
  nlohmann::ordered_json::to_msgpack(value, out);
  return out;
}

}  // namespace ssrd::ipc
