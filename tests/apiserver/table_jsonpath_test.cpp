// JsonPath: kubectl's JSONPath dialect (parsing, evaluation, printing of values).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/jsonpath.h"

using cairn::apiserver::JsonPath;
using cairn::apiserver::jsonpath_value_string;
using cairn::apiserver::StatusCode;
using nlohmann::json;

namespace {

// The example document of kubernetes.io/docs/reference/kubectl/jsonpath/.
const json& doc_example() {
  static const json kDoc = json::parse(R"({
    "kind": "List",
    "items": [
      {"kind": "None",
       "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
       "status": {"capacity": {"cpu": "4"},
                  "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
      {"kind": "None",
       "metadata": {"name": "127.0.0.2"},
       "status": {"capacity": {"cpu": "8"},
                  "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                {"type": "another", "address": "127.0.0.3"}]}}
    ],
    "users": [
      {"name": "myself", "user": {}},
      {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
    ]
  })");
  return kDoc;
}

const json& pod_example() {
  static const json kPod = json::parse(R"({
    "metadata": {"name": "web-0", "generation": 3},
    "spec": {"replicas": 3, "ratio": 2.0, "list": [10, 20, 30, 40, 50]},
    "status": {
      "conditions": [
        {"type": "Initialized", "status": "True", "message": "init ok"},
        {"type": "Ready", "status": "False", "message": "containers not ready"}
      ],
      "observedGeneration": 3
    }
  })");
  return kPod;
}

std::vector<json> eval(std::string_view expression, const json& document) {
  auto path = JsonPath::parse(expression);
  REQUIRE(path.has_value());
  return path->evaluate(document);
}

std::string parse_error(std::string_view expression) {
  auto path = JsonPath::parse(expression);
  REQUIRE_FALSE(path.has_value());
  CHECK(path.error().code == StatusCode::kBadRequest);
  return path.error().message;
}

}  // namespace

TEST_CASE("jsonpath fields work with and without braces", "[jsonpath]") {
  CHECK(eval(".kind", doc_example()) == std::vector<json>{"List"});
  CHECK(eval("{.kind}", doc_example()) == std::vector<json>{"List"});
  CHECK(eval("{$.kind}", doc_example()) == std::vector<json>{"List"});
  CHECK(eval("{['kind']}", doc_example()) == std::vector<json>{"List"});
  CHECK(eval(".items[0].metadata.name", doc_example()) == std::vector<json>{"127.0.0.1"});
}

TEST_CASE("jsonpath templates mix literal text and actions", "[jsonpath]") {
  CHECK(eval("kind is {.kind}", doc_example()) == std::vector<json>{"kind is ", "List"});
  CHECK(eval(R"({.kind}{"\n"})", doc_example()) == std::vector<json>{"List", "\n"});
  CHECK(eval(R"({"{"})", doc_example()) == std::vector<json>{"{"});
}

TEST_CASE("jsonpath recursive descent visits the document in key order", "[jsonpath]") {
  CHECK(eval("{..name}", doc_example()) ==
        std::vector<json>{"127.0.0.1", "127.0.0.2", "myself", "e2e"});
  CHECK(eval("..address", doc_example()) ==
        std::vector<json>{"127.0.0.1", "127.0.0.2", "127.0.0.3"});
}

TEST_CASE("jsonpath wildcards cover arrays and objects", "[jsonpath]") {
  CHECK(eval("{.items[*].metadata.name}", doc_example()) ==
        std::vector<json>{"127.0.0.1", "127.0.0.2"});
  CHECK(eval(".items[0].status.capacity.*", doc_example()) == std::vector<json>{"4"});
  CHECK(eval(".users.*.name", doc_example()) == std::vector<json>{"myself", "e2e"});
}

TEST_CASE("jsonpath indices, negative indices and slices", "[jsonpath]") {
  const json& pod = pod_example();
  CHECK(eval(".spec.list[0]", pod) == std::vector<json>{10});
  CHECK(eval(".spec.list[-1]", pod) == std::vector<json>{50});
  CHECK(eval(".spec.list[1:3]", pod) == std::vector<json>{20, 30});
  CHECK(eval(".spec.list[-2:]", pod) == std::vector<json>{40, 50});
  CHECK(eval(".spec.list[:2]", pod) == std::vector<json>{10, 20});
  CHECK(eval(".spec.list[::2]", pod) == std::vector<json>{10, 30, 50});
  CHECK(eval(".spec.list[1:5:3]", pod) == std::vector<json>{20, 50});
  CHECK(eval(".spec.list[2:2]", pod).empty());
}

TEST_CASE("jsonpath evaluation errors yield no results", "[jsonpath]") {
  const json& pod = pod_example();
  CHECK(eval(".spec.list[5]", pod).empty());         // out of range
  CHECK(eval(".spec.list[-6]", pod).empty());        // before the start
  CHECK(eval(".spec.list[3:1]", pod).empty());       // start after end
  CHECK(eval(".spec.list[0:2:0]", pod).empty());     // step must be positive
  CHECK(eval(".metadata[0]", pod).empty());          // not an array
  CHECK(eval(".metadata.name.first", pod).empty());  // field of a string: nothing
  CHECK(eval(".status.missing.deeper", pod).empty());
  CHECK(eval("{.kind}{.items[9]}", doc_example()).empty());  // one error empties everything
  CHECK(eval("{metadata.name}", pod).empty());               // bare identifier
}

TEST_CASE("jsonpath unions concatenate their members in order", "[jsonpath]") {
  CHECK(eval("{.items[*]['metadata.name', 'status.capacity']}", doc_example()) ==
        std::vector<json>{"127.0.0.1", "127.0.0.2", {{"cpu", "4"}}, {{"cpu", "8"}}});
  CHECK(eval(".spec.list[0,2,-1]", pod_example()) == std::vector<json>{10, 30, 50});
}

TEST_CASE("jsonpath filters accept both quote styles", "[jsonpath]") {
  const json& pod = pod_example();
  CHECK(eval(R"(.status.conditions[?(@.type=="Ready")].status)", pod) ==
        std::vector<json>{"False"});
  CHECK(eval(".status.conditions[?(@.type=='Ready')].message", pod) ==
        std::vector<json>{"containers not ready"});
  CHECK(eval(R"({.users[?(@.name=="e2e")].user.password})", doc_example()) ==
        std::vector<json>{"secret"});
  CHECK(eval(".status.conditions[?(@.type == 'Initialized')].status", pod) ==
        std::vector<json>{"True"});
  CHECK(eval(R"(.status.conditions[?(@.type!="Ready")].type)", pod) ==
        std::vector<json>{"Initialized"});
}

TEST_CASE("jsonpath filters with escaped quotes inside the value", "[jsonpath]") {
  const json doc = {{"items", {{{"name", "a\"b"}}, {{"name", "ab"}}}}};
  CHECK(eval(R"(.items[?(@.name=="a\"b")].name)", doc) == std::vector<json>{"a\"b"});
}

TEST_CASE("jsonpath existence filters keep elements that have the field", "[jsonpath]") {
  CHECK(eval("{.users[?(@.user.username)].name}", doc_example()) == std::vector<json>{"e2e"});
  CHECK(eval(".items[?(@.metadata.labels)].metadata.name", doc_example()) ==
        std::vector<json>{"127.0.0.1"});
}

TEST_CASE("jsonpath comparisons order numbers and strings", "[jsonpath]") {
  const json doc = json::parse(R"({"items": [
      {"name": "a", "n": 1}, {"name": "b", "n": 2.5}, {"name": "c", "n": 3},
      {"name": "d", "n": "3"}, {"name": "e", "n": true}]})");
  CHECK(eval(".items[?(@.n>2)].name", doc) == std::vector<json>{"b", "c"});
  CHECK(eval(".items[?(@.n>=3)].name", doc) == std::vector<json>{"c"});
  CHECK(eval(".items[?(@.n<2.5)].name", doc) == std::vector<json>{"a"});
  CHECK(eval(".items[?(@.n<=2.5)].name", doc) == std::vector<json>{"a", "b"});
  CHECK(eval(".items[?(@.n==3.0)].name", doc) == std::vector<json>{"c"});
  CHECK(eval(".items[?(@.n=='3')].name", doc) == std::vector<json>{"d"});
  CHECK(eval(".items[?(@.n==true)].name", doc) == std::vector<json>{"e"});
  // Operands of different kinds are never equal, always unequal and never ordered.
  CHECK(eval(".items[?(@.n!=3)].name", doc) == std::vector<json>{"a", "b", "d", "e"});
  CHECK(eval(".items[?(@.name<'c')].name", doc) == std::vector<json>{"a", "b"});
  CHECK(eval(".items[?(@.n>-1)].name", doc) == std::vector<json>{"a", "b", "c"});
}

