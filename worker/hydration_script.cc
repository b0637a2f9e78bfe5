#include "worker/hydration_script.h"

namespace ssrd::worker {

std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    switch (c) {
      case '<': out += "\\u003c"; continue;
      case '>': out += "\\u003e"; continue;
      case '&': out += "\\u0026"; continue;
      default: break;
    }
    // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
    if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
        (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
      continue;
    }
    out += c;
  }
  return out;
}

std::string ScriptElement(const HydrationOptions& options, std::string_view escaped_json) {
  std::string out;
  out.reserve(escaped_json.size() + 96 + options.nonce.size());
  if (options.global.empty()) {
    out += "<script type=\"application/json\" id=\"";
    out += options.id;
    out += '"';
  } else {
    out += "<script";
  }
  if (!options.nonce.empty()) {
    out += " nonce=\"";
    out += options.nonce;
    out += '"';
  }
  out += '>';
  if (options.global.empty()) {
    out += escaped_json;
  } else {
    out += "window[\"";
    out += options.global;
    out += "\"]=";
    out += escaped_json;
    out += ';';
  }
  out += "</script>";
  return out;
}

}  // namespace ssrd::worker
