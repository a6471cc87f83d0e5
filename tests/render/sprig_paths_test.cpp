// Path functions (gotpl/sprig/str path vectors): Go's path package.
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("sprig path functions follow Go's path package", "[sprig]") {
  CHECK(show("base", {s("/a/b/c.txt")}) == "c.txt");
  CHECK(show("base", {s("")}) == ".");
  CHECK(show("base", {s("/")}) == "/");
  CHECK(show("base", {s("a/b/")}) == "b");
  CHECK(show("dir", {s("/a/b/c.txt")}) == "/a/b");
  CHECK(show("dir", {s("c.txt")}) == ".");
  CHECK(show("clean", {s("a/../b//c/.")}) == "b/c");
  CHECK(show("clean", {s("../../x/..")}) == "../..");
  CHECK(show("clean", {s("/../x")}) == "/x");
  CHECK(show("ext", {s("x.tar.gz")}) == ".gz");
  CHECK(show("ext", {s("a.b/c")}) == "");
  CHECK(show("isAbs", {s("/x")}) == "true");
  CHECK(show("osBase", {s("/a/b")}) == "b");
}
