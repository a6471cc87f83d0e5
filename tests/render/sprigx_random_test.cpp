#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "tests/render/func_test_util.h"

using namespace cairn::render;
using namespace cairn::render::testing;
using namespace cairn::render::testing::sprigx;

namespace {
bool all_of(const std::string& s, const std::string& alphabet) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return alphabet.find(c) != std::string::npos; });
}
const std::string kDigits = "0123456789";
const std::string kLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
}  // namespace

TEST_CASE("random strings have the requested length and alphabet", "[sprigx][random]") {
  for (int i = 0; i < 20; ++i) {
    auto an = call("randAlphaNum", {ints(12)});
    REQUIRE(an);
    CHECK(an->as_string().size() == 12);
    CHECK(all_of(an->as_string(), kLetters + kDigits));
    auto a = call("randAlpha", {ints(9)});
    CHECK(all_of(a->as_string(), kLetters));
    CHECK(a->as_string().size() == 9);
    auto n = call("randNumeric", {ints(6)});
    CHECK(all_of(n->as_string(), kDigits));
    CHECK(n->as_string().size() == 6);
    auto asc = call("randAscii", {ints(7)});
    CHECK(asc->as_string().size() == 7);
    CHECK(std::all_of(asc->as_string().begin(), asc->as_string().end(),
                      [](char c) { return c >= ' ' && c <= '~'; }));
  }
  CHECK(show("randAlphaNum", {ints(0)}) == "");
  CHECK(show("randAlpha", {ints(-1)}) == "");  // goutils' error is dropped by sprig
}

TEST_CASE("random strings differ between calls", "[sprigx][random]") {
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) seen.insert(call("randAlphaNum", {ints(16)})->as_string());
  CHECK(seen.size() == 10);
}

TEST_CASE("random string length is bounded by the output limit", "[sprigx][random]") {
  TestContext ctx;
  ctx.limits_.max_output_bytes = 100;
  CHECK_FALSE(call("randAlphaNum", {ints(101)}, &ctx));
  CHECK(call("randAlphaNum", {ints(100)}, &ctx));
}

TEST_CASE("randInt returns an int in [min, max)", "[sprigx][random]") {
  CHECK(show("randInt", {ints(5), ints(6)}) == "5");
  for (int i = 0; i < 50; ++i) {
    auto r = call("randInt", {ints(-3), ints(3)});
    REQUIRE(r);
    CHECK(r->type_name() == "int");
    CHECK(r->as_int() >= -3);
    CHECK(r->as_int() < 3);
  }
  CHECK(show("randInt", {ints(5), ints(5)}) == "ERROR: invalid argument to Intn");
  CHECK(show("randInt", {ints(6), ints(5)}) == "ERROR: invalid argument to Intn");
}

TEST_CASE("shuffle permutes the runes of a string", "[sprigx][random]") {
  auto r = call("shuffle", {"abcdef"});
  REQUIRE(r);
  std::string s = r->as_string();
  CHECK(s.size() == 6);
  std::sort(s.begin(), s.end());
  CHECK(s == "abcdef");
  // Multi-byte runes stay whole.
  auto u = call("shuffle", {"\xc3\xa9\xc3\xa9\xc3\xa9"});
  CHECK(u->as_string() == "\xc3\xa9\xc3\xa9\xc3\xa9");
  CHECK(show("shuffle", {""}) == "");
}

TEST_CASE("uuidv4 returns a version-4 RFC 4122 UUID", "[sprigx][random]") {
  auto u = call("uuidv4", {});
  REQUIRE(u);
  auto m = call("regexMatch",
                {"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", *u});
  CHECK(m->as_bool());
  CHECK(call("uuidv4", {})->as_string() != u->as_string());
}
