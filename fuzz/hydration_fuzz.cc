// Fuzz target: the hydration escaper (worker/hydration_script.h). Its input is JSON text as
// JSON.stringify writes it; here nlohmann-json writes it (the same escapes: quote, backslash and
// control characters only, UTF-8 otherwise). Two modes, chosen by the first byte: the rest parsed
// as a JSON document (the raw text is escaped as it stands, whitespace and all), or taken as one
// string value (invalid UTF-8 replaced, as V8 would have). Invariants, on the escaped text and on
// the element around it: it parses as JSON to the same value; it holds no "<" at all, so neither
// "</script" (any case) nor "<!--"; no ">" or "&"; no raw U+2028 or U+2029.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_target.h"
#include "worker/hydration_script.h"

namespace {

using nlohmann::json;

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) ==
                                                    std::tolower(static_cast<unsigned char>(b)); });
  return it != haystack.end();
}

void CheckSafe(std::string_view text) {
  FUZZ_CHECK(!ContainsNoCase(text, "</script"));
  FUZZ_CHECK(text.find("<!--") == std::string_view::npos);
  FUZZ_CHECK(text.find_first_of("<>&") == std::string_view::npos);
  FUZZ_CHECK(text.find("\xe2\x80\xa8") == std::string_view::npos);
  FUZZ_CHECK(text.find("\xe2\x80\xa9") == std::string_view::npos);
}

void CheckEscaped(std::string_view json_text, const json& value) {
  const std::string escaped = ssrd::worker::EscapeJsonForScript(json_text);
  CheckSafe(escaped);
  const json parsed = json::parse(escaped, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!parsed.is_discarded());
  FUZZ_CHECK(parsed == value);

  // The element: its content is exactly the escaped text (or the assignment around it), and the
  // only "</script" in it is the one that closes it.
  ssrd::worker::HydrationOptions json_element;
  json_element.nonce = "r4nd0m";
  const std::string element = ssrd::worker::ScriptElement(json_element, escaped);
  const std::string_view close = "</script>";
  FUZZ_CHECK(element.size() > close.size());
  FUZZ_CHECK(std::string_view(element).substr(element.size() - close.size()) == close);
  const std::size_t open_end = element.find('>');
  const std::string_view body(element.data() + open_end + 1,
                              element.size() - open_end - 1 - close.size());
  FUZZ_CHECK(body == escaped);

  ssrd::worker::HydrationOptions global;
  global.global = "__SSRD_DATA__";
  const std::string script = ssrd::worker::ScriptElement(global, escaped);
  const std::size_t script_open = script.find('>');
  const std::string_view assignment(script.data() + script_open + 1,
                                    script.size() - script_open - 1 - close.size());
  CheckSafe(assignment);
  const std::string_view prefix = "window[\"__SSRD_DATA__\"]=";
  FUZZ_CHECK(assignment.substr(0, prefix.size()) == prefix);
  FUZZ_CHECK(assignment.back() == ';');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    const json document = json::parse(rest, nullptr, /*allow_exceptions=*/false);
    if (!document.is_discarded()) {
      CheckEscaped(rest, document);
      // And as JSON.stringify would write the same value: compact.
      CheckEscaped(document.dump(-1, ' ', false, json::error_handler_t::replace), document);
      return 0;
    }
  }
  const std::string text =
      json(std::string(rest)).dump(-1, ' ', false, json::error_handler_t::replace);
  CheckEscaped(text, json::parse(text));
  return 0;
}
