#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/schema.h"

using cairn::apiserver::check_structural_schema;
using cairn::apiserver::format_cause;
using nlohmann::json;

namespace {

const char* const kPath = "spec.versions[0].schema.openAPIV3Schema";

std::vector<std::string> check(const json& schema) {
  std::vector<std::string> out;
  for (const auto& c : check_structural_schema(schema, kPath)) out.push_back(format_cause(c));
  return out;
}

std::string at(const std::string& suffix) { return std::string(kPath) + suffix; }

}  // namespace

TEST_CASE("a structural schema passes", "[schema][structural]") {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "metadata": {"type": "object",
                   "properties": {"name": {"type": "string", "maxLength": 20}}},
      "spec": {"type": "object",
               "properties": {
                 "port": {"x-kubernetes-int-or-string": true,
                          "anyOf": [{"type": "integer"}, {"type": "string"}]},
                 "raw": {"x-kubernetes-preserve-unknown-fields": true},
                 "tags": {"type": "array", "items": {"type": "string"},
                          "x-kubernetes-list-type": "set"},
                 "size": {"type": "integer", "default": 3, "minimum": 1},
                 "name": {"type": "string", "pattern": "^[a-z]+$",
                          "anyOf": [{"maxLength": 5}, {"minLength": 10}]}
               }}
    }
  })");
  CHECK(check(schema).empty());
}

TEST_CASE("missing types are reported per level", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "properties": {
      "a": {"description": "no type"},
      "b": {"type": "array", "items": {"description": "no type"}},
      "c": {"type": "array"}
    }
  })"));
  CHECK(errs == std::vector<std::string>{
                    at(".properties[a].type: Required value: must not be empty for specified "
                       "object fields"),
                    at(".properties[b].items.type: Required value: must not be empty for "
                       "specified array items"),
                    at(".properties[c].items: Required value: must be specified"),
                    at(".type: Required value: must not be empty at the root"),
                });
}

TEST_CASE("the root must be an object without additionalProperties", "[schema][structural]") {
  auto errs = check(json::parse(R"({"type": "string"})"));
  CHECK(errs == std::vector<std::string>{
                    at(R"(.type: Invalid value: "string": must be object at the root)")});
  auto map =
      check(json::parse(R"({"type": "object", "additionalProperties": {"type": "string"}})"));
  CHECK(map == std::vector<std::string>{
                   at(".additionalProperties: Forbidden: must not be used at the root")});
}

TEST_CASE("openapi restrictions: $ref, uniqueItems, additionalProperties with properties",
          "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {
      "a": {"$ref": "#/definitions/x", "type": "object"},
      "b": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
      "c": {"type": "object", "properties": {"x": {"type": "string"}},
            "additionalProperties": {"type": "string"}},
      "d": {"type": "strnig"}
    }
  })"));
  CHECK(errs ==
        std::vector<std::string>{
            at(".properties[a].$ref: Forbidden: $ref is not supported"),
            at(".properties[b].uniqueItems: Forbidden: uniqueItems cannot be set to true "
               "since the runtime complexity becomes quadratic"),
            at(".properties[c].additionalProperties: Forbidden: additionalProperties and "
               "properties are mutual exclusive"),
            at(R"(.properties[d].type: Unsupported value: "strnig": supported values: "array", )"
               R"("boolean", "integer", "number", "object", "string")"),
        });
}

TEST_CASE("metadata may only restrict name and generateName", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {"metadata": {"type": "object",
                                "properties": {"labels": {"type": "object"}}}}
  })"));
  CHECK(errs == std::vector<std::string>{
                    at(".properties[metadata]: Forbidden: must not specify anything other than "
                       "name and generateName, but metadata is implicitly specified")});
  auto typed = check(json::parse(R"({
    "type": "object", "properties": {"metadata": {"type": "string"}}})"));
  CHECK(typed == std::vector<std::string>{
                     at(R"(.properties[metadata].type: Invalid value: "string": must be object)")});
}

TEST_CASE("value validations may not carry structure", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {"a": {"type": "string",
                         "anyOf": [{"type": "string", "description": "d"}, {"nullable": true}],
                         "not": {"properties": {"metadata": {"maxLength": 1}}}}}
  })"));
  CHECK(errs == std::vector<std::string>{
                    at(".properties[a].anyOf[0].description: Forbidden: must be empty to be "
                       "structural"),
                    at(".properties[a].anyOf[0].type: Forbidden: must be empty to be structural"),
                    at(".properties[a].anyOf[1].nullable: Forbidden: must be false to be "
                       "structural"),
                    at(".properties[a].not.properties[metadata]: Forbidden: must not be "
                       "specified in a nested context"),
                });
}

TEST_CASE("invalid patterns and extension conflicts are reported", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {
      "p": {"type": "string", "pattern": "(unclosed"},
      "q": {"x-kubernetes-int-or-string": true, "x-kubernetes-preserve-unknown-fields": true},
      "e": {"type": "object", "x-kubernetes-embedded-resource": true}
    }
  })"));
  REQUIRE(errs.size() == 3);
  CHECK(errs[0] == at(".properties[e].properties: Required value: must not be empty if "
                      "x-kubernetes-embedded-resource is true without "
                      "x-kubernetes-preserve-unknown-fields"));
  CHECK(errs[1].rfind(
            at(R"(.properties[p].pattern: Invalid value: "(unclosed": must be a valid regular )"
               R"(expression, but isn't: )"),
            0) == 0);
  CHECK(errs[2] == at(".properties[q].x-kubernetes-preserve-unknown-fields: Invalid value: true: "
                      "must be false if x-kubernetes-int-or-string is true"));
}

TEST_CASE("list types must be valid", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {
      "a": {"type": "array", "items": {"type": "object"}, "x-kubernetes-list-type": "map"},
      "b": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "bag"}
    }
  })"));
  CHECK(errs == std::vector<std::string>{
                    at(".properties[a].x-kubernetes-list-map-keys: Required value: must not be "
                       "empty if x-kubernetes-list-type is map"),
                    at(R"(.properties[b].x-kubernetes-list-type: Unsupported value: "bag": )"
                       R"(supported values: "atomic", "set", "map")"),
                });
}

TEST_CASE("defaults must validate and contain no unknown fields", "[schema][structural]") {
  auto errs = check(json::parse(R"({
    "type": "object",
    "properties": {
      "size": {"type": "integer", "maximum": 5, "default": 7},
      "obj": {"type": "object", "properties": {"a": {"type": "string"}},
              "default": {"a": "x", "b": "y"}},
      "mail": {"type": "string", "format": "email", "default": "abc"}
    }
  })"));
  CHECK(
      errs ==
      std::vector<std::string>{
          at(R"(.properties[mail].default: Invalid value: "abc":  in body must be of type email: )"
             R"("abc")"),
          at(R"(.properties[obj].default: Invalid value: {"a":"x","b":"y"}: must not have unknown )"
             R"(fields)"),
          at(".properties[size].default: Invalid value: 7:  in body should be less than "
             "or equal to 5"),
      });
}
