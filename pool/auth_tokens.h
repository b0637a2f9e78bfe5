// The tokens TCP clients authenticate with (`--auth-token-file`, docs/protocol.md "Authentication").
//
// File format: one token per line; blank lines and lines starting with # are ignored; leading and
// trailing whitespace (including a CR) is dropped. A token is 16 to 4096 printable ASCII
// characters without spaces. Several tokens may be listed so that one can be rotated without a
// window in which clients are refused (operations.md, "Rotating tokens").
//
// Load() refuses (kBadRequest, one line naming the file and, where there is one, the line):
// a file that cannot be read or is not a regular file, a file others may read or write (mode bits
// 0007: the owner and the group may read it, e.g. 0400, 0440, 0640), a file with no token, a
// token shorter than 16 characters, longer than 4096, or holding a space or control character.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ipc/error.h"

namespace ssrd::pool {

class AuthTokens {
 public:
  static ipc::Result<AuthTokens> Load(const std::string& path);
  static ipc::Result<AuthTokens> Parse(std::string_view text, const std::string& path);

  // True when `presented` equals one of the tokens. The time taken does not depend on where a
  // presented token first differs from any token, nor on which token matched: every token is
  // compared over its whole length and the results are combined without branching.
  bool Accepts(std::string_view presented) const;
  std::size_t size() const { return tokens_.size(); }

 private:
  std::vector<std::string> tokens_;
};

}  // namespace ssrd::pool
