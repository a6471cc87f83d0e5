#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/detail/go_text.h"
#include "apiserver/schema.h"

using cairn::apiserver::format_cause;
using cairn::apiserver::StatusCause;
using cairn::apiserver::validate_against_schema;
using nlohmann::json;
namespace go = cairn::apiserver::go;

namespace {

// A root schema with `spec` described by `spec_schema`.
json root_with_spec(const json& spec_schema) {
  return json{{"type", "object"},
              {"properties",
               {{"apiVersion", {{"type", "string"}}},
                {"kind", {{"type", "string"}}},
                {"metadata", {{"type", "object"}}},
                {"spec", spec_schema}}}};
}

json object_with_spec(const json& spec) {
  return json{{"apiVersion", "example.com/v1"},
              {"kind", "Widget"},
              {"metadata", {{"name", "w"}}},
              {"spec", spec}};
}

// The causes as kube prints them in the Invalid message ("<field>: <message>").
std::vector<std::string> errors_of(const json& spec_schema, const json& spec) {
  std::vector<std::string> out;
  for (const auto& c :
       validate_against_schema(root_with_spec(spec_schema), object_with_spec(spec))) {
    out.push_back(format_cause(c));
  }
  return out;
}

json field_schema(const json& field) {
  return json{{"type", "object"}, {"properties", {{"f", field}}}};
}

}  // namespace

TEST_CASE("a valid object has no causes", "[schema]") {
  const json spec_schema = {
      {"type", "object"},
      {"required", {"size"}},
      {"properties",
       {{"size", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}},
        {"name", {{"type", "string"}, {"pattern", "^[a-z]+$"}, {"maxLength", 5}}},
        {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 3}}},
        {"labels", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}}}};
  CHECK(errors_of(spec_schema,
                  {{"size", 3}, {"name", "abc"}, {"tags", {"a", "b"}}, {"labels", {{"x", "y"}}}})
            .empty());
}

TEST_CASE("type mismatches report the JSON type as kube does", "[schema]") {
  struct Case {
    const char* type;
    json value;
    const char* expected;
  } cases[] = {
      {"integer", "x",
       R"(spec.f: Invalid value: "string": spec.f in body must be of type integer: "string")"},
      {"integer", 1.5,
       R"(spec.f: Invalid value: "number": spec.f in body must be of type integer: "number")"},
      {"string", 3,
       R"(spec.f: Invalid value: "integer": spec.f in body must be of type string: "integer")"},
      {"boolean", "true",
       R"(spec.f: Invalid value: "string": spec.f in body must be of type boolean: "string")"},
      {"object", json::array(),
       R"(spec.f: Invalid value: "array": spec.f in body must be of type object: "array")"},
      {"array", json::object(),
       R"(spec.f: Invalid value: "object": spec.f in body must be of type array: "object")"},
      {"object", nullptr,
       R"(spec.f: Invalid value: "null": spec.f in body must be of type object: "null")"},
      {"number", true,
       R"(spec.f: Invalid value: "boolean": spec.f in body must be of type number: "boolean")"},
  };
  for (const auto& c : cases) {
    INFO(c.type << " " << c.value.dump());
    auto causes = validate_against_schema(root_with_spec(field_schema({{"type", c.type}})),
                                          object_with_spec({{"f", c.value}}));
    REQUIRE(causes.size() == 1);
    CHECK(causes[0].reason == "FieldValueTypeInvalid");
    CHECK(causes[0].field == "spec.f");
    CHECK(format_cause(causes[0]) == c.expected);
  }
}

TEST_CASE("integral floats are integers and integers are numbers", "[schema]") {
  CHECK(errors_of(field_schema({{"type", "integer"}}), {{"f", 3.0}}).empty());
  CHECK(errors_of(field_schema({{"type", "number"}}), {{"f", 3}}).empty());
  CHECK(
      errors_of(field_schema({{"type", "object"}, {"nullable", true}}), {{"f", nullptr}}).empty());
}

