#include <catch2/catch.hpp>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprigx;

TEST_CASE("regexMatch matches anywhere and swallows compile errors", "[sprigx][regex]") {
  CHECK(show("regexMatch", {"^[a-z]+[0-9]$", "abc1"}) == "true");
  CHECK(show("regexMatch", {"^[0-9]{6}$", "123456"}) == "true");
  CHECK(show("regexMatch", {"^[0-9]{6}$", "12345a"}) == "false");
  CHECK(show("regexMatch", {"(?i)ABC", "xabcx"}) == "true");
  CHECK(show("regexMatch", {"(", "x"}) == "false");
  CHECK(show("regexMatch", {"a{1001}", "a"}) == "false");
  // Go >= 1.22 accepts the (?<name>...) form.
  CHECK(show("regexMatch", {"(?<y>[0-9]{4})-", "2024-"}) == "true");
  // $ matches only at the very end without (?m), as in Go.
  CHECK(show("regexMatch", {"a$", "a\n"}) == "false");
}

TEST_CASE("mustRegexMatch reports Go's regexp parse errors", "[sprigx][regex]") {
  CHECK(show("mustRegexMatch", {"(", "x"}) ==
        "ERROR: error parsing regexp: missing closing ): `(`");
  CHECK(show("mustRegexMatch", {"x)", "a"}) == "ERROR: error parsing regexp: unexpected ): `x)`");
  CHECK(show("mustRegexMatch", {"a{1001}", "a"}) ==
        "ERROR: error parsing regexp: invalid repeat count: `{1001}`");
  CHECK(show("mustRegexMatch", {"a**", "a"}) ==
        "ERROR: error parsing regexp: invalid nested repetition operator: `**`");
  CHECK(show("mustRegexMatch", {"\\8", "a"}) ==
        "ERROR: error parsing regexp: invalid escape sequence: `\\8`");
  CHECK(show("mustRegexMatch", {"[z-a]", "a"}) ==
        "ERROR: error parsing regexp: invalid character class range: `z-a`");
  CHECK(show("mustRegexMatch", {"(?z)", "a"}) ==
        "ERROR: error parsing regexp: invalid or unsupported Perl syntax: `(?z`");
  CHECK(show("mustRegexMatch", {"\\C", "a"}).rfind("ERROR: error parsing regexp: invalid escape", 0) ==
        0);
  CHECK(show("mustRegexMatch", {"^a", "abc"}) == "true");
  CHECK(show("mustRegexMatch", {"(?<=a)b", "ab"}) ==
        "ERROR: error parsing regexp: invalid named capture: `(?<=a)b`");
  CHECK(show("mustRegexMatch", {"(?<a-b>x)", "x"}) ==
        "ERROR: error parsing regexp: invalid named capture: `(?<a-b>`");
}

TEST_CASE("regex functions other than regexMatch fail like regexp.MustCompile",
          "[sprigx][regex]") {
  CHECK(show("regexFind", {"(", "x"}) ==
        "ERROR: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`");
  CHECK(show("regexFind", {"a`(", "x"}) ==
        "ERROR: regexp: Compile(\"a`(\"): error parsing regexp: missing closing ): `a`(`");
  CHECK(show("regexReplaceAll", {"[", "x", "y"}) ==
        "ERROR: regexp: Compile(`[`): error parsing regexp: missing closing ]: `[`");
  CHECK(show("mustRegexFind", {"(", "x"}) ==
        "ERROR: error parsing regexp: missing closing ): `(`");
}

TEST_CASE("regexFind returns the leftmost match or empty", "[sprigx][regex]") {
  CHECK(show("regexFind", {"[0-9]+", "ab12c34"}) == "12");
  CHECK(show("regexFind", {"z", "abc"}) == "");
}

