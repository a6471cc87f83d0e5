// Sprig lists and dicts (gotpl/sprig/list, gotpl/sprig/dict and helm vectors).
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

namespace {
Value data_strs() { return strs({"b", "a", "c"}); }
Value data_nums() { return list({f(1), f(2), f(3)}); }
}  // namespace

TEST_CASE("sprig list accessors work on any slice and reject other kinds", "[sprig]") {
  CHECK(show("list", {i(1), s("a"), Value::nil()}) == "[1 a <nil>]");
  CHECK(show("tuple", {i(1), i(2)}) == "[1 2]");
  CHECK(show("first", {data_strs()}) == "b");
  CHECK(call("first", {list({})})->is_nil());
  CHECK(call("last", {list({})})->is_nil());
  CHECK(show("rest", {data_strs()}) == "[a c]");
  CHECK(show("rest", {list({})}) == "[]");
  CHECK(show("initial", {data_strs()}) == "[b a]");
  CHECK(show("last", {data_strs()}) == "c");
  CHECK(show("first", {s("abc")}) == "ERROR: Cannot find first on type string");
  CHECK(show("mustFirst", {s("abc")}) == "ERROR: Cannot find first on type string");
  CHECK(show("first", {Value::nil()}) ==
        "ERROR: runtime error: invalid memory address or nil pointer dereference");
}

TEST_CASE("sprig append and prepend return new lists", "[sprig]") {
  Value l = data_strs();
  CHECK(show("append", {l, s("d")}) == "[b a c d]");
  CHECK(go_format_value(l) == "[b a c]");
  CHECK(call("append", {l, s("d")})->type_name() == "[]interface {}");
  CHECK(show("prepend", {l, s("z")}) == "[z b a c]");
  CHECK(show("append", {dict({}), i(1)}) == "ERROR: Cannot push on type map");
  CHECK(show("mustAppend", {dict({}), i(1)}) == "ERROR: Cannot push on type map");
  CHECK(show("append", {Value::nil(), i(1)}) ==
        "ERROR: runtime error: invalid memory address or nil pointer dereference");
}

TEST_CASE("sprig list transformations compare with reflect.DeepEqual", "[sprig]") {
  CHECK(show("concat", {data_strs(), list({i(1)}), list({})}) == "[b a c 1]");
  CHECK(show("reverse", {data_strs()}) == "[c a b]");
  CHECK(show("reverse", {data_nums()}) == "[3 2 1]");
  CHECK(show("uniq", {list({i(1), i(1), i(2), s("a"), s("a")})}) == "[1 2 a]");
  CHECK(show("without", {list({i(1), i(2), i(3), i(2)}), i(2)}) == "[1 3]");
  CHECK(show("has", {s("a"), data_strs()}) == "true");
  CHECK(show("has", {f(1), data_nums()}) == "true");
  CHECK(show("has", {i(1), data_nums()}) == "false");
  CHECK(show("has", {i(1), Value::nil()}) == "false");
  CHECK(show("slice", {list({i(1), i(2), i(3), i(4)}), i(1), i(3)}) == "[2 3]");
  CHECK(show("slice", {data_strs(), i(1)}) == "[a c]");
  CHECK(call("slice", {data_strs(), i(1)})->type_name() == "[]string");
  CHECK(show("slice", {data_strs(), i(2), i(1)}) ==
        "ERROR: reflect.Value.Slice: slice index out of bounds");
  CHECK(show("compact", {list({s(""), s("a")})}) == "[a]");
  CHECK(show("chunk", {i(2), list({i(1), i(2), i(3)})}) == "[[1 2] [3]]");
  CHECK(show("chunk", {i(0), list({i(1)})}) ==
        "ERROR: runtime error: makeslice: len out of range");
}

TEST_CASE("sprig dict builds maps with strval keys and last value winning", "[sprig]") {
  CHECK(show("dict", {s("z"), list({i(1), i(2)}), s("a"), Value::nil()}) ==
        "map[a:<nil> z:[1 2]]");
  CHECK(show("dict", {s("a"), i(1), s("a"), i(2)}) == "map[a:2]");
  CHECK(show("dict", {s("k")}) == "map[k:]");
  CHECK(show("dict", {i(1), i(2)}) == "map[1:2]");
}