TEST_CASE("required fields are reported per missing field", "[schema]") {
  const json schema = {{"type", "object"},
                       {"required", {"a", "b"}},
                       {"properties", {{"a", {{"type", "string"}}}, {"b", {{"type", "string"}}}}}};
  auto causes = validate_against_schema(root_with_spec(schema), object_with_spec({{"a", "x"}}));
  REQUIRE(causes.size() == 1);
  CHECK(causes[0].reason == "FieldValueRequired");
  CHECK(causes[0].field == "spec.b");
  CHECK(causes[0].message == "Required value");

  const json root = {
      {"type", "object"}, {"required", {"spec"}}, {"properties", {{"spec", {{"type", "object"}}}}}};
  auto missing = validate_against_schema(root, {{"apiVersion", "v1"}, {"kind", "K"}});
  REQUIRE(missing.size() == 1);
  CHECK(format_cause(missing[0]) == "spec: Required value");
}

TEST_CASE("enum violations list the supported values", "[schema]") {
  auto errs = errors_of(field_schema({{"type", "string"}, {"enum", {"red", "green", "blue"}}}),
                        {{"f", "pink"}});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] ==
        R"(spec.f: Unsupported value: "pink": supported values: "red", "green", "blue")");

  auto numbers =
      validate_against_schema(root_with_spec(field_schema({{"type", "integer"}, {"enum", {1, 2}}})),
                              object_with_spec({{"f", 3}}));
  REQUIRE(numbers.size() == 1);
  CHECK(numbers[0].reason == "FieldValueNotSupported");
  CHECK(numbers[0].message == R"(Unsupported value: 3: supported values: "1", "2")");
}

TEST_CASE("a wrong type is reported together with the enum violation", "[schema]") {
  auto errs = errors_of(field_schema({{"type", "string"}, {"enum", {"a", "b"}}}), {{"f", true}});
  REQUIRE(errs.size() == 2);
  CHECK(errs[0] ==
        R"(spec.f: Invalid value: "boolean": spec.f in body must be of type string: "boolean")");
  CHECK(errs[1] == R"(spec.f: Unsupported value: true: supported values: "a", "b")");
}

TEST_CASE("numeric limits use kube-openapi's messages", "[schema]") {
  struct Case {
    json schema;
    json value;
    const char* expected;
  } cases[] = {
      {{{"type", "integer"}, {"maximum", 10}},
       11,
       "spec.f: Invalid value: 11: spec.f in body should be less than or equal to 10"},
      {{{"type", "integer"}, {"maximum", 10}, {"exclusiveMaximum", true}},
       10,
       "spec.f: Invalid value: 10: spec.f in body should be less than 10"},
      {{{"type", "integer"}, {"minimum", 1}},
       0,
       "spec.f: Invalid value: 0: spec.f in body should be greater than or equal to 1"},
      {{{"type", "integer"}, {"minimum", 1}, {"exclusiveMinimum", true}},
       1,
       "spec.f: Invalid value: 1: spec.f in body should be greater than 1"},
      {{{"type", "number"}, {"maximum", 2.5}},
       2.75,
       "spec.f: Invalid value: 2.75: spec.f in body should be less than or equal to 2.5"},
      {{{"type", "integer"}, {"multipleOf", 3}},
       7,
       "spec.f: Invalid value: 7: spec.f in body should be a multiple of 3"},
      {{{"type", "number"}, {"multipleOf", 0.5}},
       0.75,
       "spec.f: Invalid value: 0.75: spec.f in body should be a multiple of 0.5"},
  };
  for (const auto& c : cases) {
    INFO(c.schema.dump() << " " << c.value.dump());
    auto errs = errors_of(field_schema(c.schema), {{"f", c.value}});
    REQUIRE(errs.size() == 1);
    CHECK(errs[0] == c.expected);
  }
  CHECK(errors_of(field_schema({{"type", "integer"}, {"maximum", 10}}), {{"f", 10}}).empty());
  CHECK(errors_of(field_schema({{"type", "number"}, {"multipleOf", 0.5}}), {{"f", 1.5}}).empty());
}

