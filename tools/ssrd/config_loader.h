// ssrd's configuration: the command line, then a TOML file (--config), then SSRD_* variables,
// in that order of precedence (CLI11 reads all three; daemon_options.h lists the options).
//
// The file and the environment are checked key by key before CLI11 merges them, so that a
// mistake is reported where it was made: "FILE:LINE: key 'KEY': why" or "SSRD_KEY=VALUE: why".
// CLI11 throws; nothing escapes this module.
#pragma once

#include <string>

#include "ipc/error.h"
#include "tools/ssrd/daemon_options.h"

namespace ssrd::tools {

struct LoadedConfig {
  DaemonSettings settings;
  // --help or --print-config: print `output` to stdout and exit 0 without starting anything.
  bool exit_now = false;
  std::string output;
};

// Errors are kBadRequest with a one-line message (exit code 1).
ipc::Result<LoadedConfig> LoadConfig(int argc, char** argv);

}  // namespace ssrd::tools