TEST_CASE("sprig get, set, unset and hasKey use the map in place", "[sprig]") {
  Value m = dict({{"x", f(1)}, {"y", s("two")}});
  CHECK(show("get", {m, s("y")}) == "two");
  CHECK(show("get", {m, s("nope")}) == "");
  CHECK(show("get", {Value::nil_map(), s("a")}) == "");
  Value d = dict({{"a", i(1)}});
  REQUIRE(call("set", {d, s("b"), i(2)}));
  CHECK(go_format_value(d) == "map[a:1 b:2]");
  REQUIRE(call("unset", {d, s("a")}));
  CHECK(go_format_value(d) == "map[b:2]");
  CHECK(show("set", {Value::nil_map(), s("a"), i(1)}) == "ERROR: assignment to entry in nil map");
  CHECK(show("hasKey", {d, s("b")}) == "true");
  CHECK(show("hasKey", {d, s("a")}) == "false");
}

TEST_CASE("sprig pluck, keys, values, pick and omit", "[sprig]") {
  Value ann = dict({{"name", s("ann")}, {"age", f(31)}});
  Value bob = dict({{"name", s("bob")}, {"age", f(27)}});
  CHECK(show("pluck", {s("name"), ann, bob, Value::new_map()}) == "[ann bob]");
  Value m = dict({{"x", f(1)}, {"y", s("two")}, {"b", dict({{"c", s("deep")}})}});
  CHECK(show("keys", {m}) == "[b x y]");
  CHECK(call("keys", {m})->type_name() == "[]string");
  CHECK(show("keys", {dict({{"a", i(1)}}), dict({{"b", i(2)}})}) == "[a b]");
  CHECK(show("values", {dict({{"a", i(1)}, {"b", i(2)}})}) == "[1 2]");
  CHECK(show("pick", {m, s("x"), s("nope")}) == "map[x:1]");
  CHECK(show("omit", {m, s("x"), s("b")}) == "map[y:two]");
}

TEST_CASE("sprig merge follows mergo 1.0.1", "[sprig]") {
  CHECK(show("merge", {dict({{"a", i(1)}, {"n", dict({{"x", i(1)}})}}),
                       dict({{"a", i(2)}, {"b", i(3)}, {"n", dict({{"y", i(2)}})}})}) ==
        "map[a:1 b:3 n:map[x:1 y:2]]");
  CHECK(show("mergeOverwrite", {dict({{"a", i(1)}}), dict({{"a", s("")}})}) == "map[a:]");
  CHECK(show("mergeOverwrite", {dict({{"a", s("s")}, {"l", list({i(1)})}}),
                                dict({{"a", dict({{"x", i(1)}})}, {"l", dict({{"y", i(2)}})}})}) ==
        "map[a:map[x:1] l:map[y:2]]");
  CHECK(show("merge", {dict({{"a", s("s")}}), dict({{"a", dict({{"x", i(1)}})}})}) == "map[a:s]");
  CHECK(show("merge", {dict({{"a", i(1)}}), dict({{"a", Value::nil()}, {"b", Value::nil()}})}) ==
        "map[a:1]");
  CHECK(show("mergeOverwrite", {dict({{"a", i(1)}}), dict({{"a", Value::nil()}})}) ==
        "map[a:<nil>]");
  Value d = dict({{"a", i(1)}});
  REQUIRE(call("merge", {d, dict({{"b", i(2)}})}));
  CHECK(go_format_value(d) == "map[a:1 b:2]");
}

TEST_CASE("sprig dig walks nested maps with a default", "[sprig]") {
  Value root = dict({{"m", dict({{"b", dict({{"c", s("deep")}})}})}});
  CHECK(show("dig", {s("m"), s("b"), s("c"), s("dflt"), root}) == "deep");
  CHECK(show("dig", {s("m"), s("q"), s("dflt"), root}) == "dflt");
  CHECK(show("dig", {s("a"), root}) == "ERROR: dig needs at least three arguments");
  CHECK(show("dig", {s("m"), s("x"), list({})}) ==
        "ERROR: interface conversion: interface {} is []interface {}, not map[string]interface {}");
}