TEST_CASE("string checks: lengths in characters, patterns, formats", "[schema]") {
  auto too_long =
      validate_against_schema(root_with_spec(field_schema({{"type", "string"}, {"maxLength", 3}})),
                              object_with_spec({{"f", "abcd"}}));
  REQUIRE(too_long.size() == 1);
  CHECK(too_long[0].reason == "FieldValueTooLong");
  CHECK(format_cause(too_long[0]) == "spec.f: Too long: value is too long");

  // Three characters, six bytes: within maxLength 3.
  CHECK(errors_of(field_schema({{"type", "string"}, {"maxLength", 3}}), {{"f", "äöü"}}).empty());

  auto too_short = errors_of(field_schema({{"type", "string"}, {"minLength", 3}}), {{"f", "ab"}});
  REQUIRE(too_short.size() == 1);
  CHECK(too_short[0] ==
        R"(spec.f: Invalid value: "ab": spec.f in body should be at least 3 chars long)");

  auto pattern =
      errors_of(field_schema({{"type", "string"}, {"pattern", "^[a-z]+$"}}), {{"f", "ABC"}});
  REQUIRE(pattern.size() == 1);
  CHECK(pattern[0] == R"(spec.f: Invalid value: "ABC": spec.f in body should match '^[a-z]+$')");
  // Go regexp semantics: unanchored patterns match anywhere.
  CHECK(errors_of(field_schema({{"type", "string"}, {"pattern", "b"}}), {{"f", "abc"}}).empty());
}

TEST_CASE("string formats are checked like kube-openapi's registry", "[schema]") {
  struct Case {
    const char* format;
    const char* good;
    const char* bad;
  } cases[] = {
      {"date", "2024-02-29", "2023-02-29"},
      {"date-time", "2024-01-02T03:04:05Z", "2024-01-02 03:04"},
      {"uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567"},
      {"email", "a@example.com", "not-an-email"},
      {"hostname", "node-1.example.com", "-bad-.example"},
      {"ipv4", "10.0.0.1", "10.0.0.256"},
      {"ipv6", "fd00::1", "10.0.0.1"},
      {"cidr", "10.0.0.0/8", "10.0.0.0/33"},
      {"mac", "00:1a:2b:3c:4d:5e", "00:1a:2b"},
      {"byte", "aGVsbG8=", "a"},
      {"duration", "1h30m", "forever"},
      {"uri", "https://example.com/x", "not a uri"},
  };
  for (const auto& c : cases) {
    INFO(c.format);
    const json schema = field_schema({{"type", "string"}, {"format", c.format}});
    CHECK(errors_of(schema, {{"f", c.good}}).empty());
    auto causes = validate_against_schema(root_with_spec(schema), object_with_spec({{"f", c.bad}}));
    REQUIRE(causes.size() == 1);
    CHECK(causes[0].reason == "FieldValueTypeInvalid");
    CHECK(causes[0].message == "Invalid value: " + go::value(json(c.bad)) +
                                   ": spec.f in body must be of type " + c.format + ": " +
                                   go::value(json(c.bad)));
  }
  // Formats kube does not check accept anything.
  CHECK(
      errors_of(field_schema({{"type", "string"}, {"format", "password"}}), {{"f", "x"}}).empty());
}

TEST_CASE("array checks: items paths, minItems, maxItems, uniqueItems", "[schema]") {
  const json items = {
      {"type", "object"}, {"required", {"name"}}, {"properties", {{"name", {{"type", "string"}}}}}};
  auto errs = errors_of(field_schema({{"type", "array"}, {"items", items}}),
                        {{"f", {{{"name", "a"}}, {{"name", "b"}}, json::object()}}});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "spec.f[2].name: Required value");

  auto many = validate_against_schema(
      root_with_spec(
          field_schema({{"type", "array"}, {"items", {{"type", "string"}}}, {"maxItems", 2}})),
      object_with_spec({{"f", {"a", "b", "c"}}}));
  REQUIRE(many.size() == 1);
  CHECK(many[0].reason == "FieldValueTooMany");
  CHECK(format_cause(many[0]) == "spec.f: Too many: 3: has too many items");

  auto few =
      errors_of(field_schema({{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 2}}),
                {{"f", {"a"}}});
  REQUIRE(few.size() == 1);
  CHECK(few[0] == "spec.f: Invalid value: 1: spec.f in body should have at least 2 items");

  auto unique = errors_of(
      field_schema({{"type", "array"}, {"items", {{"type", "string"}}}, {"uniqueItems", true}}),
      {{"f", {"a", "a"}}});
  REQUIRE(unique.size() == 1);
  CHECK(unique[0] == R"(spec.f: Invalid value: "": spec.f in body shouldn't contain duplicates)");
}

