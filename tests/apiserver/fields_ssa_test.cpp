#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/fields.h"

using cairn::apiserver::ApplyOptions;
using cairn::apiserver::fields_of;
using cairn::apiserver::ManagedFieldsContext;
using cairn::apiserver::server_side_apply;
using cairn::apiserver::StatusCode;
using cairn::apiserver::update_managed_fields;
using nlohmann::json;

namespace {

const json kConfigMapSchema = json::parse(R"({
  "type": "object",
  "properties": {"data": {"type": "object", "additionalProperties": {"type": "string"}}}
})");

const json kWidgetSchema = json::parse(R"({
  "type": "object",
  "properties": {
    "spec": {"type": "object", "properties": {
      "replicas": {"type": "integer"},
      "args": {"type": "array", "items": {"type": "string"}},
      "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
      "containers": {"type": "array", "x-kubernetes-list-type": "map",
                     "x-kubernetes-list-map-keys": ["name"],
                     "items": {"type": "object", "properties": {
                       "name": {"type": "string"}, "image": {"type": "string"}}}},
      "selector": {"type": "object", "x-kubernetes-map-type": "atomic",
                   "additionalProperties": {"type": "string"}}}},
    "status": {"type": "object", "properties": {
      "phase": {"type": "string"},
      "conditions": {"type": "array", "x-kubernetes-list-type": "map",
                     "x-kubernetes-list-map-keys": ["type"],
                     "items": {"type": "object", "properties": {
                       "type": {"type": "string"}, "status": {"type": "string"}}}}}}
  }
})");

ApplyOptions apply_as(const std::string& manager, const json& schema, bool force = false,
                      const std::string& subresource = "",
                      const std::string& now = "2024-05-01T10:00:00Z") {
  ApplyOptions o;
  o.ctx.manager = manager;
  o.ctx.subresource = subresource;
  o.ctx.api_version = "v1";
  o.ctx.now = now;
  o.ctx.schema = &schema;
  o.force = force;
  return o;
}

ManagedFieldsContext update_as(const std::string& manager, const json& schema,
                               const std::string& now = "2024-05-01T11:00:00Z") {
  ManagedFieldsContext c;
  c.manager = manager;
  c.api_version = "v1";
  c.now = now;
  c.schema = &schema;
  return c;
}

json config_map(const json& data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "cm"}, {"namespace", "ns"}}},
          {"data", data}};
}

// A ConfigMap configuration without `data` (applying `data: {}` would own the map itself).
json bare_config_map() {
  json cm = config_map(nullptr);
  cm.erase("data");
  return cm;
}

json widget(const json& spec) {
  return {{"apiVersion", "example.com/v1"},
          {"kind", "Widget"},
          {"metadata", {{"name", "w"}, {"namespace", "ns"}}},
          {"spec", spec}};
}

// The managedFields entry of (manager, operation[, subresource]), or null.
json entry_of(const json& object, const std::string& manager, const std::string& operation,
              const std::string& subresource = "") {
  for (const json& e : object["metadata"].value("managedFields", json::array())) {
    if (e["manager"] == manager && e["operation"] == operation &&
        e.value("subresource", "") == subresource) {
      return e;
    }
  }
  return nullptr;
}

json apply_ok(const json* live, const json& applied, const ApplyOptions& options) {
  auto r = server_side_apply(live, applied, options);
  if (!r) FAIL(r.error().message);
  return *r;
}

}  // namespace

TEST_CASE("fields_of lists every leaf in FieldsV1 without the identity fields", "[fields]") {
  json cm = config_map({{"key", "v"}});
  cm["metadata"]["labels"] = {{"app", "web"}};
  CHECK(fields_of(cm, &kConfigMapSchema) ==
        json::parse(R"({"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:app":{}}}})"));
}

TEST_CASE("fields_of owns empty and null values themselves", "[fields]") {
  json cm = config_map(json::object());
  cm["metadata"]["annotations"] = {{"note", nullptr}};
  CHECK(fields_of(cm, &kConfigMapSchema) ==
        json::parse(R"({"f:data":{},"f:metadata":{"f:annotations":{"f:note":{}}}})"));
}

