#include "snapshots/snapshot_file.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "snapshots/snapshot_key.h"

namespace ssrd::snapshots {
namespace {

constexpr std::string_view kMagic = "SSRDSNP1";  // 8 bytes; bump on a change of layout
constexpr std::size_t kChecksumSize = 16;

// V8 checks only a snapshot's version string before it trusts the rest, and aborts on a bad blob.
std::string Checksum(std::string_view blob) { return SnapshotKey(blob, "", ""); }

ipc::Error Unavailable(const std::string& path, const std::string& why) {
  return ipc::MakeError(ipc::ErrorCode::kUnavailable, "snapshot " + path + ": " + why);
}

}  // namespace

const std::string_view kBuildV8Version = SSRD_BUILD_V8_VERSION;

std::string SnapshotPath(const std::string& dir, std::string_view bundle_bytes,
                         std::string_view node_env, std::string_view v8_version) {
  std::string flags = "node_env=" + std::string(node_env);
  return dir + "/" + SnapshotKey(bundle_bytes, v8_version, flags) + ".snap";
}

ipc::Result<std::string> ReadWholeFile(const std::string& path) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable(path, std::strerror(errno != 0 ? errno : ENOENT));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Unavailable(path, std::strerror(errno != 0 ? errno : EIO));
  return std::move(buffer).str();
}

ipc::Result<std::string> ReadSnapshotFile(const std::string& path) {
  ipc::Result<std::string> file = ReadWholeFile(path);
  if (!file.ok()) return file.error();
  std::string& bytes = file.value();
  if (bytes.size() < kMagic.size() + 8 || bytes.compare(0, kMagic.size(), kMagic) != 0) {
    return Unavailable(path, "not a snapshot file");
  }
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length |= std::uint64_t{static_cast<unsigned char>(bytes[kMagic.size() + i])} << (8 * i);
  }
  std::size_t header = kMagic.size() + 8 + kChecksumSize;
  if (bytes.size() < header || bytes.size() - header != length) {
    return Unavailable(path, "truncated");
  }
  std::string blob = bytes.substr(header);
  if (bytes.compare(kMagic.size() + 8, kChecksumSize, Checksum(blob)) != 0) {
    return Unavailable(path, "checksum mismatch");
  }
  return blob;
}

ipc::Result<void> WriteSnapshotFile(const std::string& path, std::string_view blob) {
  std::string header(kMagic);
  for (int i = 0; i < 8; ++i) header += static_cast<char>(std::uint64_t{blob.size()} >> (8 * i));
  header += Checksum(blob);
  std::string temporary = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << header << blob;
    out.flush();
    if (!out) {
      int error = errno;
      std::remove(temporary.c_str());
      return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                            "cannot write " + temporary + ": " + std::strerror(error));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    std::remove(temporary.c_str());
    return ipc::MakeError(ipc::ErrorCode::kUnavailable,
                          "cannot rename " + temporary + " to " + path + ": " + std::strerror(error));
  }
  return {};
}

}  // namespace ssrd::snapshots
