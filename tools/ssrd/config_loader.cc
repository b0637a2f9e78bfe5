#include "tools/ssrd/config_loader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace ssrd::tools {
namespace {

struct FileKey {
  std::string key;  // with its section, "a.b"
  int line = 0;     // 0 when it could not be found again
};

ipc::Error Bad(std::string message) {
  return ipc::MakeError(ipc::ErrorCode::kBadRequest, std::move(message));
}

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// CLI11's ConfigItem carries no line number: find the line that sets `key` in `section` again.
int LineOf(const std::string& text, const std::string& section, const std::string& key) {
  std::istringstream in(text);
  std::string line, current;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = Trim(line);
    if (t.size() > 1 && t.front() == '[') {
      current = Trim(t.substr(1, t.find(']') - 1));
      continue;
    }
    if (current != section) continue;
    std::string name = t.substr(0, t.find('='));
    name = Trim(name);
    if (name.size() > 1 && (name.front() == '"' || name.front() == '\'')) {
      name = name.substr(1, name.size() - 2);
    }
    if (name == key && t.find('=') != std::string::npos) return n;
  }
  return 0;
}

// Feeds one value to a fresh copy of the option, exactly as CLI11 would, and says what is wrong
// with it; nullopt when it is fine. Flags go through CLI11's own flag conversion.
std::optional<std::string> CheckValue(const std::string& long_name,
                                      const std::vector<std::string>& inputs, bool* unknown) {
  CLI::App scratch;
  DaemonSettings settings = DefaultDaemonSettings();
  AddDaemonOptions(scratch, settings, /*with_env=*/false);
  CLI::Option* opt = long_name == "help" ? nullptr : scratch.get_option_no_throw("--" + long_name);
  *unknown = opt == nullptr;
  if (opt == nullptr) return "unknown key";
  // CLI11 runs the range check before converting, which would call "abc" out of range.
  const std::string type = opt->get_type_name();
  if ((type.rfind("UINT", 0) == 0 || type.rfind("INT", 0) == 0) && !inputs.empty()) {
    const std::string& v = inputs.front();
    std::size_t digits = v.find_first_not_of("0123456789", v.size() > 1 && v[0] == '-' ? 1 : 0);
    if (v.empty() || digits != std::string::npos || (type[0] == 'U' && v[0] == '-')) {
      return "expected " + std::string(type[0] == 'U' ? "a non-negative integer" : "an integer") +
             ", got \"" + v + "\"";
    }
  }
  try {
    if (opt->get_expected_min() == 0) {
      CLI::ConfigItem item;
      item.name = long_name;
      item.inputs = inputs;
      opt->add_result(opt->get_flag_value(long_name, CLI::ConfigTOML().to_flag(item)));
    } else {
      opt->add_result(inputs);
    }
    opt->run_callback();
  } catch (const CLI::ConversionError&) {
    std::string value = inputs.empty() ? "" : inputs.front();
    std::string type = opt->get_expected_min() == 0 ? "true or false" : opt->get_type_name();
    return "expected " + type + ", got \"" + value + "\"";
  } catch (const CLI::ParseError& e) {
    std::string why = e.what();
    const std::string prefix = "--" + long_name + ": ";
    if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
    return why;
  }
  return std::nullopt;
}

// The --config argument, found before CLI11 parses so the file can be checked first.
std::string ConfigPathFromArgs(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return argv[i + 1];
    if (arg.rfind("--config=", 0) == 0) return arg.substr(9);
  }
  return "";
}

ipc::Result<std::map<std::string, FileKey>> CheckConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Bad("cannot read the config file " + path + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<CLI::ConfigItem> items;
  try {
    std::istringstream parse(text);
    items = CLI::ConfigTOML().from_config(parse);
  } catch (const CLI::ParseError& e) {
    return Bad(path + ": " + e.what());
  }
  std::map<std::string, FileKey> keys;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // section markers
    std::string section = CLI::detail::join(item.parents, ".");
    FileKey key{item.fullname(), LineOf(text, section, item.name)};
    std::string where = path + (key.line > 0 ? ":" + std::to_string(key.line) : "");
    bool unknown = false;
    std::optional<std::string> problem =
        item.parents.empty() ? CheckValue(item.name, item.inputs, &unknown) : "unknown key";
    if (problem) {
      std::string hint;
      std::string dashed = item.name;
      for (char& c : dashed) c = c == '_' ? '-' : c;
      bool dashed_unknown = false;
      if (item.parents.empty() && dashed != item.name) {
        CheckValue(dashed, {}, &dashed_unknown);
        if (!dashed_unknown) hint = " (did you mean " + dashed + "?)";
      }
      return Bad(where + ": key '" + key.key + "': " + *problem + hint);
    }
    keys[item.name] = key;
  }
  return keys;
}

