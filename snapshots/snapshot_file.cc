#include "snapshots/snapshot_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/digest.h"
#include "snapshots/load_environment.h"
#include "snapshots/snapshot_key.h"

namespace ssrd::snapshots {
namespace {

constexpr std::string_view kMagic = "SSRDSNP3";  // 8 bytes; bump on a change of layout or digest
constexpr std::size_t kChecksumSize = 16;

// V8 checks only a snapshot's version string before it trusts the rest, and aborts on a bad blob.
std::string Checksum(std::string_view sources, std::string_view blob) {
  return SnapshotKey(sources, blob, "");
}

std::string Hex16(std::uint64_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 0xf];
  return out;
}

void AppendLength(std::string* out, std::uint64_t length) {
  for (int i = 0; i < 8; ++i) *out += static_cast<char>(length >> (8 * i));
}

std::uint64_t LengthAt(const std::string& bytes, std::size_t pos) {
  std::uint64_t length = 0;
  for (int i = 0; i < 8; ++i) {
    length |= std::uint64_t{static_cast<unsigned char>(bytes[pos + i])} << (8 * i);
  }
  return length;
}

// "" when every source file still has its recorded digest, else why not.
std::string StaleSource(std::string_view sources) {
  while (!sources.empty()) {
    std::size_t end = sources.find('\n');
    std::string_view line = sources.substr(0, end);
    sources.remove_prefix(end == std::string_view::npos ? sources.size() : end + 1);
    if (line.size() < 18 || line[16] != ' ') return "malformed list of sources";
    std::string file(line.substr(17));
    ipc::Result<std::string> now = ReadWholeFile(file);
    if (!now.ok()) return "stale: " + file + " cannot be read";
    if (Hex16(ipc::Digest(now.value())) != line.substr(0, 16)) {
      return "stale: " + file + " changed since it was built";
    }
  }
  return {};
}

ipc::Error Unavailable(const std::string& path, const std::string& why) {
  return ipc::MakeError(ipc::ErrorCode::kUnavailable, "snapshot " + path + ": " + why);
}

}  // namespace

const std::string_view kBuildV8Version = SSRD_BUILD_V8_VERSION;

bool SnapshotHoldsGuard(std::string_view isolation) { return isolation == "guarded"; }

std::string SnapshotPath(const std::string& dir, std::string_view bundle_bytes,
                         std::string_view node_env, std::string_view isolation,
                         std::string_view v8_version) {
  return SnapshotPathIn(dir, bundle_bytes, node_env, isolation, v8_version, LoadEnvironment());
}

std::string SnapshotPathIn(const std::string& dir, std::string_view bundle_bytes,
                           std::string_view node_env, std::string_view isolation,
                           std::string_view v8_version, std::string_view load_environment) {
  std::string flags = "node_env=" + std::string(node_env) +
                      (SnapshotHoldsGuard(isolation) ? ";guard" : "") + ";runtime=" +
                      std::string(kRuntimeFingerprint) + "\n" + std::string(load_environment);
  return dir + "/" + SnapshotKey(bundle_bytes, v8_version, flags) + ".snap";
}

ipc::Result<std::string> ReadWholeFile(const std::string& path) {
  // In reads of the whole size fstat gives: the snapshot is megabytes, read on the way to the
  // first page, and a stream reads it 8 KiB at a time. One byte more than the size sees the end
  // (or a file that grew) in the same loop.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable(path, std::strerror(errno));
  struct stat info {};
  const std::size_t expected =
      ::fstat(fd, &info) == 0 && info.st_size > 0 ? static_cast<std::size_t>(info.st_size) : 0;
  std::string bytes(std::max<std::size_t>(expected + 1, 4096), '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == bytes.size()) bytes.resize(bytes.size() * 2);
    ssize_t n = ::read(fd, bytes.data() + used, bytes.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return Unavailable(path, std::strerror(error));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  bytes.resize(used);
  return bytes;
}

ipc::Result<std::string> ReadSnapshotFile(const std::string& path, SourceCheck check) {
  ipc::Result<std::string> file = ReadWholeFile(path);
  if (!file.ok()) return file.error();
  std::string& bytes = file.value();
  if (bytes.size() < kMagic.size() + 8 || bytes.compare(0, kMagic.size(), kMagic) != 0) {
    return Unavailable(path, "not a snapshot file");
  }
  const std::uint64_t blob_length = LengthAt(bytes, kMagic.size());
  const std::size_t checksum_at = kMagic.size() + 8;
  const std::size_t sources_length_at = checksum_at + kChecksumSize;
  const std::size_t header = sources_length_at + 8;
  if (bytes.size() < header) return Unavailable(path, "truncated");
  const std::uint64_t sources_length = LengthAt(bytes, sources_length_at);
  if (bytes.size() - header < sources_length ||
      bytes.size() - header - sources_length != blob_length) {
    return Unavailable(path, "truncated");
  }
  std::string_view all(bytes);
  std::string_view sources = all.substr(header, sources_length);
  std::string_view blob = all.substr(header + sources_length);
  if (bytes.compare(checksum_at, kChecksumSize, Checksum(sources, blob)) != 0) {
    return Unavailable(path, "checksum mismatch");
  }
  if (check == SourceCheck::kCheckSources) {
    if (std::string stale = StaleSource(sources); !stale.empty()) return Unavailable(path, stale);
  }
  return std::string(blob);
}

ipc::Result<void> WriteSnapshotFile(const std::string& path, std::string_view blob,
                                    const SourceDigests& sources) {
  std::string listed;
  for (const auto& [file, digest] : sources) listed += Hex16(digest) + " " + file + "\n";
  std::string header(kMagic);
  AppendLength(&header, blob.size());
  header += Checksum(listed, blob);
  AppendLength(&header, listed.size());
  header += listed;
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