TEST_CASE("list-type set and map report duplicates", "[schema]") {
  auto set = validate_against_schema(
      root_with_spec(field_schema(
          {{"type", "array"}, {"items", {{"type", "string"}}}, {"x-kubernetes-list-type", "set"}})),
      object_with_spec({{"f", {"a", "b", "a"}}}));
  REQUIRE(set.size() == 1);
  CHECK(set[0].reason == "FieldValueDuplicate");
  CHECK(format_cause(set[0]) == R"(spec.f[2]: Duplicate value: "a")");

  const json map_schema = {
      {"type", "array"},
      {"x-kubernetes-list-type", "map"},
      {"x-kubernetes-list-map-keys", {"name"}},
      {"items",
       {{"type", "object"},
        {"properties", {{"name", {{"type", "string"}}}, {"port", {{"type", "integer"}}}}}}}};
  auto map = validate_against_schema(
      root_with_spec(field_schema(map_schema)),
      object_with_spec({{"f", {{{"name", "a"}, {"port", 1}}, {{"name", "a"}, {"port", 2}}}}}));
  REQUIRE(map.size() == 1);
  CHECK(format_cause(map[0]) == R"(spec.f[1]: Duplicate value: {"name":"a"})");
}

TEST_CASE("object checks: additionalProperties, property counts", "[schema]") {
  auto map_errs =
      errors_of(field_schema({{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}),
                {{"f", {{"a", 1}, {"b", "x"}}}});
  REQUIRE(map_errs.size() == 1);
  CHECK(map_errs[0] ==
        R"(spec.f.b: Invalid value: "string": spec.f.b in body must be of type integer: "string")");

  auto too_many = validate_against_schema(
      root_with_spec(field_schema({{"type", "object"},
                                   {"additionalProperties", {{"type", "string"}}},
                                   {"maxProperties", 1}})),
      object_with_spec({{"f", {{"a", "1"}, {"b", "2"}}}}));
  REQUIRE(too_many.size() == 1);
  CHECK(too_many[0].reason == "FieldValueTooMany");
  CHECK(too_many[0].message == "Too many: 2: has too many items");

  auto too_few = errors_of(field_schema({{"type", "object"},
                                         {"additionalProperties", {{"type", "string"}}},
                                         {"minProperties", 2}}),
                           {{"f", {{"a", "1"}}}});
  REQUIRE(too_few.size() == 1);
  CHECK(too_few[0] == "spec.f: Invalid value: 1: spec.f in body should have at least 2 properties");

  auto closed = errors_of(field_schema({{"type", "object"},
                                        {"properties", {{"a", {{"type", "string"}}}}},
                                        {"additionalProperties", false}}),
                          {{"f", {{"a", "1"}, {"zz", 2}}}});
  REQUIRE(closed.size() == 1);
  CHECK(closed[0] == R"(spec.f: Invalid value: "zz": spec.f.zz in body is a forbidden property)");
}

TEST_CASE("required is checked after the properties", "[schema]") {
  auto errs = errors_of(field_schema({{"type", "object"},
                                      {"required", {"a"}},
                                      {"properties", {{"b", {{"type", "integer"}}}}}}),
                        {{"f", {{"b", "x"}}}});
  REQUIRE(errs.size() == 2);
  CHECK(errs[0] ==
        R"(spec.f.b: Invalid value: "string": spec.f.b in body must be of type integer: "string")");
  CHECK(errs[1] == "spec.f.a: Required value");
}

TEST_CASE("int-or-string accepts integers and strings only", "[schema]") {
  const json schema = field_schema({{"x-kubernetes-int-or-string", true}});
  CHECK(errors_of(schema, {{"f", 42}}).empty());
  CHECK(errors_of(schema, {{"f", "50%"}}).empty());
  auto errs = errors_of(schema, {{"f", 1.5}});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] ==
        R"(spec.f: Invalid value: "number": spec.f in body must be of type integer,string: )"
        R"("number")");
  auto null_errs = errors_of(schema, {{"f", nullptr}});
  REQUIRE(null_errs.size() == 1);
  CHECK(null_errs[0] ==
        R"(spec.f: Invalid value: "null": spec.f in body must be of type integer,string: "null")");
}

