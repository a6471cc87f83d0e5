#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/schema.h"

using cairn::apiserver::apply_schema_defaults;
using cairn::apiserver::prune_unknown_fields;
using nlohmann::json;

namespace {

const json& widget_schema() {
  static const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "apiVersion": {"type": "string"},
      "kind": {"type": "string"},
      "metadata": {"type": "object"},
      "spec": {
        "type": "object",
        "properties": {
          "size": {"type": "integer"},
          "items": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}}}},
          "labels": {"type": "object", "additionalProperties": {"type": "string"}},
          "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                   "properties": {"inner": {"type": "object",
                                            "properties": {"known": {"type": "string"}}}}},
          "template": {"type": "object", "x-kubernetes-embedded-resource": true,
                       "properties": {"spec": {"type": "object",
                                               "properties": {"x": {"type": "string"}}}}}
        }
      },
      "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}}
    }
  })");
  return schema;
}

}  // namespace

TEST_CASE("pruning drops unknown fields and reports their paths in document order",
          "[schema][prune]") {
  json obj = json::parse(R"({
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "w", "labels": {"a": "b"}, "bogusMeta": 1},
    "spec": {"size": 1, "bogus": true,
             "items": [{"name": "a"}, {"name": "b", "extra": 2}],
             "labels": {"k": "v"}},
    "status": {"ready": true, "phase": "x"},
    "topLevel": 1
  })");
  auto dropped = prune_unknown_fields(widget_schema(), obj);
  CHECK(dropped == std::vector<std::string>{"metadata.bogusMeta", "spec.bogus",
                                            "spec.items[1].extra", "status.phase", "topLevel"});
  CHECK(obj == json::parse(R"({
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "w", "labels": {"a": "b"}},
    "spec": {"size": 1, "items": [{"name": "a"}, {"name": "b"}], "labels": {"k": "v"}},
    "status": {"ready": true}
  })"));
}

TEST_CASE("preserve-unknown-fields keeps unknown fields but prunes known children",
          "[schema][prune]") {
  json obj = json::parse(R"({
    "spec": {"free": {"anything": {"deep": [1, 2]}, "inner": {"known": "k", "unknown": 1}}}
  })");
  auto dropped = prune_unknown_fields(widget_schema(), obj);
  CHECK(dropped == std::vector<std::string>{"spec.free.inner.unknown"});
  CHECK(obj["spec"]["free"]["anything"] == json::parse(R"({"deep": [1, 2]})"));
  CHECK(obj["spec"]["free"]["inner"] == json{{"known", "k"}});
}

TEST_CASE("embedded resources keep apiVersion, kind and ObjectMeta fields", "[schema][prune]") {
  json obj = json::parse(R"({
    "spec": {"template": {"apiVersion": "v1", "kind": "Pod",
                          "metadata": {"name": "p", "bogus": 1},
                          "spec": {"x": "y", "z": 1}, "other": 2}}
  })");
  auto dropped = prune_unknown_fields(widget_schema(), obj);
  CHECK(dropped == std::vector<std::string>{"spec.template.metadata.bogus", "spec.template.other",
                                            "spec.template.spec.z"});
  CHECK(obj["spec"]["template"] == json::parse(R"({"apiVersion": "v1", "kind": "Pod",
                                                   "metadata": {"name": "p"},
                                                   "spec": {"x": "y"}})"));
}

TEST_CASE("pruning a fully described object changes nothing", "[schema][prune]") {
  json obj = json::parse(R"({"apiVersion": "a/v1", "kind": "Widget", "metadata": {"name": "w"},
                             "spec": {"size": 2}})");
  const json before = obj;
  CHECK(prune_unknown_fields(widget_schema(), obj).empty());
  CHECK(obj == before);
}

TEST_CASE("defaults apply to missing fields, parents first", "[schema][default]") {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {
      "spec": {
        "type": "object",
        "default": {},
        "properties": {
          "replicas": {"type": "integer", "default": 1},
          "mode": {"type": "string", "default": "auto"},
          "nested": {"type": "object", "default": {"a": "x"},
                     "properties": {"a": {"type": "string"},
                                    "b": {"type": "string", "default": "bee"}}},
          "opt": {"type": "object", "properties": {"c": {"type": "string", "default": "see"}}},
          "list": {"type": "array", "items": {"type": "object",
                   "properties": {"port": {"type": "integer", "default": 80}}}}
        }
      }
    }
  })");
  json obj = json::parse(R"({"kind": "Widget", "spec": {"mode": "manual",
                                                          "list": [{}, {"port": 443}]}})");
  apply_schema_defaults(schema, obj);
  CHECK(obj == json::parse(R"({"kind": "Widget", "spec": {
    "replicas": 1, "mode": "manual", "nested": {"a": "x", "b": "bee"},
    "list": [{"port": 80}, {"port": 443}]}})"));

  json empty = json::parse(R"({"kind": "Widget"})");
  apply_schema_defaults(schema, empty);
  CHECK(empty["spec"] == json::parse(R"({"replicas": 1, "mode": "auto",
                                          "nested": {"a": "x", "b": "bee"}})"));

  SECTION("defaulting is idempotent") {
    json again = obj;
    apply_schema_defaults(schema, again);
    CHECK(again == obj);
  }
}

TEST_CASE("nulls are defaulted or dropped unless nullable", "[schema][default]") {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {"spec": {"type": "object", "properties": {
      "withDefault": {"type": "string", "default": "d"},
      "noDefault": {"type": "string"},
      "nullable": {"type": "string", "nullable": true, "default": "n"}
    }}}
  })");
  json obj = json::parse(R"({"spec": {"withDefault": null, "noDefault": null,
                                       "nullable": null}})");
  apply_schema_defaults(schema, obj);
  CHECK(obj["spec"] == json::parse(R"({"withDefault": "d", "nullable": null})"));
}

TEST_CASE("defaults do not apply inside values that are not objects", "[schema][default]") {
  const json schema = json::parse(R"({
    "type": "object",
    "properties": {"spec": {"type": "object",
                            "properties": {"a": {"type": "string", "default": "x"}}}}
  })");
  json obj = json::parse(R"({"spec": "not-an-object"})");
  apply_schema_defaults(schema, obj);
  CHECK(obj == json::parse(R"({"spec": "not-an-object"})"));
}

TEST_CASE("without a schema nothing is pruned", "[schema][prune]") {
  json obj = json::parse(R"({"kind": "Widget", "spec": {"anything": 1}, "extra": true})");
  const json before = obj;
  CHECK(prune_unknown_fields(json(), obj).empty());
  CHECK(obj == before);
}