TEST_CASE("fields_of encodes map lists by key, sets by value and atomic lists whole", "[fields]") {
  json w = widget({{"containers", {{{"name", "c"}, {"image", "i"}}}},
                   {"tags", {"a", "b"}},
                   {"args", {"x", "y"}},
                   {"selector", {{"k", "v"}}}});
  w["metadata"]["finalizers"] = {"example.com/f"};
  w["metadata"]["ownerReferences"] = {{{"uid", "u1"}, {"name", "o"}}};
  CHECK(fields_of(w, &kWidgetSchema) == json::parse(R"({
    "f:metadata": {"f:finalizers": {"v:\"example.com/f\"": {}},
                   "f:ownerReferences": {"k:{\"uid\":\"u1\"}": {".": {}, "f:name": {},
                                                                "f:uid": {}}}},
    "f:spec": {"f:args": {}, "f:selector": {},
               "f:containers": {"k:{\"name\":\"c\"}": {".": {}, "f:image": {}, "f:name": {}}},
               "f:tags": {"v:\"a\"": {}, "v:\"b\"": {}}}
  })"));
}

TEST_CASE("apply creates the object with an Apply entry owning the applied fields",
          "[fields][apply]") {
  const json applied = config_map({{"a", "1"}, {"b", "2"}});
  json out = apply_ok(nullptr, applied, apply_as("mgr", kConfigMapSchema));
  CHECK(out["data"] == applied["data"]);
  CHECK(out["metadata"]["name"] == "cm");
  REQUIRE(out["metadata"]["managedFields"].size() == 1);
  CHECK(out["metadata"]["managedFields"][0] == json::parse(R"({
    "manager": "mgr", "operation": "Apply", "apiVersion": "v1", "time": "2024-05-01T10:00:00Z",
    "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}})"));
}

TEST_CASE("apply of a different value to another applier's field conflicts with kube's message",
          "[fields][apply]") {
  json live = apply_ok(nullptr, config_map({{"key", "1"}}), apply_as("mgr", kConfigMapSchema));
  auto r =
      server_side_apply(&live, config_map({{"key", "2"}}), apply_as("other", kConfigMapSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == StatusCode::kConflict);
  CHECK(r.error().http_code() == 409);
  CHECK(r.error().message == "Apply failed with 1 conflict: conflict with \"mgr\": .data.key");
  REQUIRE(r.error().details.has_value());
  REQUIRE(r.error().details->causes.size() == 1);
  CHECK(r.error().details->causes[0].reason == "FieldManagerConflict");
  CHECK(r.error().details->causes[0].message == "conflict with \"mgr\"");
  CHECK(r.error().details->causes[0].field == ".data.key");
}

TEST_CASE("several conflicts are listed per manager", "[fields][apply]") {
  json live =
      apply_ok(nullptr, config_map({{"a", "1"}, {"b", "1"}}), apply_as("mgr", kConfigMapSchema));
  auto r = server_side_apply(&live, config_map({{"a", "2"}, {"b", "2"}}),
                             apply_as("other", kConfigMapSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "Apply failed with 2 conflicts: conflicts with \"mgr\":\n- .data.a\n- .data.b");
  REQUIRE(r.error().details->causes.size() == 2);
  CHECK(r.error().details->causes[1].field == ".data.b");
}

TEST_CASE("forced apply takes the field away from the previous owner", "[fields][apply]") {
  json live = apply_ok(nullptr, config_map({{"key", "1"}, {"keep", "x"}}),
                       apply_as("mgr", kConfigMapSchema));
  json out = apply_ok(&live, config_map({{"key", "2"}}),
                      apply_as("other", kConfigMapSchema, /*force=*/true));
  CHECK(out["data"] == json({{"key", "2"}, {"keep", "x"}}));
  CHECK(entry_of(out, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:keep":{}}})"));
  CHECK(entry_of(out, "other", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:key":{}}})"));

  SECTION("an entry left without fields is dropped") {
    json again = apply_ok(&out, config_map({{"keep", "y"}}),
                          apply_as("other", kConfigMapSchema, /*force=*/true));
    CHECK(entry_of(again, "mgr", "Apply").is_null());
    CHECK(again["data"] == json({{"keep", "y"}}));
  }
}

TEST_CASE("applying the same value shares ownership without conflict", "[fields][apply]") {
  json live = apply_ok(nullptr, config_map({{"key", "1"}}), apply_as("mgr", kConfigMapSchema));
  json out = apply_ok(&live, config_map({{"key", "1"}}), apply_as("other", kConfigMapSchema));
  const json owned = json::parse(R"({"f:data":{"f:key":{}}})");
  CHECK(entry_of(out, "mgr", "Apply")["fieldsV1"] == owned);
  CHECK(entry_of(out, "other", "Apply")["fieldsV1"] == owned);
  CHECK(out["metadata"]["managedFields"][1]["manager"] == "other");
}

TEST_CASE("a field the applier dropped is removed unless another manager owns it",
          "[fields][apply]") {
  json live =
      apply_ok(nullptr, config_map({{"a", "1"}, {"b", "2"}}), apply_as("mgr", kConfigMapSchema));

  SECTION("sole owner: removed") {
    json out = apply_ok(&live, config_map({{"a", "1"}}), apply_as("mgr", kConfigMapSchema));
    CHECK(out["data"] == json({{"a", "1"}}));
    CHECK(entry_of(out, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{}}})"));
  }
  SECTION("shared with another applier: kept, and owned by the other only") {
    json shared = apply_ok(&live, config_map({{"b", "2"}}), apply_as("other", kConfigMapSchema));
    json out = apply_ok(&shared, config_map({{"a", "1"}}), apply_as("mgr", kConfigMapSchema));
    CHECK(out["data"] == json({{"a", "1"}, {"b", "2"}}));
    CHECK(entry_of(out, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{}}})"));
    CHECK(entry_of(out, "other", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:b":{}}})"));
  }
  SECTION("every key dropped: the emptied map goes too") {
    json out = apply_ok(&live, bare_config_map(), apply_as("mgr", kConfigMapSchema));
    CHECK_FALSE(out.contains("data"));
    CHECK_FALSE(out["metadata"].contains("managedFields"));
  }
}

