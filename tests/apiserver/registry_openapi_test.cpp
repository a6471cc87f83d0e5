#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/openapi.h"

using cairn::apiserver::GenerationPolicy;
using cairn::apiserver::openapi_v3_document;
using cairn::apiserver::openapi_v3_index;
using cairn::apiserver::Registry;
using cairn::apiserver::ResourceInfo;
using nlohmann::json;

namespace {

constexpr const char* kObjectMetaRef =
    "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

json widget_schema(const std::string& size_description) {
  return json::parse(R"({"type":"object","description":"A widget.","properties":{
    "spec":{"type":"object","description":"Desired widget.","required":["size"],"properties":{
      "size":{"type":"integer","description":")" +
                     size_description + R"("},
      "color":{"type":"string","enum":["red","blue"]}}},
    "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}})");
}

ResourceInfo widget(const std::string& version, json schema) {
  ResourceInfo info;
  info.group = "example.com";
  info.version = version;
  info.resource = "widgets";
  info.singular = "widget";
  info.kind = "Widget";
  info.list_kind = "WidgetList";
  info.has_status = true;
  info.storage_version = "v1";
  info.generation = GenerationPolicy::kSpec;
  info.schema = std::make_shared<const json>(std::move(schema));
  return info;
}

// Every "$ref" in `node` names a component of `doc`.
void check_refs_resolve(const json& doc, const json& node) {
  if (node.is_object()) {
    if (auto it = node.find("$ref"); it != node.end()) {
      std::string ref = *it;
      const std::string prefix = "#/components/schemas/";
      REQUIRE(ref.rfind(prefix, 0) == 0);
      INFO(ref);
      CHECK(doc["components"]["schemas"].contains(ref.substr(prefix.size())));
    }
    for (const auto& [k, v] : node.items()) check_refs_resolve(doc, v);
  } else if (node.is_array()) {
    for (const auto& v : node) check_refs_resolve(doc, v);
  }
}

bool has_field_validation(const json& operation) {
  for (const auto& p : operation["parameters"])
    if (p["name"] == "fieldValidation" && p["in"] == "query") return true;
  return false;
}

}  // namespace

TEST_CASE("the OpenAPI index points at every served group version", "[openapi]") {
  Registry registry;
  json index = openapi_v3_index(registry);
  const json& paths = index["paths"];
  CHECK(paths.size() == 13);  // api/v1 plus the twelve named built-in groups
  REQUIRE(paths.contains("api/v1"));
  std::string url = paths["api/v1"]["serverRelativeURL"];
  CHECK(url.rfind("/openapi/v3/api/v1?hash=", 0) == 0);
  CHECK(url.size() > std::string("/openapi/v3/api/v1?hash=").size());
  for (const auto& g : registry.groups()) {
    if (g.name.empty()) continue;
    INFO(g.name);
    const std::string key = "apis/" + g.name + "/v1";
    REQUIRE(paths.contains(key));
    CHECK(paths[key]["serverRelativeURL"].get<std::string>().rfind("/openapi/v3/" + key + "?hash=",
                                                                   0) == 0);
  }
}

TEST_CASE("CRD group versions join the index when set, and their hash follows the schema",
          "[openapi]") {
  Registry registry;
  const json before = openapi_v3_index(registry);
  CHECK_FALSE(before["paths"].contains("apis/example.com/v1"));

  REQUIRE(registry.set_crd("widgets.example.com",
                           {widget("v1", widget_schema("Number of parts.")),
                            widget("v1beta1", widget_schema("Number of parts."))}));
  const json with_crd = openapi_v3_index(registry);
  REQUIRE(with_crd["paths"].contains("apis/example.com/v1"));
  REQUIRE(with_crd["paths"].contains("apis/example.com/v1beta1"));
  CHECK(with_crd["paths"]["api/v1"] == before["paths"]["api/v1"]);

  REQUIRE(registry.set_crd("widgets.example.com",
                           {widget("v1", widget_schema("How many parts.")),
                            widget("v1beta1", widget_schema("Number of parts."))}));
  const json changed = openapi_v3_index(registry);
  CHECK(changed["paths"]["apis/example.com/v1"] != with_crd["paths"]["apis/example.com/v1"]);
  CHECK(changed["paths"]["apis/example.com/v1beta1"] ==
        with_crd["paths"]["apis/example.com/v1beta1"]);
  auto doc = openapi_v3_document(registry, "apis/example.com/v1");
  REQUIRE(doc);
  CHECK((*doc)["components"]["schemas"]["com.example.v1.Widget"]["properties"]["spec"]["properties"]
              ["size"]["description"] == "How many parts.");

  registry.remove_crd("widgets.example.com");
  CHECK_FALSE(openapi_v3_index(registry)["paths"].contains("apis/example.com/v1"));
  CHECK_FALSE(openapi_v3_document(registry, "apis/example.com/v1"));
}

