// JSON patch (RFC 6902).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/patch.h"

namespace {

using cairn::apiserver::json_patch;
using cairn::apiserver::StatusCode;
using nlohmann::json;

// Applies `patch` to `target` and returns the result; fails the test on an error.
json applied(const json& target, const json& patch) {
  auto result = json_patch(target, patch);
  INFO("patch " << patch.dump());
  if (!result) FAIL_CHECK("json_patch failed: " << result.error().message);
  return result ? *result : json();
}

cairn::apiserver::Status failure(const json& target, const json& patch,
                                 std::size_t max_bytes = 3 * 1024 * 1024) {
  auto result = json_patch(target, patch, max_bytes);
  INFO("patch " << patch.dump());
  REQUIRE_FALSE(result);
  return result.error();
}

}  // namespace

TEST_CASE("json patch reproduces the successful examples of RFC 6902 appendix A") {
  // A.1 adding an object member
  CHECK(applied(R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/baz","value":"qux"}])"_json) ==
        R"({"baz":"qux","foo":"bar"})"_json);
  // A.2 adding an array element
  CHECK(applied(R"({"foo":["bar","baz"]})"_json,
                R"([{"op":"add","path":"/foo/1","value":"qux"}])"_json) ==
        R"({"foo":["bar","qux","baz"]})"_json);
  // A.3 removing an object member
  CHECK(applied(R"({"baz":"qux","foo":"bar"})"_json, R"([{"op":"remove","path":"/baz"}])"_json) ==
        R"({"foo":"bar"})"_json);
  // A.4 removing an array element
  CHECK(applied(R"({"foo":["bar","qux","baz"]})"_json,
                R"([{"op":"remove","path":"/foo/1"}])"_json) == R"({"foo":["bar","baz"]})"_json);
  // A.5 replacing a value
  CHECK(applied(R"({"baz":"qux","foo":"bar"})"_json,
                R"([{"op":"replace","path":"/baz","value":"boo"}])"_json) ==
        R"({"baz":"boo","foo":"bar"})"_json);
  // A.6 moving a value
  CHECK(applied(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"_json,
                R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"_json) ==
        R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})"_json);
  // A.7 moving an array element
  CHECK(applied(R"({"foo":["all","grass","cows","eat"]})"_json,
                R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"_json) ==
        R"({"foo":["all","cows","eat","grass"]})"_json);
  // A.8 testing a value: success
  const json a8 = R"({"baz":"qux","foo":["a",2,"c"]})"_json;
  CHECK(applied(a8, R"([{"op":"test","path":"/baz","value":"qux"},
                        {"op":"test","path":"/foo/1","value":2}])"_json) == a8);
  // A.10 adding a nested member object
  CHECK(applied(R"({"foo":"bar"})"_json,
                R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])"_json) ==
        R"({"foo":"bar","child":{"grandchild":{}}})"_json);
  // A.11 ignoring unrecognized elements
  CHECK(applied(R"({"foo":"bar"})"_json,
                R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])"_json) ==
        R"({"foo":"bar","baz":"qux"})"_json);
  // A.14 ~ escape ordering
  const json a14 = R"({"/":9,"~1":10})"_json;
  CHECK(applied(a14, R"([{"op":"test","path":"/~01","value":10}])"_json) == a14);
  // A.16 adding an array value
  CHECK(applied(R"({"foo":["bar"]})"_json,
                R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"_json) ==
        R"({"foo":["bar",["abc","def"]]})"_json);
}

TEST_CASE("json patch reports the failing examples of RFC 6902 appendix A as Invalid") {
  // A.9 testing a value: error
  auto a9 = failure(R"({"baz":"qux"})"_json, R"([{"op":"test","path":"/baz","value":"bar"}])"_json);
  CHECK(a9.code == StatusCode::kInvalid);
  CHECK(a9.http_code() == 422);
  CHECK(a9.message == "testing value /baz failed: test failed");
  // A.12 adding to a nonexistent target
  auto a12 =
      failure(R"({"foo":"bar"})"_json, R"([{"op":"add","path":"/baz/bat","value":"qux"}])"_json);
  CHECK(a12.code == StatusCode::kInvalid);
  CHECK(a12.message ==
        R"(add operation does not apply: doc is missing path: "/baz/bat": missing value)");
  // A.15 comparing strings and numbers
  auto a15 =
      failure(R"({"/":9,"~1":10})"_json, R"([{"op":"test","path":"/~01","value":"10"}])"_json);
  CHECK(a15.code == StatusCode::kInvalid);
}

TEST_CASE("json patch pointers unescape ~1 to slash and ~0 to tilde") {
  const json target = R"({"metadata":{"labels":{"app.kubernetes.io/name":"x","a~b":"y"}}})"_json;
  const json patch = R"([
    {"op":"replace","path":"/metadata/labels/app.kubernetes.io~1name","value":"z"},
    {"op":"remove","path":"/metadata/labels/a~0b"},
    {"op":"add","path":"/metadata/labels/~01","value":"w"}
  ])"_json;
  CHECK(applied(target, patch) ==
        R"({"metadata":{"labels":{"app.kubernetes.io/name":"z","~1":"w"}}})"_json);
}

