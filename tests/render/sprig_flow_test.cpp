// Sprig defaults, flow control and reflection (gotpl/sprig/flow vectors).
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("sprig default treats Go zero values and nil as unset", "[sprig]") {
  CHECK(show("default", {s("d"), s("")}) == "d");
  CHECK(show("default", {i(5), i(0)}) == "5");
  CHECK(show("default", {Value(true), Value(false)}) == "true");
  CHECK(show("default", {list({i(1)}), list({})}) == "[1]");
  CHECK(show("default", {s("d"), Value::new_map()}) == "d");
  CHECK(show("default", {s("d"), Value::nil()}) == "d");
  CHECK(show("default", {s("d")}) == "d");
  CHECK(show("default", {i(7), f(0)}) == "7");
  CHECK(show("default", {s("d"), s("0")}) == "0");
  CHECK(show("default", {s("d"), Value::nil_map()}) == "d");
}

TEST_CASE("sprig coalesce, all, any, empty and ternary", "[sprig]") {
  CHECK(call("coalesce", {s(""), i(0), Value::nil()})->is_nil());
  CHECK(show("coalesce", {s(""), s("x")}) == "x");
  CHECK(show("all", {i(1), s("a"), Value(true)}) == "true");
  CHECK(show("all", {i(1), s(""), Value(true)}) == "false");
  CHECK(show("any", {i(0), s(""), s("x")}) == "true");
  CHECK(show("any", {i(0), s("")}) == "false");
  CHECK(show("empty", {Value::nil()}) == "true");
  CHECK(show("empty", {f(0.5)}) == "false");
  CHECK(show("ternary", {s("yes"), s("no"), Value(true)}) == "yes");
  CHECK(show("ternary", {s("yes"), s("no"), Value(false)}) == "no");
  CHECK(show("compact", {list({i(1), s(""), i(0), s("a"), Value::nil(), Value(false)})}) ==
        "[1 a]");
}

TEST_CASE("sprig reflection names Go types and kinds", "[sprig]") {
  CHECK(show("typeOf", {i(1)}) == "int");
  CHECK(show("typeOf", {s("s")}) == "string");
  CHECK(show("typeOf", {f(3)}) == "float64");
  CHECK(show("typeOf", {list({})}) == "[]interface {}");
  CHECK(show("typeOf", {Value::new_map()}) == "map[string]interface {}");
  CHECK(show("typeOf", {Value::nil()}) == "<nil>");
  CHECK(show("typeIs", {s("string"), s("x")}) == "true");
  CHECK(show("typeIsLike", {s("semver.Version"), *call("semver", {s("1.0.0")})}) == "true");
  CHECK(show("kindOf", {Value::nil()}) == "invalid");
  CHECK(show("kindOf", {list({})}) == "slice");
  CHECK(show("kindIs", {s("map"), Value::new_map()}) == "true");
  Value data = list({f(1), f(2), f(3)});
  CHECK(show("deepEqual", {data, list({f(1), f(2), f(3)})}) == "true");
  CHECK(show("deepEqual", {data, list({i(1), i(2), i(3)})}) == "false");
}

TEST_CASE("sprig deepCopy gives an independent map", "[sprig]") {
  Value m = dict({{"x", f(1)}});
  Value c = *call("deepCopy", {m});
  REQUIRE(call("set", {c, s("x"), i(99)}));
  CHECK(go_format_value(m) == "map[x:1]");
  CHECK(go_format_value(c) == "map[x:99]");
}

TEST_CASE("sprig fail returns its message as the error", "[sprig]") {
  CHECK(show("fail", {s("boom")}) == "ERROR: boom");
}
