// The supervisor must never link V8 (docs/architecture.md: fork-safety is a property of the
// build). Reads the DT_NEEDED entries of the built binaries straight from their ELF dynamic
// section; RUNPATH is reported but deliberately not judged (the build RPATH may name libnode's
// directory for every target: only what a binary actually needs matters).
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

struct DynamicInfo {
  std::vector<std::string> needed;
  std::string runpath;
};

template <class T>
bool ReadAt(const std::vector<char>& file, std::size_t offset, T* out) {
  if (offset > file.size() || file.size() - offset < sizeof(T)) return false;
  std::memcpy(out, file.data() + offset, sizeof(T));
  return true;
}

// Maps a virtual address to a file offset through the PT_LOAD segments.
std::optional<std::size_t> VaddrToOffset(const std::vector<Elf64_Phdr>& phdrs, Elf64_Addr addr) {
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr < ph.p_vaddr + ph.p_filesz) {
      return addr - ph.p_vaddr + ph.p_offset;
    }
  }
  return std::nullopt;
}

// 64-bit little-endian ELF only (the build's platform); anything else fails the test loudly.
std::optional<DynamicInfo> ReadDynamic(const std::string& path, std::string* why) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *why = "cannot open " + path;
    return std::nullopt;
  }
  std::vector<char> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Elf64_Ehdr eh;
  if (!ReadAt(file, 0, &eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64) {
    *why = path + " is not a 64-bit ELF file";
    return std::nullopt;
  }
  std::vector<Elf64_Phdr> phdrs(eh.e_phnum);
  for (std::size_t i = 0; i < eh.e_phnum; ++i) {
    if (!ReadAt(file, eh.e_phoff + i * eh.e_phentsize, &phdrs[i])) {
      *why = "truncated program headers";
      return std::nullopt;
    }
  }
  const Elf64_Phdr* dynamic = nullptr;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_DYNAMIC) dynamic = &ph;
  }
  if (dynamic == nullptr) {
    *why = path + " has no PT_DYNAMIC segment (statically linked?)";
    return std::nullopt;
  }
  std::vector<Elf64_Dyn> entries;
  Elf64_Addr strtab = 0;
  for (std::size_t off = dynamic->p_offset;
       off + sizeof(Elf64_Dyn) <= dynamic->p_offset + dynamic->p_filesz; off += sizeof(Elf64_Dyn)) {
    Elf64_Dyn d;
    if (!ReadAt(file, off, &d) || d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
    entries.push_back(d);
  }
  auto strtab_offset = VaddrToOffset(phdrs, strtab);
  if (!strtab_offset) {
    *why = "DT_STRTAB not found in a loaded segment";
    return std::nullopt;
  }
  auto str = [&](Elf64_Xword index) {
    std::size_t at = *strtab_offset + index;
    if (at >= file.size()) return std::string();
    return std::string(file.data() + at, strnlen(file.data() + at, file.size() - at));
  };
  DynamicInfo info;
  for (const auto& d : entries) {
    if (d.d_tag == DT_NEEDED) info.needed.push_back(str(d.d_un.d_val));
    if (d.d_tag == DT_RUNPATH || d.d_tag == DT_RPATH) info.runpath = str(d.d_un.d_val);
  }
  return info;
}

bool NeedsV8(const DynamicInfo& info, std::string* which) {
  for (const auto& lib : info.needed) {
    if (lib.find("libnode") != std::string::npos || lib.find("libv8") != std::string::npos) {
      *which = lib;
      return true;
    }
  }
  return false;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

TEST(SupervisorLinksNoV8, SsrdNeedsNeitherLibnodeNorLibv8) {
  std::string why;
  auto info = ReadDynamic(SSRD_BINARY, &why);
  ASSERT_TRUE(info.has_value()) << why;
  ASSERT_FALSE(info->needed.empty()) << "the reader found no DT_NEEDED at all";
  // Reader sanity check that needs no V8 target: ssrd does need libuv.
  bool has_libuv = false;
  for (const auto& lib : info->needed) has_libuv = has_libuv || lib.rfind("libuv.so", 0) == 0;
  EXPECT_TRUE(has_libuv) << "expected libuv among " << Join(info->needed);
  std::string which;
  EXPECT_FALSE(NeedsV8(*info, &which))
      << SSRD_BINARY << " needs " << which << " (all: " << Join(info->needed) << ")";
  RecordProperty("runpath", info->runpath);  // informative only: RUNPATH does not load anything
}

TEST(SupervisorLinksNoV8, TheReaderDoesFindLibnodeInTheWorker) {
#ifndef SSRD_WORKER_BINARY
  GTEST_SKIP() << "this build has no ssrd-worker target";
#else
  std::string why;
  auto info = ReadDynamic(SSRD_WORKER_BINARY, &why);
  ASSERT_TRUE(info.has_value()) << why;
  std::string which;
  EXPECT_TRUE(NeedsV8(*info, &which))
      << "positive control: ssrd-worker should need libnode, found " << Join(info->needed);
#endif
}

}  // namespace
