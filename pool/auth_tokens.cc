#include "pool/auth_tokens.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ssrd::pool {
namespace {

constexpr std::size_t kMinTokenChars = 16;
constexpr std::size_t kMaxTokenChars = 4096;

ipc::Error Refuse(const std::string& path, const std::string& why) {
  return ipc::MakeError(ipc::ErrorCode::kBadRequest, "auth token file " + path + ": " + why);
}

std::string_view Trim(std::string_view s) {
  const char* space = " \t\r\n\v\f";
  std::size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// 0 when equal; nonzero otherwise. Reads all of `token` whatever `presented` holds.
unsigned Difference(std::string_view token, std::string_view presented) {
  unsigned diff = token.size() != presented.size() ? 1u : 0u;
  const std::size_t n = presented.size();
  for (std::size_t i = 0; i < token.size(); ++i) {
    // Past the end of `presented` the comparison goes on against a byte that cannot match a
    // token character (tokens are printable), so the loop length never depends on the input.
    const unsigned char p = i < n ? static_cast<unsigned char>(presented[i]) : 0u;
    diff |= static_cast<unsigned char>(token[i]) ^ p;
  }
  return diff;
}

}  // namespace

ipc::Result<AuthTokens> AuthTokens::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return Refuse(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Refuse(path, "not a regular file");
  if ((st.st_mode & 0007) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Refuse(path, std::string("mode ") + mode +
                            " lets other users read or write it; allow the owner and the group "
                            "only (chmod 0640, 0440 or 0400)");
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Refuse(path, std::strerror(errno));
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) return Refuse(path, "read error");
  return Parse(text.str(), path);
}

ipc::Result<AuthTokens> AuthTokens::Parse(std::string_view text, const std::string& path) {
  AuthTokens tokens;
  std::size_t line_number = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    if (line.size() < kMinTokenChars) {
      return Refuse(path, where + "a token must be at least " + std::to_string(kMinTokenChars) +
                              " characters (this one has " + std::to_string(line.size()) + ")");
    }
    if (line.size() > kMaxTokenChars) {
      return Refuse(path, where + "a token must be at most " + std::to_string(kMaxTokenChars) +
                              " characters");
    }
    for (char c : line) {
      if (c < 0x21 || c > 0x7e) {
        return Refuse(path, where + "a token must be printable ASCII without spaces");
      }
    }
    tokens.tokens_.emplace_back(line);
  }
  if (tokens.tokens_.empty()) {
    return Refuse(path, "no token in it (one per line; blank lines and # comments are ignored)");
  }
  return tokens;
}

bool AuthTokens::Accepts(std::string_view presented) const {
  unsigned matched = 0;
  for (const std::string& token : tokens_) {
    matched |= Difference(token, presented) == 0 ? 1u : 0u;
  }
  return matched != 0;
}

}  // namespace ssrd::pool