TEST_CASE("an update takes ownership, and a later apply conflicts with the updater",
          "[fields][update]") {
  json live = apply_ok(nullptr, config_map({{"key", "1"}}), apply_as("mgr", kConfigMapSchema));
  json updated = live;
  updated["data"]["key"] = "2";
  REQUIRE(
      update_managed_fields(&live, updated, update_as("kubectl-edit", kConfigMapSchema), false));
  CHECK(entry_of(updated, "mgr", "Apply").is_null());
  const json editor = entry_of(updated, "kubectl-edit", "Update");
  CHECK(editor["fieldsV1"] == json::parse(R"({"f:data":{"f:key":{}}})"));
  CHECK(editor["apiVersion"] == "v1");
  CHECK(editor["time"] == "2024-05-01T11:00:00Z");

  auto r =
      server_side_apply(&updated, config_map({{"key", "1"}}), apply_as("mgr", kConfigMapSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using v1: .data.key");
  CHECK(r.error().details->causes[0].message == "conflict with \"kubectl-edit\" using v1");
}

TEST_CASE("update on create owns every field set, with '.' on new containers", "[fields][update]") {
  json created = config_map({{"a", "1"}});
  created["metadata"]["labels"] = {{"app", "web"}};
  REQUIRE(update_managed_fields(nullptr, created, update_as("kubectl-create", kConfigMapSchema),
                                false));
  REQUIRE(created["metadata"]["managedFields"].size() == 1);
  const json& e = created["metadata"]["managedFields"][0];
  CHECK(e["operation"] == "Update");
  CHECK(e["fieldsV1"] == json::parse(R"({
    "f:data": {".": {}, "f:a": {}},
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}}})"));
}

TEST_CASE("an update that changes nothing leaves managedFields as they were", "[fields][update]") {
  json live = config_map({{"a", "1"}});
  REQUIRE(update_managed_fields(nullptr, live, update_as("creator", kConfigMapSchema), false));
  json same = live;
  same["metadata"]["resourceVersion"] = "1234";
  REQUIRE(update_managed_fields(
      &live, same, update_as("kubectl-edit", kConfigMapSchema, "2030-01-01T00:00:00Z"), false));
  CHECK(same["metadata"]["managedFields"] == live["metadata"]["managedFields"]);
}

