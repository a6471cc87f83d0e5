// JSON merge patch (RFC 7386) and reading patch bodies.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/patch.h"

namespace {

using cairn::apiserver::merge_patch;
using cairn::apiserver::parse_patch_body;
using cairn::apiserver::StatusCode;
using nlohmann::json;

struct MergeCase {
  const char* target;
  const char* patch;
  const char* result;
};

}  // namespace

TEST_CASE("merge patch reproduces every example of RFC 7386 appendix A") {
  const MergeCase cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    INFO("target " << c.target << " patch " << c.patch);
    CHECK(merge_patch(json::parse(c.target), json::parse(c.patch)) == json::parse(c.result));
  }
}

TEST_CASE("merge patch applies the RFC 7386 section 3 document example") {
  const json target = R"({
    "title": "Goodbye!",
    "author": {"givenName": "John", "familyName": "Doe"},
    "tags": ["example", "sample"],
    "content": "This will be unchanged"
  })"_json;
  const json patch = R"({
    "title": "Hello!",
    "phoneNumber": "+01-123-456-7890",
    "author": {"familyName": null},
    "tags": ["example"]
  })"_json;
  CHECK(merge_patch(target, patch) == R"({
    "title": "Hello!",
    "author": {"givenName": "John"},
    "tags": ["example"],
    "content": "This will be unchanged",
    "phoneNumber": "+01-123-456-7890"
  })"_json);
}

TEST_CASE("merge patch leaves its inputs unchanged") {
  const json target = R"({"metadata":{"labels":{"a":"1"}},"data":{"k":"v"}})"_json;
  const json patch = R"({"metadata":{"labels":{"a":null,"b":"2"}},"data":null})"_json;
  const json target_copy = target;
  const json patch_copy = patch;
  CHECK(merge_patch(target, patch) == R"({"metadata":{"labels":{"b":"2"}}})"_json);
  CHECK(target == target_copy);
  CHECK(patch == patch_copy);
}

TEST_CASE("merge patch replaces arrays of a kubectl label/annotate style patch") {
  const json live = R"({"metadata":{"name":"cm","finalizers":["a","b"],
                        "annotations":{"x":"1"}},"data":{"a":"1","b":"2"}})"_json;
  const json patch = R"({"metadata":{"finalizers":["c"],"annotations":{"x":null,"y":"2"}},
                         "data":{"b":null,"c":"3"}})"_json;
  CHECK(merge_patch(live, patch) == R"({"metadata":{"name":"cm","finalizers":["c"],
                                        "annotations":{"y":"2"}},
                                        "data":{"a":"1","c":"3"}})"_json);
}

TEST_CASE("parse_patch_body reads JSON documents of any type") {
  auto object = parse_patch_body(R"( {"a": [1, 2.5, "x", true, null]} )");
  REQUIRE(object);
  CHECK(*object == R"({"a":[1,2.5,"x",true,null]})"_json);
  auto array = parse_patch_body(R"([{"op":"remove","path":"/a"}])");
  REQUIRE(array);
  CHECK(array->is_array());
  auto null = parse_patch_body("null");
  REQUIRE(null);
  CHECK(null->is_null());
}

TEST_CASE("parse_patch_body rejects invalid JSON with BadRequest naming the byte offset") {
  auto bad = parse_patch_body(R"({"a": tru})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == StatusCode::kBadRequest);
  CHECK(bad.error().http_code() == 400);
  CHECK_THAT(bad.error().message, Catch::StartsWith("error decoding patch: invalid JSON at byte "
                                                    "offset 9: "));

  auto empty = parse_patch_body("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().code == StatusCode::kBadRequest);
  CHECK_THAT(empty.error().message, Catch::Contains("byte offset 0"));

  auto trailing = parse_patch_body(R"({"a":1} {"b":2})");
  REQUIRE_FALSE(trailing);
  CHECK_THAT(trailing.error().message, Catch::Contains("byte offset 8"));

  auto bad_utf8 = parse_patch_body("{\"a\":\"\xff\"}");
  REQUIRE_FALSE(bad_utf8);
  CHECK(bad_utf8.error().code == StatusCode::kBadRequest);
}

TEST_CASE("parse_patch_body rejects nesting deeper than kMaxPatchDepth") {
  const std::size_t limit = cairn::apiserver::kMaxPatchDepth;
  std::string ok(limit, '[');
  ok += std::string(limit, ']');
  CHECK(parse_patch_body(ok));

  std::string deep(limit + 1, '[');
  deep += std::string(limit + 1, ']');
  auto rejected = parse_patch_body(deep);
  REQUIRE_FALSE(rejected);
  CHECK(rejected.error().code == StatusCode::kBadRequest);
  CHECK_THAT(rejected.error().message, Catch::Contains("nested deeper than 1000"));

  // Brackets inside strings do not count.
  std::string in_string = "{\"a\":\"" + std::string(limit + 10, '[') + "\\\"{\"}";
  auto parsed = parse_patch_body(in_string);
  REQUIRE(parsed);
  CHECK((*parsed)["a"].get<std::string>().size() == limit + 12);
}