TEST_CASE("preserve-unknown-fields without a type accepts any value", "[schema]") {
  const json schema = field_schema({{"x-kubernetes-preserve-unknown-fields", true}});
  CHECK(errors_of(schema, {{"f", {{"anything", {1, 2}}}}}).empty());
  CHECK(errors_of(schema, {{"f", "x"}}).empty());
}

TEST_CASE("embedded resources need apiVersion and kind", "[schema]") {
  const json schema = field_schema({{"type", "object"},
                                    {"x-kubernetes-embedded-resource", true},
                                    {"x-kubernetes-preserve-unknown-fields", true}});
  CHECK(errors_of(schema, {{"f", {{"apiVersion", "v1"}, {"kind", "Pod"}}}}).empty());
  auto errs = errors_of(schema, {{"f", {{"kind", "Pod"}}}});
  REQUIRE(errs.size() == 1);
  CHECK(errs[0] == "spec.f.apiVersion: Required value: must not be empty");
}

TEST_CASE("anyOf, oneOf, allOf and not report on kube's nil field", "[schema]") {
  const json any =
      field_schema({{"type", "string"}, {"anyOf", {{{"pattern", "^a"}}, {{"pattern", "^b"}}}}});
  CHECK(errors_of(any, {{"f", "bx"}}).empty());
  auto any_errs = errors_of(any, {{"f", "cx"}});
  REQUIRE(any_errs.size() == 2);
  CHECK(any_errs[0] ==
        R"(<nil>: Invalid value: "": "spec.f" must validate at least one schema (anyOf))");
  CHECK(any_errs[1] == R"(spec.f: Invalid value: "cx": spec.f in body should match '^a')");

  const json one =
      field_schema({{"type", "integer"}, {"oneOf", {{{"minimum", 0}}, {{"maximum", 10}}}}});
  auto one_errs = errors_of(one, {{"f", 5}});
  REQUIRE(one_errs.size() == 1);
  CHECK(one_errs[0] ==
        R"(<nil>: Invalid value: "": "spec.f" must validate one and only one schema (oneOf). )"
        R"(Found 2 valid alternatives)");

  const json all =
      field_schema({{"type", "integer"}, {"allOf", {{{"minimum", 0}}, {{"maximum", 10}}}}});
  auto all_errs = errors_of(all, {{"f", 11}});
  REQUIRE(all_errs.size() == 2);
  CHECK(all_errs[0] ==
        R"(<nil>: Invalid value: "": "spec.f" must validate all the schemas (allOf). Validated 1 )"
        R"(over 2)");
  CHECK(all_errs[1] ==
        "spec.f: Invalid value: 11: spec.f in body should be less than or equal to 10");

  const json no = field_schema({{"type", "string"}, {"not", {{"enum", {"forbidden"}}}}});
  auto not_errs = errors_of(no, {{"f", "forbidden"}});
  REQUIRE(not_errs.size() == 1);
  CHECK(not_errs[0] == R"(<nil>: Invalid value: "": "spec.f" must not validate the schema (not))");
}

TEST_CASE("root metadata is only checked against name and generateName restrictions", "[schema]") {
  const json schema = {{"type", "object"},
                       {"properties",
                        {{"metadata",
                          {{"type", "object"},
                           {"properties", {{"name", {{"type", "string"}, {"maxLength", 5}}}}}}}}}};
  CHECK(validate_against_schema(schema, {{"metadata", {{"name", "abc"}, {"labels", {{"a", "b"}}}}}})
            .empty());
  auto causes = validate_against_schema(schema, {{"metadata", {{"name", "abcdefg"}}}});
  REQUIRE(causes.size() == 1);
  CHECK(format_cause(causes[0]) == "metadata.name: Too long: value is too long");
}

TEST_CASE("validation stops at the cause cap", "[schema]") {
  json items = json::array();
  for (int i = 0; i < 1500; ++i) items.push_back("x");
  auto causes = validate_against_schema(
      root_with_spec(field_schema({{"type", "array"}, {"items", {{"type", "integer"}}}})),
      object_with_spec({{"f", items}}));
  CHECK(causes.size() == 1000);
  CHECK(causes.back().field == "spec.f[999]");
}