TEST_CASE("a group version document is OpenAPI 3.0 with kinds and ObjectMeta components",
          "[openapi]") {
  Registry registry;
  auto doc = openapi_v3_document(registry, "api/v1");
  REQUIRE(doc);
  CHECK((*doc)["openapi"] == "3.0.0");
  CHECK((*doc)["info"]["title"].is_string());
  CHECK((*doc)["info"]["version"].is_string());
  const json& schemas = (*doc)["components"]["schemas"];
  REQUIRE(schemas.contains("io.k8s.api.core.v1.ConfigMap"));
  const json& cm = schemas["io.k8s.api.core.v1.ConfigMap"];
  CHECK(cm["x-kubernetes-group-version-kind"] ==
        json::parse(R"([{"group":"","version":"v1","kind":"ConfigMap"}])"));
  CHECK(cm["type"] == "object");
  CHECK(cm["description"].is_string());
  CHECK(cm["properties"]["metadata"]["allOf"][0]["$ref"] == kObjectMetaRef);
  CHECK(cm["properties"]["data"]["additionalProperties"]["type"] == "string");
  CHECK(cm["properties"]["apiVersion"]["description"].is_string());
  CHECK(schemas["io.k8s.api.core.v1.ConfigMapList"]["x-kubernetes-group-version-kind"][0]["kind"] ==
        "ConfigMapList");

  const json& meta = schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];
  CHECK(meta["properties"]["name"]["description"].is_string());
  CHECK(meta["properties"]["ownerReferences"]["items"]["$ref"] ==
        "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference");
  CHECK(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference"]["required"] ==
        json::array({"apiVersion", "kind", "name", "uid"}));
  check_refs_resolve(*doc, *doc);
}

