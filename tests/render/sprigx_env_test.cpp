#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprigx;

TEST_CASE("env reads the process environment", "[sprigx][env]") {
  ::setenv("SPRIGX_TEST_VAR", "value", 1);
  CHECK(show("env", {"SPRIGX_TEST_VAR"}) == "value");
  CHECK(show("env", {"SPRIGX_TEST_UNSET_VAR"}) == "");
}

TEST_CASE("expandenv follows os.ExpandEnv", "[sprigx][env]") {
  ::setenv("SPRIGX_H", "/root", 1);
  ::unsetenv("SPRIGX_NONE");
  CHECK(show("expandenv", {"a $SPRIGX_H ${SPRIGX_H} $ ${} $$ $1 $@x ${x"}) == "a /root /root $    x x");
  CHECK(show("expandenv", {"x${SPRIGX_NONE}y"}) == "xy");
  CHECK(show("expandenv", {"no dollars"}) == "no dollars");
  CHECK(show("expandenv", {"end$"}) == "end$");
  CHECK(show("expandenv", {"$SPRIGX_H/bin"}) == "/root/bin");
}

TEST_CASE("getHostByName resolves nothing, as under helm template", "[sprigx][env]") {
  CHECK(show("getHostByName", {"localhost"}) == "");
}
