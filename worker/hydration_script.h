// The hydration <script> element of a render reply: the JSON the engine produced (JSON.stringify
// of {component, props, data?}) made safe to place inside HTML, and the element around it.
//
// Why each escape (each is a valid JSON escape, so JSON.parse and JS both read the same value):
//   <       The HTML tokenizer ends a script element at "</script" followed by whitespace, "/" or
//           ">", in any letter case, wherever it appears, strings included. And "<!--" followed
//           by "<script" switches it into the "double escaped" state, where the next "</script>"
//           no longer ends the element and the page's own markup after it is swallowed. Without
//           any "<" neither can happen.
//   >       Not needed by the HTML parser once "<" is escaped. Escaped so that the element holds
//           no "-->" or ">" for any filter or older parser that looks for tags or comment ends;
//           this is the same set Go's json.HTMLEscape and Rails' json_escape use.
//   &       Under XHTML (XML parsing) script content is parsed character data: "&amp;" would
//           become "&". Escaped, the text means the same under both parsers.
//   U+2028, U+2029
//           Line terminators inside JS string literals before ES2019: a classic script holding
//           them raw is a SyntaxError in older engines. Escaped in both modes so that one output
//           suits both.
// Everything else, non-ASCII included, stays UTF-8 as JSON.stringify wrote it; JSON.stringify
// already writes lone surrogates as \udXXX escapes, so the input is valid UTF-8.
//
// Pure functions, no failure: the names in HydrationOptions are trusted to match the patterns
// ipc::DecodeRequest checks (ipc/message.h); they are written as they are. Any thread.
#pragma once

#include <string>
#include <string_view>

namespace ssrd::worker {

struct HydrationOptions {
  std::string_view id = "ssrd-data";  // the JSON element's id attribute
  std::string_view global;            // non-empty: a classic script setting window[global]
  std::string_view nonce;             // non-empty: a nonce attribute
};

// Replaces < > & U+2028 U+2029 in JSON text with \u003c \u003e \u0026 \u2028 \u2029. The input
// must be JSON (those characters can then only occur inside strings, where the escapes mean the
// same); other bytes are copied unchanged.
std::string EscapeJsonForScript(std::string_view json);

// <script type="application/json" id="ID" nonce="N">JSON</script>, or in global mode
// <script nonce="N">window["NAME"]=JSON;</script>; the nonce attribute only when one is given.
// `escaped_json` must come from EscapeJsonForScript.
std::string ScriptElement(const HydrationOptions& options, std::string_view escaped_json);

}  // namespace ssrd::worker