TEST_CASE("an update sending managedFields [] resets tracking", "[fields][update]") {
  json live = apply_ok(nullptr, config_map({{"a", "1"}}), apply_as("mgr", kConfigMapSchema));

  SECTION("without other changes the list goes away") {
    json updated = live;
    updated["metadata"]["managedFields"] = json::array();
    REQUIRE(
        update_managed_fields(&live, updated, update_as("kubectl-edit", kConfigMapSchema), true));
    CHECK_FALSE(updated["metadata"].contains("managedFields"));
  }
  SECTION("[{}] resets too and only this write's changes are recorded") {
    json updated = live;
    updated["metadata"]["managedFields"] = json::array({json::object()});
    updated["data"]["b"] = "2";
    REQUIRE(
        update_managed_fields(&live, updated, update_as("kubectl-edit", kConfigMapSchema), true));
    REQUIRE(updated["metadata"]["managedFields"].size() == 1);
    CHECK(updated["metadata"]["managedFields"][0]["fieldsV1"] ==
          json::parse(R"({"f:data":{"f:b":{}}})"));
  }
  SECTION("a body without managedFields keeps the live entries") {
    json updated = live;
    updated["metadata"].erase("managedFields");
    updated["data"]["b"] = "2";
    REQUIRE(
        update_managed_fields(&live, updated, update_as("kubectl-edit", kConfigMapSchema), false));
    CHECK(entry_of(updated, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{}}})"));
    CHECK(entry_of(updated, "kubectl-edit", "Update")["fieldsV1"] ==
          json::parse(R"({"f:data":{"f:b":{}}})"));
  }
  SECTION("a non-empty list sent by the client replaces the live one") {
    json updated = live;
    updated["metadata"]["managedFields"] = json::parse(R"([{"manager":"someone",
      "operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1",
      "fieldsV1":{"f:data":{"f:a":{}}}}])");
    REQUIRE(
        update_managed_fields(&live, updated, update_as("kubectl-edit", kConfigMapSchema), true));
    CHECK(entry_of(updated, "mgr", "Apply").is_null());
    CHECK_FALSE(entry_of(updated, "someone", "Update").is_null());
  }
}

TEST_CASE("removing a field in an update removes it from every manager", "[fields][update]") {
  json live =
      apply_ok(nullptr, config_map({{"a", "1"}, {"b", "2"}}), apply_as("mgr", kConfigMapSchema));
  json updated = live;
  updated["data"].erase("b");
  REQUIRE(
      update_managed_fields(&live, updated, update_as("kubectl-patch", kConfigMapSchema), false));
  CHECK(entry_of(updated, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{}}})"));
  CHECK(entry_of(updated, "kubectl-patch", "Update").is_null());
}

TEST_CASE("map lists merge by key and keep the other managers' items", "[fields][lists]") {
  json live = apply_ok(nullptr, widget({{"containers", {{{"name", "a"}, {"image", "a:1"}}}}}),
                       apply_as("one", kWidgetSchema));
  json both = apply_ok(&live, widget({{"containers", {{{"name", "b"}, {"image", "b:1"}}}}}),
                       apply_as("two", kWidgetSchema));
  CHECK(both["spec"]["containers"] ==
        json::parse(R"([{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}])"));
  CHECK(entry_of(both, "two", "Apply")["fieldsV1"] == json::parse(R"({"f:spec":{"f:containers":
        {"k:{\"name\":\"b\"}":{".":{},"f:image":{},"f:name":{}}}}})"));

  SECTION("a conflict inside an item names the item by key") {
    auto r = server_side_apply(&both, widget({{"containers", {{{"name", "a"}, {"image", "a:2"}}}}}),
                               apply_as("two", kWidgetSchema));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message ==
          "Apply failed with 1 conflict: conflict with \"one\": "
          ".spec.containers[name=\"a\"].image");
  }
  SECTION("dropping an item removes only that item") {
    json out = apply_ok(&both, widget({{"replicas", 1}}), apply_as("one", kWidgetSchema));
    CHECK(out["spec"]["containers"] == json::parse(R"([{"name":"b","image":"b:1"}])"));
    CHECK(out["spec"]["replicas"] == 1);
  }
}