TEST_CASE("json patch copy duplicates values and add with an empty path replaces the document") {
  CHECK(applied(R"({"a":{"b":[1]}})"_json, R"([{"op":"copy","from":"/a","path":"/c"},
                                              {"op":"add","path":"/c/b/0","value":0}])"_json) ==
        R"({"a":{"b":[1]},"c":{"b":[0,1]}})"_json);
  CHECK(applied(R"({"a":1})"_json, R"([{"op":"add","path":"","value":[1]}])"_json) ==
        R"([1])"_json);
  CHECK(applied(R"({"a":1})"_json, R"([{"op":"replace","path":"","value":{"b":2}}])"_json) ==
        R"({"b":2})"_json);
  CHECK(applied(R"({"a":[1,2]})"_json, R"([{"op":"test","path":"","value":{"a":[1,2]}}])"_json) ==
        R"({"a":[1,2]})"_json);
  // An existing member is overwritten by add.
  CHECK(applied(R"({"a":1})"_json, R"([{"op":"add","path":"/a","value":2}])"_json) ==
        R"({"a":2})"_json);
  // Numbers compare by value in test.
  CHECK(applied(R"({"a":1})"_json, R"([{"op":"test","path":"/a","value":1.0}])"_json) ==
        R"({"a":1})"_json);
  // An empty patch changes nothing.
  CHECK(applied(R"({"a":1})"_json, json::array()) == R"({"a":1})"_json);
}

TEST_CASE("json patch applies operations in order and keeps nothing of a failed patch") {
  const json target = R"({"metadata":{"resourceVersion":"5"},"data":{"a":"1"}})"_json;
  const json copy = target;
  auto stale = json_patch(target, R"([
    {"op":"add","path":"/data/b","value":"2"},
    {"op":"test","path":"/metadata/resourceVersion","value":"4"}
  ])"_json);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == StatusCode::kInvalid);
  CHECK(target == copy);
  CHECK(applied(target, R"([{"op":"add","path":"/data/b","value":"2"},
                            {"op":"move","from":"/data/b","path":"/data/c"},
                            {"op":"remove","path":"/data/a"}])"_json) ==
        R"({"metadata":{"resourceVersion":"5"},"data":{"c":"2"}})"_json);
}

TEST_CASE("json patch operations that cannot apply are Invalid with kube-like messages") {
  const json target = R"({"a":{"b":1},"list":[1,2,3]})"_json;
  auto remove_missing = failure(target, R"([{"op":"remove","path":"/a/c"}])"_json);
  CHECK(remove_missing.code == StatusCode::kInvalid);
  CHECK(remove_missing.message ==
        "error in remove for path: '/a/c': Unable to remove nonexistent key: c: missing value");
  auto remove_parent = failure(target, R"([{"op":"remove","path":"/x/y"}])"_json);
  CHECK(remove_parent.message ==
        R"(remove operation does not apply: doc is missing path: "/x/y": missing value)");
  auto replace_missing = failure(target, R"([{"op":"replace","path":"/z","value":1}])"_json);
  CHECK(replace_missing.code == StatusCode::kInvalid);
  CHECK(replace_missing.message ==
        "replace operation does not apply: doc is missing key: /z: missing value");
  auto out_of_range = failure(target, R"([{"op":"add","path":"/list/4","value":9}])"_json);
  CHECK(out_of_range.code == StatusCode::kInvalid);
  CHECK(out_of_range.message ==
        "error in add for path: '/list/4': Unable to access invalid "
        "index: 4: invalid index referenced");
  CHECK(failure(target, R"([{"op":"remove","path":"/list/3"}])"_json).code == StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"remove","path":"/list/-"}])"_json).code == StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"add","path":"/list/01","value":0}])"_json).code ==
        StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"replace","path":"/list/x","value":0}])"_json).code ==
        StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"add","path":"/a/b/c","value":0}])"_json).code ==
        StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"test","path":"/nope","value":0}])"_json).message ==
        "test operation does not apply: is missing path: /nope: missing value");
  CHECK(failure(target, R"([{"op":"move","from":"/nope","path":"/x"}])"_json).message ==
        "move operation does not apply: doc is missing from path: /nope: missing value");
  CHECK(failure(target, R"([{"op":"copy","from":"/nope","path":"/x"}])"_json).message ==
        "copy operation does not apply: doc is missing from path: /nope: missing value");
  auto into_child = failure(target, R"([{"op":"move","from":"/a","path":"/a/b/c"}])"_json);
  CHECK(into_child.code == StatusCode::kInvalid);
  CHECK(failure(target, R"([{"op":"remove","path":""}])"_json).code == StatusCode::kInvalid);
  // Moving a value onto itself is allowed and changes nothing.
  CHECK(applied(target, R"([{"op":"move","from":"/a","path":"/a"}])"_json) == target);
}