TEST_CASE("regexFindAll follows Go's FindAllString rules", "[sprigx][regex]") {
  CHECK(show("regexFindAll", {"[0-9]+", "ab123cd45e6", ints(-1)}) == "[123 45 6]");
  CHECK(show("regexFindAll", {"a*", "baaab", ints(-1)}) == "[ aaa ]");
  CHECK(show("regexFindAll", {"a", "aaaa", ints(2)}) == "[a a]");
  CHECK(show("regexFindAll", {"a", "aaa", ints(0)}) == "[]");
  // One empty match per rune, multi-byte runes included.
  auto r = call("regexFindAll", {"", "h\xc3\xa9llo", ints(-1)});
  REQUIRE(r);
  CHECK(r->list().items.size() == 6);
  // No match is a nil []string (toJson prints null).
  auto none = call("mustRegexFindAll", {"a+", "xx", ints(-1)});
  REQUIRE(none);
  CHECK(none->is_nil_container());
  CHECK(none->type_name() == "[]string");
}

TEST_CASE("regexReplaceAll expands $1, ${1} and named groups as Go does", "[sprigx][regex]") {
  CHECK(show("regexReplaceAll", {"[^a-z0-9-]", "my_cluster.name", "-"}) == "my-cluster-name");
  CHECK(show("regexReplaceAll", {"a(x*)b", "-ab-axxb-", "${1}W"}) == "-W-xxW-");
  CHECK(show("regexReplaceAll", {"a(?P<n>x*)b", "-ab-axxb-", "$1W|$n|$$|$"}) ==
        "-||$|$-|xx|$|$-");
  CHECK(show("regexReplaceAll", {"(?<w>\\w+)@(\\w+)", "joe@host x@y", "${2}:$w:$1x:${1}x:$9"}) ==
        "host:joe::joex: y:x::xx:");
  CHECK(show("regexReplaceAll", {"a*", "baaac", "X"}) == "XbXcX");
  CHECK(show("regexReplaceAll", {"", "abc", "-"}) == "-a-b-c-");
  CHECK(show("regexReplaceAll", {"^", "ab\ncd", ">"}) == ">ab\ncd");
  CHECK(show("regexReplaceAll", {"(?m)^", "ab\ncd", ">"}) == ">ab\n>cd");
  CHECK(show("regexReplaceAll", {"\\b", "ab cd", "|"}) == "|ab| |cd|");
}

TEST_CASE("regexReplaceAllLiteral inserts the replacement verbatim", "[sprigx][regex]") {
  CHECK(show("regexReplaceAllLiteral", {"a(x*)b", "-ab-axxb-", "${1}"}) == "-${1}-${1}-");
}

TEST_CASE("regexReplaceAll respects the output limit", "[sprigx][regex]") {
  TestContext ctx;
  ctx.limits_.max_output_bytes = 100;
  CHECK_FALSE(call("regexReplaceAll", {"", std::string(50, 'a'), "xyz"}, &ctx));
}

TEST_CASE("regexSplit follows Go's Regexp.Split", "[sprigx][regex]") {
  CHECK(show("regexSplit", {"z+", "pizza", ints(-1)}) == "[pi a]");
  CHECK(show("regexSplit", {",", "a,b,c", ints(2)}) == "[a b,c]");
  CHECK(show("regexSplit", {"", "abc", ints(-1)}) == "[a b c]");
  CHECK(show("regexSplit", {"a*", "baaac", ints(-1)}) == "[b c]");
  CHECK(show("regexSplit", {"b", "abcb", ints(-1)}) == "[a c ]");
  auto zero = call("regexSplit", {",", "a,b,c", ints(0)});
  REQUIRE(zero);
  CHECK(zero->is_nil_container());
  CHECK(call("regexSplit", {"x", "", ints(-1)})->list().items.size() == 1);
  CHECK(call("regexSplit", {"", "", ints(-1)})->list().items.empty());
}

TEST_CASE("regexQuoteMeta escapes Go's metacharacters", "[sprigx][regex]") {
  CHECK(show("regexQuoteMeta", {"1.2+[x]"}) == "1\\.2\\+\\[x\\]");
  CHECK(show("regexQuoteMeta", {"\\"}) == "\\\\");
  CHECK(show("regexQuoteMeta", {"plain"}) == "plain");
}
