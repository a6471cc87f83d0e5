// Sprig string functions, pinned by the gotpl/sprig/str and helm/sprig/str vectors.
#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprig;

TEST_CASE("sprig trim, case and affix functions follow Go's strings package", "[sprig]") {
  CHECK(show("trim", {s("  x y  ")}) == "x y");
  CHECK(show("trimSuffix", {s("-"), s("name-")}) == "name");
  CHECK(show("trimSuffix", {s("-"), s("name--")}) == "name-");
  CHECK(show("trimPrefix", {s("-"), s("-x")}) == "x");
  CHECK(show("trimAll", {s("$"), s("$$a$")}) == "a");
  CHECK(show("upper", {s("abc \xC3\xA9")}) == "ABC \xC3\x89");
  CHECK(show("lower", {s("ABC \xC3\x89")}) == "abc \xC3\xA9");
  CHECK(show("title", {s("hello wORLD foo-bar")}) == "Hello WORLD Foo-Bar");
  CHECK(show("untitle", {s("Hello World")}) == "hello world");
  CHECK(show("repeat", {i(3), s("ab")}) == "ababab");
  CHECK(show("repeat", {i(-1), s("ab")}) == "ERROR: strings: negative Repeat count");
  CHECK(show("contains", {s("cat"), s("catch")}) == "true");
  CHECK(show("contains", {s("dog"), s("catch")}) == "false");
  CHECK(show("hasPrefix", {s("cat"), s("catch")}) == "true");
  CHECK(show("hasSuffix", {s("ch"), s("catch")}) == "true");
  CHECK(show("nospace", {s(" a b\tc ")}) == "abc");
}

TEST_CASE("sprig substr and trunc work on bytes and clamp like sprig", "[sprig]") {
  CHECK(show("substr", {i(1), i(3), s("abcdef")}) == "bc");
  CHECK(show("substr", {i(-1), i(3), s("abcdef")}) == "abc");
  CHECK(show("substr", {i(2), i(99), s("abcdef")}) == "cdef");
  CHECK(show("substr", {i(3), i(2), s("abcdef")}) ==
        "ERROR: runtime error: slice bounds out of range [3:2]");
  CHECK(show("trunc", {i(5), s("hello world")}) == "hello");
  CHECK(show("trunc", {i(-5), s("hello world")}) == "world");
  CHECK(show("trunc", {i(63), s("short")}) == "short");
  CHECK(show("trunc", {i(3), s("h\xC3\xA9llo")}) == "h\xC3\xA9");
}

TEST_CASE("sprig abbrev, initials, wrap and case conversions match goutils/xstrings", "[sprig]") {
  CHECK(show("abbrev", {i(5), s("hello world")}) == "he...");
  CHECK(show("abbrev", {i(20), s("hello")}) == "hello");
  CHECK(show("abbrevboth", {i(5), i(10), s("1234 5678 9123")}) == "...5678...");
  CHECK(show("initials", {s("First Try")}) == "FT");
  CHECK(show("swapcase", {s("This Is A.Test")}) == "tHIS iS a.tEST");
  CHECK(show("snakecase", {s("FirstName")}) == "first_name");
  CHECK(show("snakecase", {s("HTTPServerURL")}) == "http_server_url");
  CHECK(show("kebabcase", {s("FirstName")}) == "first-name");
  CHECK(show("camelcase", {s("http_server")}) == "HttpServer");
  CHECK(show("camelcase", {s("my-name_is")}) == "MyNameIs");
  CHECK(show("wrap", {i(10), s("the quick brown fox jumps over")}) ==
        "the quick\nbrown fox\njumps over");
  CHECK(show("wrapWith", {i(5), s("\t"), s("Hello World")}) == "Hello\tWorld");
}

TEST_CASE("sprig quote, squote and cat print operands with %v and drop nil", "[sprig]") {
  CHECK(show("quote", {s("a\"b")}) == "\"a\\\"b\"");
  CHECK(show("quote", {s("a"), s("b")}) == "\"a\" \"b\"");
  CHECK(show("quote", {f(3), f(1000000), f(1.5)}) == "\"3\" \"1e+06\" \"1.5\"");
  CHECK(show("quote", {Value::nil()}) == "");
  CHECK(show("squote", {s("a"), i(1)}) == "'a' '1'");
  CHECK(show("cat", {s("a"), Value::nil(), s("b")}) == "a b");
  CHECK(show("cat", {list({i(1), i(2)})}) == "[1 2]");
}

TEST_CASE("sprig indent prefixes every line including empty ones", "[sprig]") {
  CHECK(show("indent", {i(4), s("a\nb\n\nc")}) == "    a\n    b\n    \n    c");
  CHECK(show("indent", {i(2), s("a\n")}) == "  a\n  ");
  CHECK(show("nindent", {i(2), s("a\nb")}) == "\n  a\n  b");
  CHECK(show("indent", {i(-1), s("a")}) == "ERROR: strings: negative Repeat count");
}

TEST_CASE("sprig indent and repeat refuse results over the output limit", "[sprig]") {
  CHECK(show("repeat", {i(1) , s("x")}) == "x");
  auto r = call("repeat", {i(int64_t{1} << 40), s("ab")});
  REQUIRE_FALSE(r);
  auto r2 = call("indent", {i(int64_t{1} << 40), s("a")});
  REQUIRE_FALSE(r2);
}

TEST_CASE("sprig replace, plural, split and join", "[sprig]") {
  CHECK(show("replace", {s(""), s("-"), s("abc")}) == "-a-b-c-");
  CHECK(show("replace", {s("a"), s("b"), s("banana")}) == "bbnbnb");
  CHECK(show("plural", {s("one"), s("many"), i(1)}) == "one");
  CHECK(show("plural", {s("one"), s("many"), i(2)}) == "many");
  CHECK(show("splitn", {s(","), i(2), s("a,b,c")}) == "map[_0:a _1:b,c]");
  CHECK(show("split", {s("/"), s("a/b")}) == "map[_0:a _1:b]");
  CHECK(call("split", {s("/"), s("a/b")})->type_name() == "map[string]string");
  CHECK(show("splitList", {s(","), s("a,b")}) == "[a b]");
  CHECK(call("splitList", {s(","), s("a,b")})->type_name() == "[]string");
  CHECK(show("join", {s("-"), list({s("a"), i(1), Value(true)})}) == "a-1-true");
  CHECK(show("join", {s(", "), strs({"b", "a", "c"})}) == "b, a, c");
  CHECK(show("join", {s(","), Value::nil()}) == "");
}

TEST_CASE("sprig toString, toStrings and sortAlpha use strval", "[sprig]") {
  CHECK(show("toString", {Value(true)}) == "true");
  CHECK(show("toString", {Value::nil()}) == "<nil>");
  CHECK(show("toString", {f(1000000)}) == "1e+06");
  CHECK(show("toStrings", {list({i(1), s("a"), Value::nil(), Value(true)})}) == "[1 a true]");
  CHECK(show("sortAlpha", {list({s("b"), i(10), s("A"), i(2)})}) == "[10 2 A b]");
  CHECK(show("sortAlpha", {list({f(1), f(2), f(3)})}) == "[1 2 3]");
  CHECK(show("sortAlpha", {Value::nil()}) == "[<nil>]");
}