TEST_CASE("merged map lists follow the configuration's order, live-only items in place",
          "[fields][lists]") {
  json live = apply_ok(nullptr, widget({{"containers", {{{"name", "a"}}}}}),
                       apply_as("one", kWidgetSchema));
  live =
      apply_ok(&live, widget({{"containers", {{{"name", "b"}}}}}), apply_as("two", kWidgetSchema));
  json out = apply_ok(&live, widget({{"containers", {{{"name", "x"}}, {{"name", "a"}}}}}),
                      apply_as("one", kWidgetSchema));
  CHECK(out["spec"]["containers"] == json::parse(R"([{"name":"x"},{"name":"a"},{"name":"b"}])"));
}

TEST_CASE("set lists merge by value and drop only the applier's values", "[fields][lists]") {
  json live = apply_ok(nullptr, widget({{"tags", {"a", "b"}}}), apply_as("one", kWidgetSchema));
  json both = apply_ok(&live, widget({{"tags", {"c"}}}), apply_as("two", kWidgetSchema));
  CHECK(both["spec"]["tags"] == json({"a", "b", "c"}));
  json out = apply_ok(&both, widget({{"tags", {"a"}}}), apply_as("one", kWidgetSchema));
  CHECK(out["spec"]["tags"] == json({"a", "c"}));
  CHECK(entry_of(out, "one", "Apply")["fieldsV1"] ==
        json::parse(R"({"f:spec":{"f:tags":{"v:\"a\"":{}}}})"));
}

TEST_CASE("atomic lists and maps are replaced and owned as a whole", "[fields][lists]") {
  json live = apply_ok(nullptr, widget({{"args", {"x", "y"}}, {"selector", {{"k", "v"}}}}),
                       apply_as("one", kWidgetSchema));
  auto r = server_side_apply(&live, widget({{"args", {"z"}}, {"selector", {{"j", "w"}}}}),
                             apply_as("two", kWidgetSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "Apply failed with 2 conflicts: conflicts with \"one\":\n- .spec.args\n- .spec.selector");
  json out = apply_ok(&live, widget({{"args", {"z"}}, {"selector", {{"j", "w"}}}}),
                      apply_as("two", kWidgetSchema, /*force=*/true));
  CHECK(out["spec"]["args"] == json({"z"}));
  CHECK(out["spec"]["selector"] == json({{"j", "w"}}));
  CHECK(entry_of(out, "one", "Apply").is_null());
}

TEST_CASE("lists without schema information are atomic", "[fields][lists]") {
  json live = apply_ok(nullptr, widget({{"ports", {1, 2}}}), apply_as("one", kConfigMapSchema));
  json out = apply_ok(&live, widget({{"ports", {3}}}), apply_as("one", kConfigMapSchema));
  CHECK(out["spec"]["ports"] == json({3}));
  CHECK(entry_of(out, "one", "Apply")["fieldsV1"] == json::parse(R"({"f:spec":{"f:ports":{}}})"));
}

TEST_CASE("status apply touches only status and records the subresource", "[fields][status]") {
  json live = apply_ok(nullptr, widget({{"replicas", 1}}), apply_as("user", kWidgetSchema));
  json status_apply = widget({{"replicas", 5}});
  status_apply["status"] =
      json::parse(R"({"phase":"Ready","conditions":[{"type":"Ready","status":"True"}]})");
  json out = apply_ok(&live, status_apply, apply_as("ctrl", kWidgetSchema, false, "status"));
  CHECK(out["spec"]["replicas"] == 1);
  CHECK(out["status"]["phase"] == "Ready");
  const json e = entry_of(out, "ctrl", "Apply", "status");
  REQUIRE_FALSE(e.is_null());
  CHECK(e["subresource"] == "status");
  CHECK(e["fieldsV1"] == json::parse(R"({"f:status":{"f:phase":{},"f:conditions":
        {"k:{\"type\":\"Ready\"}":{".":{},"f:status":{},"f:type":{}}}}})"));

  SECTION("another status applier conflicts with the subresource named") {
    json other = widget(json::object());
    other["status"] = {{"phase", "Failed"}};
    auto r = server_side_apply(&out, other, apply_as("other", kWidgetSchema, false, "status"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message ==
          "Apply failed with 1 conflict: conflict with \"ctrl\" with "
          "subresource \"status\": .status.phase");
  }
  SECTION("conditions merge by type") {
    json more = widget(json::object());
    more["status"] = json::parse(R"({"phase":"Ready","conditions":[
        {"type":"Ready","status":"True"},{"type":"Synced","status":"True"}]})");
    json merged = apply_ok(&out, more, apply_as("ctrl", kWidgetSchema, false, "status"));
    CHECK(merged["status"]["conditions"].size() == 2);
    CHECK(merged["status"]["conditions"][1]["type"] == "Synced");
  }
}