TEST_CASE("nested pod template metadata is referenced, not inlined", "[openapi]") {
  Registry registry;
  auto doc = openapi_v3_document(registry, "apis/apps/v1");
  REQUIRE(doc);
  const json& deploy = (*doc)["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
  CHECK(deploy["properties"]["spec"]["properties"]["template"]["properties"]["metadata"]["allOf"][0]
              ["$ref"] == kObjectMetaRef);
  CHECK(deploy["properties"]["spec"]["required"] == json::array({"selector", "template"}));
  check_refs_resolve(*doc, *doc);
}

TEST_CASE("upstream component names are used for the aggregated servers' kinds", "[openapi]") {
  Registry registry;
  auto crd = openapi_v3_document(registry, "apis/apiextensions.k8s.io/v1");
  REQUIRE(crd);
  CHECK((*crd)["components"]["schemas"].contains(
      "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"));
  auto api = openapi_v3_document(registry, "apis/apiregistration.k8s.io/v1");
  REQUIRE(api);
  CHECK((*api)["components"]["schemas"].contains(
      "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService"));
  auto rbac = openapi_v3_document(registry, "apis/rbac.authorization.k8s.io/v1");
  REQUIRE(rbac);
  CHECK((*rbac)["components"]["schemas"].contains("io.k8s.api.rbac.v1.ClusterRole"));
}

TEST_CASE("every resource has patch operations with fieldValidation and its GVK", "[openapi]") {
  Registry registry;
  REQUIRE(registry.set_crd("widgets.example.com", {widget("v1", widget_schema("Parts."))}));
  for (const auto& info : registry.all()) {
    INFO(info->group << "/" << info->version << "/" << info->resource);
    const std::string gv_path =
        info->group.empty() ? "api/" + info->version : "apis/" + info->group + "/" + info->version;
    auto doc = openapi_v3_document(registry, gv_path);
    REQUIRE(doc);
    const json gvk = {{"group", info->group}, {"version", info->version}, {"kind", info->kind}};
    int patches = 0;
    for (const auto& [path, item] : (*doc)["paths"].items()) {
      if (!item.contains("patch")) continue;
      const json& patch = item["patch"];
      CHECK(has_field_validation(patch));
      CHECK(patch["requestBody"]["content"].contains("application/merge-patch+json"));
      CHECK_FALSE(
          patch["requestBody"]["content"].contains("application/strategic-merge-patch+json"));
      if (patch["x-kubernetes-group-version-kind"] == gvk) ++patches;
    }
    CHECK(patches == (info->has_status ? 2 : 1));
  }
}

TEST_CASE("paths follow the resource scope", "[openapi]") {
  Registry registry;
  auto doc = openapi_v3_document(registry, "api/v1");
  REQUIRE(doc);
  const json& paths = (*doc)["paths"];
  CHECK(paths.contains("/api/v1/namespaces/{namespace}/configmaps"));
  CHECK(paths.contains("/api/v1/namespaces/{namespace}/configmaps/{name}"));
  CHECK(paths.contains("/api/v1/namespaces/{name}"));
  CHECK(paths.contains("/api/v1/namespaces/{name}/status"));
  CHECK_FALSE(paths.contains("/api/v1/namespaces/{namespace}/namespaces"));
  const json& item = paths["/api/v1/namespaces/{namespace}/configmaps/{name}"];
  CHECK(item["patch"]["operationId"] == "patchCoreV1NamespacedConfigMap");
  CHECK(item["patch"]["x-kubernetes-action"] == "patch");
  CHECK(item["parameters"].size() == 2);
  CHECK(item["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"] ==
        "#/components/schemas/io.k8s.api.core.v1.ConfigMap");
}

TEST_CASE("custom resource schemas are the CRD schema plus apiVersion, kind and metadata",
          "[openapi]") {
  Registry registry;
  REQUIRE(registry.set_crd("widgets.example.com", {widget("v1", widget_schema("Parts."))}));
  auto doc = openapi_v3_document(registry, "/apis/example.com/v1");
  REQUIRE(doc);
  const json& schemas = (*doc)["components"]["schemas"];
  REQUIRE(schemas.contains("com.example.v1.Widget"));
  const json& w = schemas["com.example.v1.Widget"];
  CHECK(w["description"] == "A widget.");
  CHECK(w["x-kubernetes-group-version-kind"] ==
        json::parse(R"([{"group":"example.com","version":"v1","kind":"Widget"}])"));
  CHECK(w["properties"]["spec"]["required"] == json::array({"size"}));
  CHECK(w["properties"]["spec"]["properties"]["color"]["enum"] == json::array({"red", "blue"}));
  CHECK(w["properties"]["apiVersion"]["type"] == "string");
  CHECK(w["properties"]["kind"]["type"] == "string");
  CHECK(w["properties"]["metadata"]["allOf"][0]["$ref"] == kObjectMetaRef);
  CHECK((*doc)["paths"].contains("/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"));
  check_refs_resolve(*doc, *doc);
}

TEST_CASE("a CR without a schema is published as an open object", "[openapi]") {
  Registry registry;
  ResourceInfo info = widget("v1", json());
  info.schema = nullptr;
  info.namespaced = false;
  REQUIRE(registry.set_crd("widgets.example.com", {info}));
  auto doc = openapi_v3_document(registry, "apis/example.com/v1");
  REQUIRE(doc);
  const json& w = (*doc)["components"]["schemas"]["com.example.v1.Widget"];
  CHECK(w["type"] == "object");
  CHECK(w["x-kubernetes-preserve-unknown-fields"] == true);
  CHECK(w["properties"]["metadata"]["allOf"][0]["$ref"] == kObjectMetaRef);
  CHECK((*doc)["paths"].contains("/apis/example.com/v1/widgets/{name}"));
}

TEST_CASE("documents of unserved or malformed paths are absent", "[openapi]") {
  Registry registry;
  CHECK_FALSE(openapi_v3_document(registry, "api/v2"));
  CHECK_FALSE(openapi_v3_document(registry, "apis/apps"));
  CHECK_FALSE(openapi_v3_document(registry, "apis/apps/v1/extra"));
  CHECK_FALSE(openapi_v3_document(registry, "apis/example.com/v1"));
  CHECK_FALSE(openapi_v3_document(registry, ""));
  CHECK_FALSE(openapi_v3_document(registry, "api"));
}

TEST_CASE("documents of separate registries do not leak into each other", "[openapi]") {
  auto size_description = [](const std::string& description) {
    Registry registry;
    REQUIRE(registry.set_crd("widgets.example.com", {widget("v1", widget_schema(description))}));
    auto doc = openapi_v3_document(registry, "apis/example.com/v1");
    REQUIRE(doc);
    return (*doc)["components"]["schemas"]["com.example.v1.Widget"]["properties"]["spec"]
                 ["properties"]["size"]["description"]
                     .get<std::string>();
  };
  CHECK(size_description("first") == "first");
  CHECK(size_description("second") == "second");
}
