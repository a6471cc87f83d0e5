// semver and semverCompare (gotpl/sprig/misc semver vectors).
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("sprig semver parses versions into *semver.Version objects", "[sprig]") {
  auto v = call("semver", {s("v1.28.3")});
  REQUIRE(v);
  REQUIRE(v->is_object());
  CHECK(v->type_name() == "*semver.Version");
  CHECK(go_format_value(*v->object().field("Major")) == "1");
  CHECK(v->object().field("Major")->type_name() == "uint64");
  CHECK(go_format_value(*v->object().field("Minor")) == "28");
  CHECK(go_format_value(*v->object().field("Patch")) == "3");
  CHECK(go_format_value(*v->object().field("Prerelease")) == "");
  CHECK(go_format_value(*v->object().field("Original")) == "v1.28.3");
  CHECK(go_format_value(*v) == "1.28.3");
  CHECK(show("semver", {s("x.y")}) == "ERROR: invalid semantic version");
  CHECK(show("semver", {s("1.0.0-01")}) == "ERROR: version segment starts with 0");
}

TEST_CASE("sprig semver objects compare with Compare/LessThan", "[sprig]") {
  Value a = *call("semver", {s("1.2.3")});
  Value b = *call("semver", {s("1.3.0")});
  TestContext ctx;
  std::vector<Value> args{b};
  CHECK(go_format_value(*a.object().method("Compare")->impl(ctx, args)) == "-1");
  CHECK(go_format_value(*a.object().method("LessThan")->impl(ctx, args)) == "true");
  std::vector<Value> bad{s("1.0")};
  CHECK_FALSE(a.object().method("Compare")->impl(ctx, bad));
}

TEST_CASE("sprig semverCompare implements Masterminds constraints", "[sprig]") {
  auto cmp = [](const char* c, const char* v) { return show("semverCompare", {s(c), s(v)}); };
  CHECK(cmp(">=1.21", "1.28.0-gke.100") == "false");
  CHECK(cmp(">=1.21-0", "1.28.0-gke.100") == "true");
  CHECK(cmp("~1.2", "1.2.9") == "true");
  CHECK(cmp("~1.2", "1.3.0") == "false");
  CHECK(cmp("^1.2", "1.9.0") == "true");
  CHECK(cmp("^1.2", "2.0.0") == "false");
  CHECK(cmp("<1.0 || >=2.0", "2.1.0") == "true");
  CHECK(cmp(">=1.0, <2.0", "1.5.0") == "true");
  CHECK(cmp(">=1.0 <2.0", "2.5.0") == "false");
  CHECK(cmp("1.2 - 1.4", "1.3.7") == "true");
  CHECK(cmp("1.2 - 1.4", "1.5.0") == "false");
  CHECK(cmp("1.x", "1.9.9") == "true");
  CHECK(cmp("*", "3.0.0") == "true");
  CHECK(cmp("!=1.2.3", "1.2.3") == "false");
  CHECK(cmp("=1.2.3", "v1.2.3") == "true");
  CHECK(cmp(">1.2", "1.2.5") == "false");
  CHECK(cmp(">1.2", "1.3.0") == "true");
  CHECK(cmp("!!", "1.0.0") == "ERROR: improper constraint: !!");
  CHECK(cmp("", "1.0.0") == "ERROR: improper constraint: ");
  CHECK(cmp(">1", "abc") == "ERROR: invalid semantic version");
}
