#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/discovery.h"

using cairn::apiserver::aggregated_discovery;
using cairn::apiserver::GenerationPolicy;
using cairn::apiserver::kAggregatedDiscoveryContentType;
using cairn::apiserver::legacy_api_group;
using cairn::apiserver::legacy_api_group_list;
using cairn::apiserver::legacy_api_resource_list;
using cairn::apiserver::legacy_api_versions;
using cairn::apiserver::Registry;
using cairn::apiserver::ResourceInfo;
using cairn::apiserver::ScaleSubresource;
using cairn::apiserver::version_info;
using nlohmann::json;

namespace {

const json kStandardVerbs = {"create", "delete", "deletecollection", "get",
                             "list",   "patch",  "update",           "watch"};
const json kStatusVerbs = {"get", "patch", "update"};

// A namespaced example.com Widget with status and scale, served at `version`.
ResourceInfo widget(const std::string& version) {
  ResourceInfo info;
  info.group = "example.com";
  info.version = version;
  info.resource = "widgets";
  info.singular = "widget";
  info.kind = "Widget";
  info.list_kind = "WidgetList";
  info.short_names = {"wd"};
  info.categories = {"all", "examples"};
  info.verbs = kStandardVerbs.get<std::vector<std::string>>();
  info.has_status = true;
  info.scale = ScaleSubresource{".spec.replicas", ".status.replicas", ""};
  info.storage_version = "v1";
  info.generation = GenerationPolicy::kSpec;
  return info;
}

const json* entry_named(const json& list, const std::string& key, const std::string& name) {
  for (const auto& e : list)
    if (e[key] == name) return &e;
  return nullptr;
}

}  // namespace

TEST_CASE("version reports Kubernetes 1.31", "[discovery]") {
  json v = version_info();
  CHECK(v["major"] == "1");
  CHECK(v["minor"] == "31");
  CHECK(v["gitVersion"].get<std::string>().rfind("v1.31.", 0) == 0);
  for (const char* key :
       {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "platform"}) {
    INFO(key);
    CHECK(v[key].is_string());
  }
}

TEST_CASE("/api lists v1 and the server address", "[discovery]") {
  json api = legacy_api_versions("127.0.0.1:6443");
  CHECK(api == json::parse(R"({"kind":"APIVersions","versions":["v1"],
    "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})"));
}

TEST_CASE("/apis lists the named groups with preferred versions, not the core group",
          "[discovery]") {
  Registry registry;
  json list = legacy_api_group_list(registry);
  CHECK(list["kind"] == "APIGroupList");
  CHECK(list["apiVersion"] == "v1");
  CHECK(entry_named(list["groups"], "name", "") == nullptr);
  const json* apps = entry_named(list["groups"], "name", "apps");
  REQUIRE(apps);
  CHECK(*apps == json::parse(R"({"name":"apps",
    "versions":[{"groupVersion":"apps/v1","version":"v1"}],
    "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}})"));
  for (const char* g :
       {"events.k8s.io", "coordination.k8s.io", "batch", "apiextensions.k8s.io",
        "rbac.authorization.k8s.io", "storage.k8s.io", "networking.k8s.io",
        "admissionregistration.k8s.io", "apiregistration.k8s.io", "policy", "scheduling.k8s.io"}) {
    INFO(g);
    CHECK(entry_named(list["groups"], "name", g));
  }
  CHECK(list["groups"].size() == 12);
}

TEST_CASE("/apis/G answers an APIGroup; unknown and core groups are not served", "[discovery]") {
  Registry registry;
  auto batch = legacy_api_group(registry, "batch");
  REQUIRE(batch);
  CHECK(*batch == json::parse(R"({"kind":"APIGroup","apiVersion":"v1","name":"batch",
    "versions":[{"groupVersion":"batch/v1","version":"v1"}],
    "preferredVersion":{"groupVersion":"batch/v1","version":"v1"}})"));
  CHECK_FALSE(legacy_api_group(registry, "example.com"));
  CHECK_FALSE(legacy_api_group(registry, ""));
}