TEST_CASE("jsonpath filters on a field of each element compare with the document", "[jsonpath]") {
  const json doc = json::parse(R"({"gen": 2, "items": [{"g": 1}, {"g": 2}]})");
  // The right side is evaluated against the element too: .gen is missing there.
  CHECK(eval(".items[?(@.g==@.g)].g", doc) == std::vector<json>{1, 2});
  CHECK(eval(".items[?(@.g==$.gen)].g", doc).empty());
}

TEST_CASE("jsonpath backslash escapes dots in keys", "[jsonpath]") {
  CHECK(eval(R"({.items[0].metadata.labels.kubernetes\.io/hostname})", doc_example()) ==
        std::vector<json>{"127.0.0.1"});
  CHECK(eval(R"({.items[0].metadata.labels['kubernetes\.io/hostname']})", doc_example()) ==
        std::vector<json>{"127.0.0.1"});
  // A quoted key is read as a path, as kube reads it.
  CHECK(eval(R"({.items[0]['metadata.name']})", doc_example()) ==
        std::vector<json>{"127.0.0.1"});
}

TEST_CASE("jsonpath literals evaluate to themselves", "[jsonpath]") {
  CHECK(eval("{5}", doc_example()) == std::vector<json>{5});
  CHECK(eval("{-2.5}", doc_example()) == std::vector<json>{-2.5});
  CHECK(eval("{true}", doc_example()) == std::vector<json>{true});
  // Nodes of one action chain, as in kube: the second literal replaces the first.
  CHECK(eval(R"({'it''s'})", doc_example()) == std::vector<json>{"s"});
  CHECK(eval(R"({"tab\there"})", doc_example()) == std::vector<json>{"tab\there"});
  CHECK(eval("{@}", json{{"a", 1}}) == std::vector<json>{json{{"a", 1}}});
}

