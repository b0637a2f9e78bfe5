// SourceMap: parsing v3 maps (paths resolved against the map's folder and sourceRoot) and finding
// the original position of a generated one, with a table of maps that must be refused.
#include "isolates/source_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/isolates/source_map_test_util.h"

namespace ssrd::isolates {
namespace {

using testing::EncodeMappings;
using testing::Seg;

std::string MapJson(const std::string& sources, const std::string& mappings,
                    const std::string& extra = "") {
  return R"({"version":3,"sources":)" + sources + R"(,"mappings":")" + mappings + "\"" + extra +
         "}";
}

SourceMap MustParse(const std::string& json, const std::string& dir = "/app/dist") {
  ipc::Result<SourceMap> map = SourceMap::Parse(json, dir);
  EXPECT_TRUE(map.ok()) << (map.ok() ? "" : map.error().message) << "\n" << json;
  return map.ok() ? std::move(map.value()) : SourceMap::Parse(MapJson("[]", ""), dir).value();
}

std::string Show(const std::optional<OriginalPosition>& p) {
  if (!p) return "none";
  return p->source + ":" + std::to_string(p->line) + ":" + std::to_string(p->column);
}

TEST(SourceMapTest, FindsTheLastSegmentAtOrBeforeTheColumn) {
  // Line 1: columns 0 and 10 from a.js; line 2: column 4 from b.js, column 20 maps to nothing.
  const std::string mappings =
      EncodeMappings({{{0, 0, 2, 4}, {10, 0, 5, 0}}, {{4, 1, 0, 0}, {20}}});
  SourceMap map = MustParse(MapJson(R"(["../src/a.js","../src/b.js"])", mappings));
  // V8's positions are 1-based; the map's 0-based.
  EXPECT_EQ(Show(map.Lookup(1, 1)), "/app/src/a.js:3:5");
  EXPECT_EQ(Show(map.Lookup(1, 10)), "/app/src/a.js:3:5");
  EXPECT_EQ(Show(map.Lookup(1, 11)), "/app/src/a.js:6:1");
  EXPECT_EQ(Show(map.Lookup(1, 500)), "/app/src/a.js:6:1");
  EXPECT_EQ(Show(map.Lookup(2, 4)), "none") << "before the line's first segment";
  EXPECT_EQ(Show(map.Lookup(2, 5)), "/app/src/b.js:1:1");
  EXPECT_EQ(Show(map.Lookup(2, 21)), "none") << "a segment that names no source";
  EXPECT_EQ(Show(map.Lookup(3, 1)), "none") << "past the last line";
  EXPECT_EQ(Show(map.Lookup(0, 1)), "none");
  EXPECT_EQ(Show(map.Lookup(1, 0)), "none");
  EXPECT_EQ(map.segment_count(), 4u);
}

TEST(SourceMapTest, EmptyLinesAndSegmentsOutOfOrderAreFine) {
  // Two empty generated lines, then segments given right to left.
  const std::string mappings = ";;" + EncodeMappings({{{8, 0, 1, 2}}}) + "," +
                               testing::EncodeVlq(-8) + "AEA";
  SourceMap map = MustParse(MapJson(R"(["x.js"])", mappings));
  EXPECT_EQ(Show(map.Lookup(1, 1)), "none");
  EXPECT_EQ(Show(map.Lookup(3, 1)), "/app/dist/x.js:4:3");
  EXPECT_EQ(Show(map.Lookup(3, 9)), "/app/dist/x.js:2:3");
}

TEST(SourceMapTest, ResolvesSourcesAgainstSourceRootAndTheMapsFolder) {
  const std::string one = EncodeMappings({{{0, 0, 0, 0}}});
  EXPECT_EQ(Show(MustParse(MapJson(R"(["x.js"])", one, R"(,"sourceRoot":"../src/")"))
                     .Lookup(1, 1)),
            "/app/src/x.js:1:1");
  EXPECT_EQ(Show(MustParse(MapJson(R"(["x.js"])", one, R"(,"sourceRoot":"/srv/code")"))
                     .Lookup(1, 1)),
            "/srv/code/x.js:1:1");
  EXPECT_EQ(Show(MustParse(MapJson(R"(["/abs/y.js"])", one, R"(,"sourceRoot":"lib")"))
                     .Lookup(1, 1)),
            "/abs/y.js:1:1");
  EXPECT_EQ(Show(MustParse(MapJson(R"(["webpack://app/./src/z.js"])", one)).Lookup(1, 1)),
            "webpack://app/./src/z.js:1:1");
  EXPECT_EQ(Show(MustParse(MapJson(R"(["file:///home/me/w.ts"])", one)).Lookup(1, 1)),
            "/home/me/w.ts:1:1");
  // A generated helper with no source (null) maps to nothing.
  EXPECT_EQ(Show(MustParse(MapJson("[null]", one)).Lookup(1, 1)), "none");
}

TEST(SourceMapTest, SkipsSourcesContentAndNames) {
  const std::string one = EncodeMappings({{{0, 0, 6, 1}}});
  SourceMap map = MustParse(MapJson(R"(["a.js"])", one,
                                    R"(,"sourcesContent":["let x = 1;\n"],"names":["x"],)"
                                    R"("file":"bundle.mjs","x_google_ignoreList":[0])"));
  EXPECT_EQ(Show(map.Lookup(1, 1)), "/app/dist/a.js:7:2");
}

TEST(SourceMapTest, RefusesWhatIsNotAUsableV3Map) {
  struct Case {
    std::string json;
    std::string why;  // the start of the reason
  };
  const std::string one = EncodeMappings({{{0, 0, 0, 0}}});
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{\"version\":3,", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"version":3,"sections":[]})", "index maps (sections) are not supported"},
      {R"({"version":2,"sources":["a.js"],"mappings":"AAAA"})", "version is not 3"},
      {R"({"version":"3","sources":["a.js"],"mappings":"AAAA"})", "version is not 3"},
      {R"({"version":3,"sources":["a.js"]})", "mappings is not a string"},
      {R"({"version":3,"sources":["a.js"],"mappings":7})", "mappings is not a string"},
      {R"({"version":3,"mappings":"AAAA"})", "sources is not an array"},
      {R"({"version":3,"sources":[1],"mappings":"AAAA"})", "sources holds something other"},
      {MapJson(R"(["a.js"])", "AA!A"), "mappings: not a base64 VLQ at offset 2"},
      {MapJson(R"(["a.js"])", "AA"), "mappings: a segment with 2 fields at offset 0"},
      {MapJson(R"(["a.js"])", "AAA"), "mappings: a segment with 3 fields"},
      {MapJson(R"(["a.js"])", "AAAAAA"), "mappings: a segment with more than 5 fields"},
      {MapJson(R"(["a.js"])", "ACAA"), "mappings: a source index out of range"},
      {MapJson(R"(["a.js"])", "ADAA"), "mappings: a source index out of range"},
      {MapJson(R"(["a.js"])", "D"), "mappings: a negative column"},
      {MapJson(R"(["a.js"])", "AADA"), "mappings: an original position out of range"},
      {MapJson(R"(["a.js"])", "AAAD"), "mappings: an original position out of range"},
      {MapJson(R"(["a.js"])", "g"), "mappings: not a base64 VLQ"},
  };
  for (const Case& c : cases) {
    ipc::Result<SourceMap> map = SourceMap::Parse(c.json, "/app");
    ASSERT_FALSE(map.ok()) << c.json;
    EXPECT_EQ(map.error().code, ipc::ErrorCode::kBundleError);
    EXPECT_EQ(map.error().message.rfind(c.why, 0), 0u)
        << "for " << c.json << "\n  got: " << map.error().message;
  }
}

}  // namespace
}  // namespace ssrd::isolates