TEST_CASE("malformed json patch documents are BadRequest before any operation applies") {
  const json target = R"({"a":1})"_json;
  auto not_array = failure(target, R"({"op":"add","path":"/b","value":1})"_json);
  CHECK(not_array.code == StatusCode::kBadRequest);
  CHECK(not_array.http_code() == 400);
  CHECK(not_array.message == "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  CHECK(failure(target, json()).code == StatusCode::kBadRequest);
  CHECK(failure(target, R"([1])"_json).code == StatusCode::kBadRequest);

  auto missing_op = failure(target, R"([{"path":"/a"}])"_json);
  CHECK(missing_op.code == StatusCode::kBadRequest);
  CHECK(missing_op.message == "JSON patch operation 0: operation missing op field");
  auto unknown_op = failure(target, R"([{"op":"increment","path":"/a"}])"_json);
  CHECK(unknown_op.code == StatusCode::kBadRequest);
  CHECK(unknown_op.message == "JSON patch operation 0: Unexpected kind: increment");
  CHECK(failure(target, R"([{"op":"remove","path":1}])"_json).code == StatusCode::kBadRequest);
  CHECK(failure(target, R"([{"op":"remove"}])"_json).code == StatusCode::kBadRequest);
  auto no_slash = failure(target, R"([{"op":"remove","path":"a"}])"_json);
  CHECK(no_slash.code == StatusCode::kBadRequest);
  CHECK(no_slash.message == R"(JSON patch operation 0: invalid JSON pointer "a")");
  CHECK(failure(target, R"([{"op":"remove","path":"/a~2"}])"_json).code == StatusCode::kBadRequest);
  CHECK(failure(target, R"([{"op":"remove","path":"/a~"}])"_json).code == StatusCode::kBadRequest);
  CHECK(failure(target, R"([{"op":"move","path":"/b"}])"_json).code == StatusCode::kBadRequest);
  CHECK(failure(target, R"([{"op":"copy","from":"x","path":"/b"}])"_json).code ==
        StatusCode::kBadRequest);
  CHECK(failure(target, R"([{"op":"add","path":"/b"}])"_json).code == StatusCode::kBadRequest);
  // The malformed second operation is reported even though the first would fail to apply.
  auto second = failure(target, R"([{"op":"test","path":"/a","value":2},{"op":"bogus"}])"_json);
  CHECK(second.code == StatusCode::kBadRequest);
  CHECK_THAT(second.message, Catch::StartsWith("JSON patch operation 1: "));
}

TEST_CASE("json patch limits operations and the size of the patched document") {
  json many = json::array();
  for (int i = 0; i < 10001; ++i) many.push_back({{"op", "test"}, {"path", "/a"}, {"value", 1}});
  auto too_many = failure(R"({"a":1})"_json, many);
  CHECK(too_many.code == StatusCode::kRequestEntityTooLarge);
  CHECK(too_many.http_code() == 413);
  CHECK(too_many.message == "The allowed maximum operations in a JSON patch is 10000, got 10001");
  many.erase(many.size() - 1);
  CHECK(applied(R"({"a":1})"_json, many) == R"({"a":1})"_json);

  // Copies that double the document hit the limit instead of growing without bound.
  json doubling = json::array();
  doubling.push_back(
      {{"op", "add"}, {"path", "/v"}, {"value", json::array({std::string(100, 'x')})}});
  for (int i = 0; i < 40; ++i)
    doubling.push_back({{"op", "copy"}, {"from", "/v"}, {"path", "/v/-"}});
  auto large = json_patch(json::object(), doubling, 64 * 1024);
  REQUIRE_FALSE(large);
  CHECK(large.error().code == StatusCode::kRequestEntityTooLarge);
  CHECK(large.error().message == "Request entity too large: limit is 65536");

  auto big_add = failure(
      json::object(),
      json::array({{{"op", "add"}, {"path", "/x"}, {"value", std::string(2000, 'y')}}}), 1000);
  CHECK(big_add.code == StatusCode::kRequestEntityTooLarge);
  // Removing first makes room.
  const json big = {{"old", std::string(900, 'o')}};
  CHECK(
      json_patch(big,
                 json::array({{{"op", "remove"}, {"path", "/old"}},
                              {{"op", "add"}, {"path", "/new"}, {"value", std::string(900, 'n')}}}),
                 1000));
}

TEST_CASE("json patch addresses nested array elements and appends with -") {
  const json target = R"({"spec":{"containers":[{"name":"a","args":["x"]},{"name":"b"}]}})"_json;
  CHECK(applied(target, R"([
    {"op":"replace","path":"/spec/containers/1/name","value":"c"},
    {"op":"add","path":"/spec/containers/0/args/-","value":"y"},
    {"op":"add","path":"/spec/containers/0/args/0","value":"w"},
    {"op":"add","path":"/spec/containers/2","value":{"name":"d"}},
    {"op":"test","path":"/spec/containers/0/args","value":["w","x","y"]}
  ])"_json) == R"({"spec":{"containers":[{"name":"a","args":["w","x","y"]},{"name":"c"},
                                           {"name":"d"}]}})"_json);
}
