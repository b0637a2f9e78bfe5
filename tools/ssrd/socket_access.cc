#include "tools/ssrd/socket_access.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

namespace ssrd::tools {
namespace {

ipc::Error Bad(std::string message) {
  return ipc::MakeError(ipc::ErrorCode::kBadRequest, std::move(message));
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// uid_t and gid_t are both 32-bit; (uid_t)-1 means "no change" to chown and is never an id.
bool ParseId(std::string_view s, std::uint32_t* out) {
  if (!AllDigits(s) || s.size() > 10) return false;
  std::uint64_t value = std::stoull(std::string(s));
  if (value >= std::numeric_limits<std::uint32_t>::max()) return false;
  *out = static_cast<std::uint32_t>(value);
  return true;
}

// getpwnam_r/getgrnam_r want a buffer; ERANGE means a bigger one.
template <class Entry, class Lookup>
bool LookUp(const std::string& name, Lookup lookup, Entry* entry, int* error) {
  std::vector<char> buffer(1024);
  for (int attempt = 0; attempt < 8; ++attempt) {
    Entry* found = nullptr;
    *error = lookup(name.c_str(), entry, buffer.data(), buffer.size(), &found);
    if (*error == ERANGE) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    return *error == 0 && found != nullptr;
  }
  return false;
}

}  // namespace

ipc::Result<mode_t> ParseSocketMode(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    digits.remove_prefix(2);
  }
  if (digits.empty() || digits.size() > 4 ||
      digits.find_first_not_of("01234567") != std::string_view::npos) {
    return Bad("expected an octal mode such as 0660, got \"" + std::string(text) + "\"");
  }
  unsigned long mode = std::stoul(std::string(digits), nullptr, 8);
  if (mode > 0777) {
    return Bad("a socket mode has permission bits only (at most 0777), got \"" +
               std::string(text) + "\"");
  }
  return static_cast<mode_t>(mode);
}

ipc::Result<uid_t> ResolveUser(const std::string& name_or_id) {
  std::uint32_t id = 0;
  if (ParseId(name_or_id, &id)) return static_cast<uid_t>(id);
  passwd entry{};
  int error = 0;
  if (!LookUp(name_or_id, getpwnam_r, &entry, &error)) {
    return Bad("no such user \"" + name_or_id + "\"" +
               (error != 0 ? std::string(" (") + std::strerror(error) + ")" : ""));
  }
  return entry.pw_uid;
}

ipc::Result<gid_t> ResolveGroup(const std::string& name_or_id) {
  std::uint32_t id = 0;
  if (ParseId(name_or_id, &id)) return static_cast<gid_t>(id);
  group entry{};
  int error = 0;
  if (!LookUp(name_or_id, getgrnam_r, &entry, &error)) {
    return Bad("no such group \"" + name_or_id + "\"" +
               (error != 0 ? std::string(" (") + std::strerror(error) + ")" : ""));
  }
  return entry.gr_gid;
}

ipc::Result<void> ApplySocketAccessSettings(const SocketAccessSettings& settings,
                                            pool::SocketServerOptions* out) {
  out->socket_mode.reset();
  if (!settings.socket_mode.empty()) {
    auto mode = ParseSocketMode(settings.socket_mode);
    if (!mode.ok()) return Bad("--socket-mode: " + mode.error().message);
    out->socket_mode = mode.value();
  }
  out->socket_group.reset();
  if (!settings.socket_group.empty()) {
    auto gid = ResolveGroup(settings.socket_group);
    if (!gid.ok()) return Bad("--socket-group: " + gid.error().message);
    out->socket_group = gid.value();
  }
  out->allow_uids.clear();
  for (const std::string& name : settings.allow_uids) {
    if (name.empty()) continue;
    auto uid = ResolveUser(name);
    if (!uid.ok()) return Bad("--allow-uid: " + uid.error().message);
    out->allow_uids.push_back(uid.value());
  }
  out->allow_gids.clear();
  for (const std::string& name : settings.allow_gids) {
    if (name.empty()) continue;
    auto gid = ResolveGroup(name);
    if (!gid.ok()) return Bad("--allow-gid: " + gid.error().message);
    out->allow_gids.push_back(gid.value());
  }
  return {};
}

}  // namespace ssrd::tools
