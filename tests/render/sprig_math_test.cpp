// Sprig conversions and math (gotpl/sprig/math, helm/sprig/math vectors).
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("sprig conversions follow spf13/cast and strconv", "[sprig]") {
  CHECK(show("atoi", {s("42")}) == "42");
  CHECK(show("atoi", {s("x")}) == "0");
  CHECK(show("atoi", {s("99999999999999999999")}) == "9223372036854775807");
  CHECK(show("int", {s("12")}) == "12");
  CHECK(show("int", {s("3.9")}) == "0");
  CHECK(show("int", {s("3.0")}) == "3");
  CHECK(show("int", {s("0x10")}) == "16");
  CHECK(show("int", {s("010")}) == "8");
  CHECK(show("int", {f(3.9)}) == "3");
  CHECK(show("int", {f(-3.9)}) == "-3");
  CHECK(show("int", {Value::nil()}) == "0");
  CHECK(show("int", {Value(true)}) == "1");
  CHECK(call("int", {f(2)})->type_name() == "int");
  CHECK(call("int64", {f(2)})->type_name() == "int64");
  CHECK(show("int64", {f(1000000)}) == "1000000");
  CHECK(show("float64", {s("1.25")}) == "1.25");
  CHECK(show("float64", {i(3)}) == "3");
  CHECK(show("float64", {s("1_000")}) == "1000");
  CHECK(show("float64", {s("nope")}) == "0");
  CHECK(show("toDecimal", {s("0777")}) == "511");
  CHECK(show("toDecimal", {i(777)}) == "511");
  CHECK(show("toDecimal", {s("9")}) == "0");
}

TEST_CASE("sprig integer math casts operands and returns int64", "[sprig]") {
  CHECK(show("add", {s("1"), s("2")}) == "3");
  CHECK(show("add", {f(1.5), f(1.5)}) == "2");
  CHECK(show("add", {Value::nil(), i(1)}) == "1");
  CHECK(show("add", {f(3), i(1)}) == "4");
  CHECK(show("add", {f(1000000), i(1)}) == "1000001");
  CHECK(call("add", {i(1)})->type_name() == "int64");
  CHECK(show("add1", {i(1)}) == "2");
  CHECK(show("sub", {i(10), i(3)}) == "7");
  CHECK(show("mul", {i(2), i(3), i(4)}) == "24");
  CHECK(show("div", {f(3), i(2)}) == "1");
  CHECK(show("mod", {i(7), i(3)}) == "1");
  CHECK(show("mod", {i(-7), i(3)}) == "-1");
  CHECK(show("mod", {i(1), i(0)}) == "ERROR: runtime error: integer divide by zero");
  CHECK(show("div", {i(1), i(0)}) == "ERROR: runtime error: integer divide by zero");
  CHECK(show("div", {Value::integer(INT64_MIN, IntType::Int64), i(-1)}) ==
        "-9223372036854775808");
  CHECK(show("max", {i(1), i(5), i(3)}) == "5");
  CHECK(show("biggest", {i(1), i(9), i(3)}) == "9");
  CHECK(show("max", {i(1), s("7"), f(3.9)}) == "7");
  CHECK(show("min", {i(4), i(2), i(3)}) == "2");
}

TEST_CASE("sprig float math uses exact decimal arithmetic", "[sprig]") {
  CHECK(show("addf", {f(1.1), f(2.2)}) == "3.3");
  CHECK(show("subf", {i(5), f(1.5)}) == "3.5");
  CHECK(show("mulf", {f(1.5), i(2)}) == "3");
  CHECK(show("divf", {i(10), i(4)}) == "2.5");
  CHECK(show("divf", {i(1), i(3)}) == "0.3333333333333333");
  CHECK(show("divf", {i(2), i(3)}) == "0.6666666666666667");
  CHECK(show("divf", {i(1), i(0)}) == "ERROR: decimal division by 0");
  CHECK(show("add1f", {f(1.5)}) == "2.5");
  CHECK(show("maxf", {i(1), f(2.5)}) == "2.5");
  CHECK(show("minf", {i(1), f(2.5)}) == "1");
  CHECK(show("ceil", {f(1.2)}) == "2");
  CHECK(show("floor", {f(1.8)}) == "1");
  CHECK(show("round", {f(3.14159), i(2)}) == "3.14");
  CHECK(show("round", {f(1.2345), i(2), f(0.6)}) == "1.23");
}

TEST_CASE("sprig seq, until and untilStep count like sprig", "[sprig]") {
  CHECK(show("seq", {i(3)}) == "1 2 3");
  CHECK(show("seq", {i(2), i(5)}) == "2 3 4 5");
  CHECK(show("seq", {i(1), i(3), i(10)}) == "1 4 7 10");
  CHECK(show("seq", {i(5), i(2)}) == "5 4 3 2");
  CHECK(show("seq", {i(0)}) == "1 0");
  CHECK(show("seq", {}) == "");
  CHECK(show("until", {i(5)}) == "[0 1 2 3 4]");
  CHECK(call("until", {i(5)})->type_name() == "[]int");
  CHECK(show("until", {i(-2)}) == "[0 -1]");
  CHECK(show("untilStep", {i(0), i(10), i(3)}) == "[0 3 6 9]");
  CHECK(show("untilStep", {i(10), i(0), i(-4)}) == "[10 6 2]");
  CHECK(show("untilStep", {i(0), i(10), i(0)}) == "[]");
}

TEST_CASE("sprig until refuses lists over the item limit", "[sprig]") {
  CHECK_FALSE(call("until", {i(INT64_MAX)}));
  CHECK_FALSE(call("seq", {i(INT64_MAX - 1)}));
  CHECK(show("seq", {i(INT64_MAX)}) == "");  // end+1 wraps, as in Go
}