TEST_CASE("labels are merged per key and owned per key", "[fields][metadata]") {
  json first = config_map({{"a", "1"}});
  first["metadata"]["labels"] = {{"app", "web"}};
  json live = apply_ok(nullptr, first, apply_as("one", kConfigMapSchema));
  json second = bare_config_map();
  second["metadata"]["labels"] = {{"tier", "front"}};
  json out = apply_ok(&live, second, apply_as("two", kConfigMapSchema));
  CHECK(out["metadata"]["labels"] == json({{"app", "web"}, {"tier", "front"}}));
  CHECK(entry_of(out, "two", "Apply")["fieldsV1"] ==
        json::parse(R"({"f:metadata":{"f:labels":{"f:tier":{}}}})"));
}

TEST_CASE("server-managed metadata is never merged from the applied configuration",
          "[fields][metadata]") {
  json live = config_map({{"a", "1"}});
  live["metadata"]["uid"] = "real-uid";
  live["metadata"]["resourceVersion"] = "5";
  live["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
  REQUIRE(update_managed_fields(nullptr, live, update_as("creator", kConfigMapSchema), false));
  json applied = config_map({{"a", "1"}});
  applied["metadata"]["uid"] = "bogus";
  applied["metadata"]["creationTimestamp"] = nullptr;
  applied["metadata"]["resourceVersion"] = "1";
  json out = apply_ok(&live, applied, apply_as("mgr", kConfigMapSchema));
  CHECK(out["metadata"]["uid"] == "real-uid");
  CHECK(out["metadata"]["resourceVersion"] == "5");
  CHECK(out["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z");
  CHECK(entry_of(out, "mgr", "Apply")["fieldsV1"] == json::parse(R"({"f:data":{"f:a":{}}})"));
}

TEST_CASE("apply rejects managedFields and unkeyable list items", "[fields][apply]") {
  json applied = config_map({{"a", "1"}});
  applied["metadata"]["managedFields"] = json::array();
  auto r = server_side_apply(nullptr, applied, apply_as("mgr", kConfigMapSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == StatusCode::kBadRequest);
  CHECK(r.error().message == "metadata.managedFields must be nil");

  auto missing = server_side_apply(nullptr, widget({{"containers", {{{"image", "x"}}}}}),
                                   apply_as("mgr", kWidgetSchema));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == StatusCode::kBadRequest);
  CHECK(missing.error().message ==
        "failed to create typed patch object (example.com/v1, Kind=Widget): .spec.containers: "
        "element 0: associative list with keys has an element that omits key field \"name\" "
        "(and doesn't have default value)");

  auto duplicate =
      server_side_apply(nullptr, widget({{"containers", {{{"name", "x"}}, {{"name", "x"}}}}}),
                        apply_as("mgr", kWidgetSchema));
  REQUIRE_FALSE(duplicate.has_value());
  CHECK(duplicate.error().message ==
        "failed to create typed patch object (example.com/v1, Kind=Widget): .spec.containers: "
        "duplicate entries for key [name=\"x\"]");
}

TEST_CASE("the first apply to an untracked object conflicts with before-first-apply",
          "[fields][apply]") {
  const json live = config_map({{"key", "1"}});
  auto r = server_side_apply(&live, config_map({{"key", "2"}}), apply_as("mgr", kConfigMapSchema));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message ==
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using v1: .data.key");
}

TEST_CASE("a no-op apply keeps the entries' times", "[fields][apply]") {
  json live = apply_ok(nullptr, config_map({{"key", "1"}}), apply_as("mgr", kConfigMapSchema));
  json out = apply_ok(&live, config_map({{"key", "1"}}),
                      apply_as("mgr", kConfigMapSchema, false, "", "2031-01-01T00:00:00Z"));
  CHECK(out == live);
  json changed = apply_ok(&live, config_map({{"key", "2"}}),
                          apply_as("mgr", kConfigMapSchema, false, "", "2031-01-01T00:00:00Z"));
  CHECK(entry_of(changed, "mgr", "Apply")["time"] == "2031-01-01T00:00:00Z");
}

TEST_CASE("a merge patch strategy makes lists of built-in schemas associative", "[fields][lists]") {
  const json schema = json::parse(R"({"type": "object", "properties": {"spec": {
    "type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {
      "containers": {"type": "array", "x-kubernetes-patch-strategy": "merge",
                     "x-kubernetes-patch-merge-key": "name", "items": {"type": "object"}},
      "finalizers": {"type": "array", "x-kubernetes-patch-strategy": "merge,retainKeys",
                     "items": {"type": "string"}}}}}})");
  const json w = widget(
      {{"containers", {{{"name", "c"}}}}, {"finalizers", {"f"}}, {"other", {{"nested", 1}}}});
  CHECK(fields_of(w, &schema) == json::parse(R"({"f:spec": {
    "f:containers": {"k:{\"name\":\"c\"}": {".": {}, "f:name": {}}},
    "f:finalizers": {"v:\"f\"": {}},
    "f:other": {"f:nested": {}}}})"));
}