TEST_CASE("/api/v1 lists resources and subresources sorted by name", "[discovery]") {
  Registry registry;
  auto list = legacy_api_resource_list(registry, "", "v1");
  REQUIRE(list);
  CHECK((*list)["kind"] == "APIResourceList");
  CHECK((*list)["apiVersion"] == "v1");
  CHECK((*list)["groupVersion"] == "v1");
  const json& resources = (*list)["resources"];
  std::vector<std::string> names;
  for (const auto& r : resources) names.push_back(r["name"]);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(names == std::vector<std::string>{"configmaps", "events", "namespaces",
                                          "namespaces/finalize", "namespaces/status",
                                          "persistentvolumeclaims", "persistentvolumeclaims/status",
                                          "pods", "pods/status", "secrets", "serviceaccounts",
                                          "services", "services/status"});

  json cm = *entry_named(resources, "name", "configmaps");
  REQUIRE(cm["storageVersionHash"].is_string());
  CHECK(cm["storageVersionHash"].get<std::string>().size() == 12);
  cm.erase("storageVersionHash");
  CHECK(cm == json{{"name", "configmaps"},
                   {"singularName", "configmap"},
                   {"namespaced", true},
                   {"kind", "ConfigMap"},
                   {"verbs", kStandardVerbs},
                   {"shortNames", {"cm"}}});
  CHECK(*entry_named(resources, "name", "namespaces/status") ==
        json::parse(R"({"name":"namespaces/status","singularName":"","namespaced":false,
          "kind":"Namespace","verbs":["get","patch","update"]})"));
  CHECK(*entry_named(resources, "name", "namespaces/finalize") ==
        json::parse(R"({"name":"namespaces/finalize","singularName":"","namespaced":false,
          "kind":"Namespace","verbs":["update"]})"));
  const json& pods = *entry_named(resources, "name", "pods");
  CHECK(pods["categories"] == json::array({"all"}));
  CHECK(pods["shortNames"] == json::array({"po"}));
  CHECK_FALSE(entry_named(resources, "name", "secrets")->contains("shortNames"));
  CHECK_FALSE(entry_named(resources, "name", "secrets")->contains("categories"));
}

TEST_CASE("scale subresources answer with autoscaling/v1 Scale", "[discovery]") {
  Registry registry;
  auto list = legacy_api_resource_list(registry, "apps", "v1");
  REQUIRE(list);
  CHECK((*list)["groupVersion"] == "apps/v1");
  const json& resources = (*list)["resources"];
  CHECK(*entry_named(resources, "name", "deployments/scale") ==
        json::parse(R"({"name":"deployments/scale","singularName":"","namespaced":true,
          "group":"autoscaling","version":"v1","kind":"Scale",
          "verbs":["get","patch","update"]})"));
  CHECK((*entry_named(resources, "name", "deployments/status"))["kind"] == "Deployment");
  CHECK_FALSE(entry_named(resources, "name", "daemonsets/scale"));
  CHECK(entry_named(resources, "name", "daemonsets/status"));
}

TEST_CASE("storageVersionHash is stable and differs between kinds", "[discovery]") {
  Registry a;
  Registry b;
  auto hash = [](Registry& r, const char* resource) {
    auto list = legacy_api_resource_list(r, "", "v1");
    return (*entry_named((*list)["resources"], "name", resource))["storageVersionHash"];
  };
  CHECK(hash(a, "configmaps") == hash(b, "configmaps"));
  CHECK(hash(a, "configmaps") != hash(a, "secrets"));
}

TEST_CASE("unknown group versions have no resource list", "[discovery]") {
  Registry registry;
  CHECK_FALSE(legacy_api_resource_list(registry, "", "v2"));
  CHECK_FALSE(legacy_api_resource_list(registry, "apps", "v1beta1"));
  CHECK_FALSE(legacy_api_resource_list(registry, "example.com", "v1"));
}

TEST_CASE("aggregated discovery of /api holds only the core group", "[discovery]") {
  Registry registry;
  json list = aggregated_discovery(registry, true);
  CHECK(list["kind"] == "APIGroupDiscoveryList");
  CHECK(list["apiVersion"] == "apidiscovery.k8s.io/v2");
  CHECK(list["metadata"] == json::object());
  REQUIRE(list["items"].size() == 1);
  const json& core = list["items"][0];
  CHECK(core["metadata"] == json{{"name", ""}});
  REQUIRE(core["versions"].size() == 1);
  CHECK(core["versions"][0]["version"] == "v1");
  CHECK(core["versions"][0]["freshness"] == "Current");
  const json& resources = core["versions"][0]["resources"];
  CHECK(*entry_named(resources, "resource", "configmaps") == json::parse(R"({
    "resource":"configmaps","responseKind":{"group":"","version":"v1","kind":"ConfigMap"},
    "scope":"Namespaced","singularResource":"configmap","shortNames":["cm"],
    "verbs":["create","delete","deletecollection","get","list","patch","update","watch"]})"));
  const json& ns = *entry_named(resources, "resource", "namespaces");
  CHECK(ns["scope"] == "Cluster");
  CHECK(ns["subresources"] == json::parse(R"([
    {"subresource":"finalize","responseKind":{"group":"","version":"v1","kind":"Namespace"},
     "verbs":["update"]},
    {"subresource":"status","responseKind":{"group":"","version":"v1","kind":"Namespace"},
     "verbs":["get","patch","update"]}])"));
  CHECK((*entry_named(resources, "resource", "pods"))["categories"] == json::array({"all"}));
}