ipc::Result<void> CheckEnvironment(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    const std::string env = opt->get_envname();
    if (env.empty()) continue;
    const char* value = std::getenv(env.c_str());
    if (value == nullptr || *value == '\0') continue;
    bool unknown = false;
    if (auto problem = CheckValue(opt->get_lnames().front(), {value}, &unknown)) {
      return Bad("environment " + env + "=" + value + ": " + *problem);
    }
  }
  return {};
}

bool OnCommandLine(int argc, char** argv, const std::string& long_name) {
  const std::string flag = "--" + long_name;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg == flag || arg.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

std::string TomlString(const std::string& value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string TomlValue(const CLI::Option& opt) {
  bool flag = opt.get_expected_min() == 0;
  // A list (--allow-uid): every value, as a TOML array; an empty one reads back as no entry.
  if (!flag && opt.get_items_expected_max() > 1 && opt.count() > 0) {
    std::string list = "[";
    for (const std::string& item : opt.results()) {
      list += (list.size() > 1 ? ", " : "") + TomlString(item);
    }
    return list + "]";
  }
  std::string value;
  if (opt.count() > 0) {
    value = flag ? opt.as<bool>() ? "true" : "false" : opt.results().back();
  } else {
    value = flag ? "false" : opt.get_default_str();
  }
  if (flag || (!value.empty() && opt.get_type_name().rfind("TEXT", 0) != 0)) return value;
  return TomlString(value);
}

// TOML a person can read and reuse as a config file: each key, its value, where it came from.
std::string PrintConfig(const CLI::App& app, int argc, char** argv, const std::string& path,
                        const std::map<std::string, FileKey>& file_keys) {
  std::string out = "# ssrd's effective configuration: key = value  # where it came from\n";
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_lnames().empty() || !opt->get_configurable()) continue;
    const std::string name = opt->get_lnames().front();
    if (name == "help") continue;
    std::string source = "default";
    if (opt->count() > 0) {
      if (OnCommandLine(argc, argv, name)) {
        source = "command line";
      } else if (auto it = file_keys.find(name); it != file_keys.end()) {
        source = path + (it->second.line > 0 ? ":" + std::to_string(it->second.line) : "");
      } else {
        source = "environment " + opt->get_envname();
      }
    }
    out += name + " = " + TomlValue(*opt) + "  # " + source + "\n";
  }
  return out;
}

}  // namespace

ipc::Result<LoadedConfig> LoadConfig(int argc, char** argv) {
  LoadedConfig loaded;
  loaded.settings = DefaultDaemonSettings();
  CLI::App app{"ssrd: server-side rendering daemon (renders JS components with V8 workers)"};
  AddDaemonOptions(app, loaded.settings, /*with_env=*/true);
  app.set_config("--config", "", "TOML file of options (keys are the long option names)")
      ->configurable(false);
  bool print_config = false;
  app.add_flag("--print-config", print_config,
               "print the effective configuration and where each value came from, then exit")
      ->configurable(false);

  std::map<std::string, FileKey> file_keys;
  const std::string path = ConfigPathFromArgs(argc, argv);
  if (!path.empty()) {
    auto checked = CheckConfigFile(path);
    if (!checked.ok()) return checked.error();
    file_keys = std::move(checked).value();
  }
  if (auto env = CheckEnvironment(app); !env.ok()) return env.error();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    loaded.exit_now = true;
    loaded.output = app.help();
    return loaded;
  } catch (const CLI::CallForAllHelp&) {
    loaded.exit_now = true;
    loaded.output = app.help("", CLI::AppFormatMode::All);
    return loaded;
  } catch (const CLI::ParseError& e) {
    return Bad(std::string(e.what()) + " (see ssrd --help)");
  }
  if (print_config) {
    loaded.exit_now = true;
    loaded.output = PrintConfig(app, argc, argv, path, file_keys);
  }
  return loaded;
}

}  // namespace ssrd::tools
