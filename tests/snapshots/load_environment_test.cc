// The inputs of load-time evaluation that the snapshot cache key covers: each is named in
// LoadEnvironment() and a change of any gives another snapshot path (issue 12.6).
#include "snapshots/load_environment.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unicode/uvernum.h>

#include <map>
#include <optional>
#include <regex>
#include <string>

#include "snapshots/snapshot_file.h"

namespace ssrd::snapshots {
namespace {

class LoadEnvironmentTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void Set(const std::string& name, const char* value) {
    if (!saved_.count(name)) {
      const char* old = std::getenv(name.c_str());
      saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    }
    if (value) {
      ::setenv(name.c_str(), value, 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  std::string Path() { return SnapshotPath("/cache", "export function render() {}", "production", "guarded", "10.2"); }

  std::map<std::string, std::optional<std::string>> saved_;
};

bool HasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST_F(LoadEnvironmentTest, NamesTheVariablesIcuAndTheBuildersFlags) {
  Set("TZ", "Asia/Tokyo");
  Set("LANG", "de_DE.UTF-8");
  Set("LC_TIME", "fr_FR.UTF-8");
  Set("LC_ALL", "");
  Set("SSRD_V8_FLAGS", "--no-opt");
  Set("ICU_TIMEZONE_FILES_DIR", nullptr);
  const std::string text = LoadEnvironment();
  for (const char* line : {"TZ=Asia/Tokyo", "LANG=de_DE.UTF-8", "LC_TIME=fr_FR.UTF-8", "LC_ALL=",
                           "SSRD_V8_FLAGS=--no-opt", "host_zone=Asia/Tokyo",
                           "builder_flags=--no-lazy"}) {
    EXPECT_TRUE(HasLine(text, line)) << line << " is not in:\n" << text;
  }
  EXPECT_EQ(text.find("ICU_TIMEZONE_FILES_DIR"), std::string::npos) << "unset: not named";
  // The ICU that runs is the one the tree was built against (libnode's).
  EXPECT_TRUE(HasLine(text, std::string("icu=") + U_ICU_VERSION)) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\nicu_data=[0-9.]+\n"))) << text;
  EXPECT_TRUE(std::regex_search(text, std::regex("\nicu_tz=20[0-9][0-9][a-z]\n"))) << text;
  EXPECT_EQ(LoadEnvironment(), text) << "the same environment, the same text";
}

TEST_F(LoadEnvironmentTest, EachInputGivesAnotherSnapshotPath) {
  Set("TZ", "UTC");
  Set("LANG", "C.UTF-8");
  Set("LC_MESSAGES", nullptr);
  Set("SSRD_V8_FLAGS", nullptr);
  const std::string base = Path();
  EXPECT_EQ(Path(), base);
  Set("TZ", "Asia/Tokyo");
  EXPECT_NE(Path(), base) << "TZ";
  Set("TZ", "UTC");
  EXPECT_EQ(Path(), base);
  Set("LANG", "ja_JP.UTF-8");
  EXPECT_NE(Path(), base) << "LANG";
  Set("LANG", "C.UTF-8");
  Set("LC_MESSAGES", "de_DE.UTF-8");
  EXPECT_NE(Path(), base) << "LC_MESSAGES";
  Set("LC_MESSAGES", nullptr);
  Set("SSRD_V8_FLAGS", "--harmony");
  EXPECT_NE(Path(), base) << "SSRD_V8_FLAGS";
  Set("SSRD_V8_FLAGS", nullptr);
  EXPECT_EQ(Path(), base);
  EXPECT_NE(SnapshotPathIn("/cache", "b", "production", "guarded", "10.2", "TZ=UTC\n"),
            SnapshotPathIn("/cache", "b", "production", "guarded", "10.2", "TZ=Asia/Tokyo\n"));
}

}  // namespace
}  // namespace ssrd::snapshots