TEST_CASE("an update inside a map-list item takes only that field", "[fields][update]") {
  json live = apply_ok(nullptr, widget({{"containers", {{{"name", "a"}, {"image", "a:1"}}}}}),
                       apply_as("one", kWidgetSchema));
  json updated = live;
  updated["spec"]["containers"][0]["image"] = "a:2";
  REQUIRE(update_managed_fields(&live, updated, update_as("kubectl-set", kWidgetSchema), false));
  CHECK(entry_of(updated, "kubectl-set", "Update")["fieldsV1"] ==
        json::parse(R"({"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{"f:image":{}}}}})"));
  CHECK(entry_of(updated, "one", "Apply")["fieldsV1"] ==
        json::parse(R"({"f:spec":{"f:containers":{"k:{\"name\":\"a\"}":{".":{},"f:name":{}}}}})"));
}

TEST_CASE("a status update starts from the live entries and records the subresource",
          "[fields][update][status]") {
  json live = apply_ok(nullptr, widget({{"replicas", 1}}), apply_as("user", kWidgetSchema));
  json updated = live;
  updated["metadata"]["managedFields"] = json::array();
  updated["status"] = {{"phase", "Ready"}};
  ManagedFieldsContext ctx = update_as("ctrl", kWidgetSchema);
  ctx.subresource = "status";
  REQUIRE(update_managed_fields(&live, updated, ctx, true));
  CHECK_FALSE(entry_of(updated, "user", "Apply").is_null());
  const json e = entry_of(updated, "ctrl", "Update", "status");
  CHECK(e["fieldsV1"] == json::parse(R"({"f:status":{".":{},"f:phase":{}}})"));
}

TEST_CASE("a value of another type in the live object is replaced and owned", "[fields][apply]") {
  json live = widget({{"containers", "not-a-list"}, {"selector", {1, 2}}});
  REQUIRE(update_managed_fields(nullptr, live, update_as("creator", kWidgetSchema), false));
  json out = apply_ok(&live, widget({{"containers", {{{"name", "a"}}}}, {"selector", "s"}}),
                      apply_as("one", kWidgetSchema, /*force=*/true));
  CHECK(out["spec"]["containers"] == json::parse(R"([{"name":"a"}])"));
  CHECK(out["spec"]["selector"] == "s");
  // The creator keeps only the spec map it created.
  CHECK(entry_of(out, "creator", "Update")["fieldsV1"] == json::parse(R"({"f:spec":{}})"));
}

TEST_CASE("malformed live managedFields are dropped instead of failing the write",
          "[fields][update]") {
  json live = config_map({{"a", "1"}});
  live["metadata"]["managedFields"] = json::parse(R"([{"manager":"x","operation":"Bogus"}])");
  json updated = live;
  updated["data"]["a"] = "2";
  REQUIRE(update_managed_fields(&live, updated, update_as("editor", kConfigMapSchema), false));
  REQUIRE(updated["metadata"]["managedFields"].size() == 1);
  CHECK(updated["metadata"]["managedFields"][0]["manager"] == "editor");
}
