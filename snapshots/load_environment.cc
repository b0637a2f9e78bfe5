#include "snapshots/load_environment.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <unicode/icudataver.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>
#include <unicode/uversion.h>

extern char** environ;

namespace ssrd::snapshots {
namespace {

// The variables, besides LC_*, that V8 or ICU read when a bundle computes with dates or locales.
constexpr const char* kVariables[] = {"TZ",       "LANG",
                                      "LANGUAGE", "ICU_DATA",
                                      "ICU_TIMEZONE_FILES_DIR", "SSRD_V8_FLAGS"};

std::string VersionText(const UVersionInfo version) {
  char text[U_MAX_VERSION_STRING_LENGTH];
  u_versionToString(version, text);
  return text;
}

std::string IcuVersion() {
  UVersionInfo version;
  u_getVersion(version);
  return VersionText(version);
}

std::string IcuDataVersion() {
  UVersionInfo version;
  UErrorCode status = U_ZERO_ERROR;
  u_getDataVersion(version, &status);
  return U_SUCCESS(status) ? VersionText(version) : std::string("unknown");
}

std::string IcuTimeZoneDataVersion() {
  UErrorCode status = U_ZERO_ERROR;
  const char* version = ucal_getTZDataVersion(&status);
  return U_SUCCESS(status) && version != nullptr ? version : "unknown";
}

// The zone ICU finds for this host right now: from TZ, or from /etc/localtime when TZ is unset.
std::string HostZone() {
  UChar zone[128];
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length = ucal_getHostTimeZone(zone, 128, &status);
  if (U_FAILURE(status) || length <= 0 || length >= 128) return "unknown";
  char text[4 * 128];
  int32_t written = 0;
  u_strToUTF8(text, sizeof text, &written, zone, length, &status);
  return U_SUCCESS(status) ? std::string(text, static_cast<std::size_t>(written)) : "unknown";
}

}  // namespace

std::string LoadEnvironment() {
  std::string out;
  for (const char* name : kVariables) {
    if (const char* value = std::getenv(name); value != nullptr) {
      out += std::string(name) + "=" + value + "\n";
    }
  }
  std::vector<std::string> locale_categories;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "LC_", 3) == 0) locale_categories.emplace_back(*entry);
  }
  std::sort(locale_categories.begin(), locale_categories.end());
  for (const std::string& entry : locale_categories) out += entry + "\n";
  out += "icu=" + IcuVersion() + "\n";
  out += "icu_data=" + IcuDataVersion() + "\n";
  out += "icu_tz=" + IcuTimeZoneDataVersion() + "\n";
  out += "host_zone=" + HostZone() + "\n";
  out += "builder_flags=" + std::string(kBuilderV8Flags) + "\n";
  return out;
}

}  // namespace ssrd::snapshots