TEST_CASE("jsonpath results are copies of the document's values", "[jsonpath]") {
  json doc = {{"a", {{"b", 1}}}};
  auto results = eval(".a", doc);
  doc["a"]["b"] = 2;
  REQUIRE(results.size() == 1);
  CHECK(results[0] == json{{"b", 1}});
}

TEST_CASE("jsonpath syntax errors are BadRequest with a reason", "[jsonpath]") {
  CHECK_THAT(parse_error("{.a"), Catch::Contains("unclosed action"));
  CHECK_THAT(parse_error(".a["), Catch::Contains("unterminated array"));
  CHECK_THAT(parse_error(R"x(.a[?(@.b=="x"))x"), Catch::Contains("unclosed array expect ]"));
  CHECK_THAT(parse_error(R"(.a[?(@.b=="x"])"), Catch::Contains("unterminated filter"));
  CHECK_THAT(parse_error(".a[x]"), Catch::Contains("invalid array index x"));
  CHECK_THAT(parse_error(".a[1:-]"), Catch::Contains("array index - is not a number"));
  CHECK_THAT(parse_error(R"(.a["x)"), Catch::Contains("unterminated array"));
  CHECK_THAT(parse_error(R"({"x})"), Catch::Contains("unterminated quoted string"));
  CHECK_THAT(parse_error(R"({"\q"})"), Catch::Contains("unquote string"));
  CHECK_THAT(parse_error("{#}"), Catch::Contains("unrecognized character in action: U+0023 '#'"));
  CHECK_THAT(parse_error("{.a....b}"), Catch::Contains("invalid multiple recursive descent"));
  CHECK_THAT(parse_error("{1.2.3}"), Catch::Contains("cannot parse number 1.2.3"));
  CHECK_THAT(parse_error(".a[?(@.b=<1)]"), Catch::Contains("unrecognized filter operator =<"));
  CHECK_THAT(parse_error("{range .items[*]}{.name}{end}"), Catch::Contains("range/end"));
  CHECK_THAT(parse_error("{.a"), Catch::Contains("\"{.a\""));
}

TEST_CASE("jsonpath rejects expressions over 4 KiB", "[jsonpath]") {
  const std::string ok = "." + std::string(JsonPath::kMaxExpressionBytes - 1, 'a');
  CHECK(JsonPath::parse(ok).has_value());
  CHECK_THAT(parse_error(ok + "a"), Catch::Contains("longer than 4096 bytes"));
}

TEST_CASE("jsonpath keeps the expression it was parsed from", "[jsonpath]") {
  auto path = JsonPath::parse(".status.phase");
  REQUIRE(path.has_value());
  CHECK(path->expression() == ".status.phase");
  const JsonPath copy = *path;
  CHECK(copy.evaluate(json{{"status", {{"phase", "Active"}}}}) == std::vector<json>{"Active"});
}

TEST_CASE("jsonpath values print as kube prints string cells", "[jsonpath]") {
  CHECK(jsonpath_value_string("text") == "text");
  CHECK(jsonpath_value_string(42) == "42");
  CHECK(jsonpath_value_string(-7) == "-7");
  CHECK(jsonpath_value_string(18446744073709551615ULL) == "18446744073709551615");
  CHECK(jsonpath_value_string(1.5) == "1.5");
  CHECK(jsonpath_value_string(2.0) == "2");
  CHECK(jsonpath_value_string(123456.0) == "123456");
  CHECK(jsonpath_value_string(1e6) == "1e+06");
  CHECK(jsonpath_value_string(123456789.0) == "1.23456789e+08");
  CHECK(jsonpath_value_string(0.0001) == "0.0001");
  CHECK(jsonpath_value_string(0.00001) == "1e-05");
  CHECK(jsonpath_value_string(-0.25) == "-0.25");
  CHECK(jsonpath_value_string(0.0) == "0");
  CHECK(jsonpath_value_string(true) == "true");
  CHECK(jsonpath_value_string(false) == "false");
  CHECK(jsonpath_value_string(nullptr) == "<no value>");
  CHECK(jsonpath_value_string(json{{"b", 1}, {"a", "<x&y>"}}) ==
        R"({"a":"\u003cx\u0026y\u003e","b":1})");
  CHECK(jsonpath_value_string(json::array({1, "a", nullptr, 2.5})) == R"([1,"a",null,2.5])");
}
