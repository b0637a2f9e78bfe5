// Makes text that came from outside (a client's component name, a console line, a JS error
// message or stack) safe to put into one log line: a log line must never be split or forged by
// what it quotes, nor flood the log.
//
// EscapeForLog() writes a backslash as "\\", \n \r \t as "\n" "\r" "\t", any other ASCII control
// byte and DEL as "\xHH" (ESC is "\x1b"), C1 controls and U+2028/U+2029 (line breaks to some
// viewers) as "\uHHHH", and bytes that are not valid UTF-8 as "\xHH". Everything else, valid
// UTF-8 included, is kept. The result is cut at about `max_bytes` (never inside an escape or a
// UTF-8 sequence) and then ends with "… (N more bytes)", N counting the input left out.
// Pure function, any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ssrd::ipc {

inline constexpr std::size_t kLogFieldMaxBytes = 2000;

std::string EscapeForLog(std::string_view text, std::size_t max_bytes = kLogFieldMaxBytes);

}  // namespace ssrd::ipc