TEST_CASE("aggregated discovery of /apis lists named groups with subresources", "[discovery]") {
  Registry registry;
  json list = aggregated_discovery(registry, false);
  CHECK(list["items"].size() == 12);
  CHECK(std::none_of(list["items"].begin(), list["items"].end(),
                     [](const json& item) { return item["metadata"]["name"] == ""; }));
  const json* apps = nullptr;
  for (const auto& item : list["items"])
    if (item["metadata"]["name"] == "apps") apps = &item;
  REQUIRE(apps);
  const json& deploy = *entry_named((*apps)["versions"][0]["resources"], "resource", "deployments");
  CHECK(deploy["responseKind"] == json::parse(R"({"group":"apps","version":"v1",
    "kind":"Deployment"})"));
  CHECK(deploy["shortNames"] == json::array({"deploy"}));
  CHECK(deploy["subresources"] == json::parse(R"([
    {"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},
     "verbs":["get","patch","update"]},
    {"subresource":"status","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},
     "verbs":["get","patch","update"]}])"));
  CHECK(kAggregatedDiscoveryContentType ==
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
}

TEST_CASE("CRD groups appear in every discovery form once set and vanish once removed",
          "[discovery]") {
  Registry registry;
  REQUIRE(registry.set_crd("widgets.example.com", {widget("v1"), widget("v1beta1")}));

  json groups = legacy_api_group_list(registry);
  CHECK(groups["groups"].back() == json::parse(R"({"name":"example.com",
    "versions":[{"groupVersion":"example.com/v1","version":"v1"},
                {"groupVersion":"example.com/v1beta1","version":"v1beta1"}],
    "preferredVersion":{"groupVersion":"example.com/v1","version":"v1"}})"));
  REQUIRE(legacy_api_group(registry, "example.com"));

  auto list = legacy_api_resource_list(registry, "example.com", "v1beta1");
  REQUIRE(list);
  CHECK((*list)["groupVersion"] == "example.com/v1beta1");
  const json& resources = (*list)["resources"];
  REQUIRE(resources.size() == 3);
  CHECK(resources[0]["name"] == "widgets");
  CHECK(resources[0]["categories"] == json::array({"all", "examples"}));
  CHECK(resources[1]["name"] == "widgets/scale");
  CHECK(resources[2]["name"] == "widgets/status");
  CHECK(resources[2]["kind"] == "Widget");

  json agg = aggregated_discovery(registry, false);
  const json& item = agg["items"].back();
  CHECK(item["metadata"]["name"] == "example.com");
  REQUIRE(item["versions"].size() == 2);
  CHECK(item["versions"][0]["version"] == "v1");
  CHECK(item["versions"][1]["version"] == "v1beta1");
  CHECK(item["versions"][0]["resources"][0]["responseKind"] ==
        json::parse(R"({"group":"example.com","version":"v1","kind":"Widget"})"));

  registry.remove_crd("widgets.example.com");
  CHECK_FALSE(legacy_api_group(registry, "example.com"));
  CHECK_FALSE(legacy_api_resource_list(registry, "example.com", "v1"));
  CHECK(aggregated_discovery(registry, false)["items"].size() == 12);
}

TEST_CASE("CR entries without verbs are listed with the standard verbs", "[discovery]") {
  Registry registry;
  ResourceInfo info = widget("v1");
  info.verbs.clear();
  REQUIRE(registry.set_crd("widgets.example.com", {info}));
  auto list = legacy_api_resource_list(registry, "example.com", "v1");
  REQUIRE(list);
  CHECK((*list)["resources"][0]["verbs"] == kStandardVerbs);
}
