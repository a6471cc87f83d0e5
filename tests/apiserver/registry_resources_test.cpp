#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/resources.h"

using cairn::apiserver::GenerationPolicy;
using cairn::apiserver::object_meta_schema;
using cairn::apiserver::Registry;
using cairn::apiserver::ResourceInfo;
using cairn::apiserver::StatusCode;
using nlohmann::json;

namespace {

using Strings = std::vector<std::string>;

ResourceInfo custom(std::string group, std::string version, std::string plural, std::string kind,
                    Strings short_names = {}) {
  ResourceInfo info;
  info.group = std::move(group);
  info.version = std::move(version);
  info.resource = std::move(plural);
  info.singular = info.resource.substr(0, info.resource.size() - 1);
  info.kind = std::move(kind);
  info.list_kind = info.kind + "List";
  info.short_names = std::move(short_names);
  info.storage_version = info.version;
  info.generation = GenerationPolicy::kAllButMetadata;
  return info;
}

// The schema node at a dotted property path ("spec.template.spec.containers").
const json& node(const json& schema, const std::string& path) {
  const json* cur = &schema;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t dot = path.find('.', start);
    std::string name = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (cur->contains("items") && !cur->contains("properties")) cur = &(*cur)["items"];
    REQUIRE(cur->contains("properties"));
    REQUIRE((*cur)["properties"].contains(name));
    cur = &(*cur)["properties"][name];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return *cur;
}

}  // namespace

TEST_CASE("every built-in kind is served with kube's names, scope and subresources", "[registry]") {
  struct Expected {
    const char* group;
    const char* resource;
    const char* singular;
    const char* kind;
    Strings short_names;
    Strings categories;
    bool namespaced;
    bool status;
    bool scale;
    Strings extra;
  };
  const Strings all = {"all"};
  const Strings ext = {"api-extensions"};
  const std::vector<Expected> expected = {
      {"", "namespaces", "namespace", "Namespace", {"ns"}, {}, false, true, false, {"finalize"}},
      {"", "configmaps", "configmap", "ConfigMap", {"cm"}, {}, true, false, false, {}},
      {"", "secrets", "secret", "Secret", {}, {}, true, false, false, {}},
      {"",
       "serviceaccounts",
       "serviceaccount",
       "ServiceAccount",
       {"sa"},
       {},
       true,
       false,
       false,
       {}},
      {"", "events", "event", "Event", {"ev"}, {}, true, false, false, {}},
      {"", "services", "service", "Service", {"svc"}, all, true, true, false, {}},
      {"", "pods", "pod", "Pod", {"po"}, all, true, true, false, {}},
      {"",
       "persistentvolumeclaims",
       "persistentvolumeclaim",
       "PersistentVolumeClaim",
       {"pvc"},
       {},
       true,
       true,
       false,
       {}},
      {"events.k8s.io", "events", "event", "Event", {"ev"}, {}, true, false, false, {}},
      {"coordination.k8s.io", "leases", "lease", "Lease", {}, {}, true, false, false, {}},
      {"batch", "jobs", "job", "Job", {}, all, true, true, false, {}},
      {"batch", "cronjobs", "cronjob", "CronJob", {"cj"}, all, true, true, false, {}},
      {"apps", "deployments", "deployment", "Deployment", {"deploy"}, all, true, true, true, {}},
      {"apps", "daemonsets", "daemonset", "DaemonSet", {"ds"}, all, true, true, false, {}},
      {"apps", "statefulsets", "statefulset", "StatefulSet", {"sts"}, all, true, true, true, {}},
      {"apps", "replicasets", "replicaset", "ReplicaSet", {"rs"}, all, true, true, true, {}},
      {"apiextensions.k8s.io",
       "customresourcedefinitions",
       "customresourcedefinition",
       "CustomResourceDefinition",
       {"crd", "crds"},
       ext,
       false,
       true,
       false,
       {}},
      {"rbac.authorization.k8s.io", "roles", "role", "Role", {}, {}, true, false, false, {}},
      {"rbac.authorization.k8s.io",
       "rolebindings",
       "rolebinding",
       "RoleBinding",
       {},
       {},
       true,
       false,
       false,
       {}},
      {"rbac.authorization.k8s.io",
       "clusterroles",
       "clusterrole",
       "ClusterRole",
       {},
       {},
       false,
       false,
       false,
       {}},
      {"rbac.authorization.k8s.io",
       "clusterrolebindings",
       "clusterrolebinding",
       "ClusterRoleBinding",
       {},
       {},
       false,
       false,
       false,
       {}},
      {"storage.k8s.io",
       "storageclasses",
       "storageclass",
       "StorageClass",
       {"sc"},
       {},
       false,
       false,
       false,
       {}},
      {"storage.k8s.io", "csidrivers", "csidriver", "CSIDriver", {}, {}, false, false, false, {}},
      {"networking.k8s.io",
       "networkpolicies",
       "networkpolicy",
       "NetworkPolicy",
       {"netpol"},
       {},
       true,
       false,
       false,
       {}},
      {"networking.k8s.io", "ingresses", "ingress", "Ingress", {"ing"}, {}, true, true, false, {}},
      {"networking.k8s.io",
       "ingressclasses",
       "ingressclass",
       "IngressClass",
       {},
       {},
       false,
       false,
       false,
       {}},
      {"admissionregistration.k8s.io",
       "mutatingwebhookconfigurations",
       "mutatingwebhookconfiguration",
       "MutatingWebhookConfiguration",
       {},
       ext,
       false,
       false,
       false,
       {}},
      {"admissionregistration.k8s.io",
       "validatingwebhookconfigurations",
       "validatingwebhookconfiguration",
       "ValidatingWebhookConfiguration",
       {},
       ext,
       false,
       false,
       false,
       {}},
      {"apiregistration.k8s.io",
       "apiservices",
       "apiservice",
       "APIService",
       {},
       ext,
       false,
       true,
       false,
       {}},
      {"policy",
       "poddisruptionbudgets",
       "poddisruptionbudget",
       "PodDisruptionBudget",
       {"pdb"},
       {},
       true,
       true,
       false,
       {}},
      {"scheduling.k8s.io",
       "priorityclasses",
       "priorityclass",
       "PriorityClass",
       {"pc"},
       {},
       false,
       false,
       false,
       {}},
  };
  Registry registry;
  CHECK(registry.all().size() == expected.size());
  for (const auto& e : expected) {
    INFO(e.group << "/" << e.resource);
    auto info = registry.find(e.group, "v1", e.resource);
    REQUIRE(info);
    CHECK(info->singular == e.singular);
    CHECK(info->kind == e.kind);
    CHECK(info->list_kind == std::string(e.kind) + "List");
    CHECK(info->short_names == e.short_names);
    CHECK(info->categories == e.categories);
    CHECK(info->namespaced == e.namespaced);
    CHECK(info->has_status == e.status);
    CHECK(info->scale.has_value() == e.scale);
    CHECK(info->extra_subresources == e.extra);
    CHECK_FALSE(info->custom);
    CHECK(info->storage_version == "v1");
    REQUIRE(info->schema);
    CHECK((*info->schema)["type"] == "object");
    CHECK((*info->schema)["properties"]["metadata"] == object_meta_schema());
    CHECK(registry.find_kind(e.group, "v1", e.kind) == info);
  }
}

TEST_CASE("built-in verbs follow kube: namespaces cannot be deleted as a collection",
          "[registry]") {
  Registry registry;
  const Strings standard = {"create", "delete", "deletecollection", "get",
                            "list",   "patch",  "update",           "watch"};
  CHECK(registry.find("", "v1", "configmaps")->verbs == standard);
  CHECK(registry.find("apps", "v1", "deployments")->verbs == standard);
  CHECK(registry.find("", "v1", "namespaces")->verbs ==
        Strings{"create", "delete", "get", "list", "patch", "update", "watch"});
}

TEST_CASE("generation is maintained only for kinds whose kube strategy sets it", "[registry]") {
  Registry registry;
  auto policy = [&](const char* group, const char* resource) {
    auto info = registry.find(group, "v1", resource);
    REQUIRE(info);
    return info->generation;
  };
  CHECK(policy("apps", "deployments") == GenerationPolicy::kSpec);
  CHECK(policy("batch", "jobs") == GenerationPolicy::kSpec);
  CHECK(policy("apiextensions.k8s.io", "customresourcedefinitions") == GenerationPolicy::kSpec);
  CHECK(policy("", "namespaces") == GenerationPolicy::kNone);
  CHECK(policy("", "configmaps") == GenerationPolicy::kNone);
  CHECK(policy("", "pods") == GenerationPolicy::kNone);
  CHECK(policy("coordination.k8s.io", "leases") == GenerationPolicy::kNone);
  CHECK(policy("rbac.authorization.k8s.io", "roles") == GenerationPolicy::kNone);
  CHECK(policy("admissionregistration.k8s.io", "validatingwebhookconfigurations") ==
        GenerationPolicy::kAllButMetadata);
}

TEST_CASE("field labels list the per-type extras of kube's field selectors", "[registry]") {
  Registry registry;
  const auto& events = registry.find("", "v1", "events")->field_labels;
  CHECK(std::find(events.begin(), events.end(), "involvedObject.name") != events.end());
  CHECK(std::find(events.begin(), events.end(), "metadata.name") == events.end());
  CHECK(registry.find("", "v1", "secrets")->field_labels == Strings{"type"});
  CHECK(registry.find("", "v1", "namespaces")->field_labels == Strings{"status.phase"});
  CHECK(registry.find("batch", "v1", "jobs")->field_labels == Strings{"status.successful"});
  CHECK(registry.find("", "v1", "configmaps")->field_labels.empty());
}

TEST_CASE("lookups are exact: wrong version, case or group find nothing", "[registry]") {
  Registry registry;
  CHECK(registry.find("", "v1", "configmaps"));
  CHECK_FALSE(registry.find("", "v2", "configmaps"));
  CHECK_FALSE(registry.find("", "v1", "ConfigMaps"));
  CHECK_FALSE(registry.find("apps", "v1", "configmaps"));
  CHECK_FALSE(registry.find_kind("", "v1", "configmap"));
  CHECK(registry.find_kind("events.k8s.io", "v1", "Event")->group == "events.k8s.io");
  CHECK(registry.find_kind("", "v1", "Event")->group.empty());
  CHECK(registry.group_version("apps", "v1").size() == 4);
  CHECK(registry.group_version("apps", "v2").empty());
}

TEST_CASE("groups come core first, then built-in groups, then CRD groups by name", "[registry]") {
  Registry registry;
  auto groups = registry.groups();
  REQUIRE_FALSE(groups.empty());
  CHECK(groups.front().name.empty());
  CHECK(groups.front().versions == Strings{"v1"});
  REQUIRE(
      registry.set_crd("zebras.z.example.com", {custom("z.example.com", "v1", "zebras", "Zebra")}));
  REQUIRE(
      registry.set_crd("apples.a.example.com", {custom("a.example.com", "v1", "apples", "Apple")}));
  groups = registry.groups();
  REQUIRE(groups.size() >= 3);
  CHECK(groups[groups.size() - 2].name == "a.example.com");
  CHECK(groups.back().name == "z.example.com");
  auto apps =
      std::find_if(groups.begin(), groups.end(), [](const auto& g) { return g.name == "apps"; });
  CHECK(apps < groups.end() - 2);
}

TEST_CASE("versions of a CRD group are ordered GA, beta, alpha, newest first", "[registry]") {
  Registry registry;
  REQUIRE(registry.set_crd("widgets.example.com",
                           {custom("example.com", "v1alpha1", "widgets", "Widget"),
                            custom("example.com", "v1", "widgets", "Widget"),
                            custom("example.com", "v1beta1", "widgets", "Widget")}));
  REQUIRE(registry.set_crd("gadgets.example.com",
                           {custom("example.com", "v2beta1", "gadgets", "Gadget"),
                            custom("example.com", "v1beta2", "gadgets", "Gadget"),
                            custom("example.com", "foo", "gadgets", "Gadget")}));
  auto groups = registry.groups();
  auto g = std::find_if(groups.begin(), groups.end(),
                        [](const auto& x) { return x.name == "example.com"; });
  REQUIRE(g != groups.end());
  CHECK(g->versions == Strings{"v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "foo"});
  CHECK(registry.group_version("example.com", "v1beta2").size() == 1);
}

TEST_CASE("set_crd serves each version, marks it custom, and bumps the generation", "[registry]") {
  Registry registry;
  auto before = registry.generation();
  REQUIRE(registry.set_crd("widgets.example.com",
                           {custom("example.com", "v1", "widgets", "Widget", {"wd"}),
                            custom("example.com", "v1beta1", "widgets", "Widget", {"wd"})}));
  CHECK(registry.generation() > before);
  auto info = registry.find("example.com", "v1", "widgets");
  REQUIRE(info);
  CHECK(info->custom);
  CHECK(info->crd_name == "widgets.example.com");
  CHECK(registry.find_kind("example.com", "v1beta1", "Widget"));
  CHECK(registry.all().size() == Registry().all().size() + 2);

  SECTION("replacing drops versions no longer listed") {
    REQUIRE(registry.set_crd("widgets.example.com",
                             {custom("example.com", "v1", "widgets", "Widget", {"wd"})}));
    CHECK_FALSE(registry.find("example.com", "v1beta1", "widgets"));
    CHECK(registry.find("example.com", "v1", "widgets"));
  }
  SECTION("remove_crd stops serving and bumps the generation; unknown names change nothing") {
    auto g = registry.generation();
    registry.remove_crd("widgets.example.com");
    CHECK_FALSE(registry.find("example.com", "v1", "widgets"));
    CHECK(registry.generation() == g + 1);
    registry.remove_crd("widgets.example.com");
    CHECK(registry.generation() == g + 1);
    auto groups = registry.groups();
    CHECK(std::none_of(groups.begin(), groups.end(),
                       [](const auto& x) { return x.name == "example.com"; }));
  }
}

TEST_CASE("set_crd rejects names already used in the group and keeps the old entries",
          "[registry]") {
  Registry registry;
  REQUIRE(registry.set_crd("widgets.example.com",
                           {custom("example.com", "v1", "widgets", "Widget", {"wd"})}));
  auto generation = registry.generation();
  auto reject = [&](const std::string& crd, ResourceInfo info, const std::string& name) {
    auto r = registry.set_crd(crd, {std::move(info)});
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == StatusCode::kConflict);
    CHECK(r.error().message == "\"" + name + "\" is already in use");
  };
  reject("widgets2.example.com", custom("example.com", "v1", "widgets", "Other"), "widgets");
  reject("others.example.com", custom("example.com", "v1", "others", "Widget"), "Widget");
  reject("others.example.com", custom("example.com", "v1", "others", "Other", {"wd"}), "wd");
  reject("roles.rbac.authorization.k8s.io",
         custom("rbac.authorization.k8s.io", "v1", "roles", "MyRole"), "roles");
  CHECK(registry.generation() == generation);
  CHECK(registry.find("example.com", "v1", "widgets")->crd_name == "widgets.example.com");
  CHECK_FALSE(registry.find("example.com", "v1", "others"));

  // The same names in another group, and the CRD re-setting its own names, are fine.
  CHECK(registry.set_crd("widgets.other.io",
                         {custom("other.io", "v1", "widgets", "Widget", {"wd"})}));
  CHECK(registry.set_crd("widgets.example.com",
                         {custom("example.com", "v2", "widgets", "Widget", {"wd"})}));
}

TEST_CASE("an info obtained before a CRD update stays valid and unchanged", "[registry]") {
  Registry registry;
  auto v1 = custom("example.com", "v1", "widgets", "Widget");
  v1.columns.push_back({"Size", "integer", "", "", 0, ".spec.size"});
  REQUIRE(registry.set_crd("widgets.example.com", {v1}));
  auto held = registry.find("example.com", "v1", "widgets");
  REQUIRE(
      registry.set_crd("widgets.example.com", {custom("example.com", "v1", "widgets", "Widget")}));
  registry.remove_crd("widgets.example.com");
  REQUIRE(held->columns.size() == 1);
  CHECK(held->columns[0].json_path == ".spec.size");
}

TEST_CASE("concurrent readers see whole snapshots while CRDs change", "[registry]") {
  Registry registry;
  const std::size_t builtins = registry.all().size();
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!stop) {
      auto all = registry.all();
      // Both versions are installed and removed together.
      if (all.size() != builtins && all.size() != builtins + 2) ++torn;
      auto info = registry.find("example.com", "v1", "widgets");
      if (info && info->crd_name != "widgets.example.com") ++torn;
    }
  });
  for (int i = 0; i < 300; ++i) {
    REQUIRE(registry.set_crd("widgets.example.com",
                             {custom("example.com", "v1", "widgets", "Widget"),
                              custom("example.com", "v2", "widgets", "Widget")}));
    registry.remove_crd("widgets.example.com");
  }
  stop = true;
  reader.join();
  CHECK(torn == 0);
  CHECK(registry.generation() == 601);
}

TEST_CASE("ObjectMeta schema merges ownerReferences by uid and finalizers as a set", "[registry]") {
  const json& meta = object_meta_schema();
  const json& owners = meta["properties"]["ownerReferences"];
  CHECK(owners["x-kubernetes-list-type"] == "map");
  CHECK(owners["x-kubernetes-list-map-keys"] == json::array({"uid"}));
  CHECK(owners["x-kubernetes-patch-merge-key"] == "uid");
  CHECK(owners["x-kubernetes-patch-strategy"] == "merge");
  const json& finalizers = meta["properties"]["finalizers"];
  CHECK(finalizers["x-kubernetes-list-type"] == "set");
  CHECK(finalizers["x-kubernetes-patch-strategy"] == "merge");
  CHECK(meta["properties"]["managedFields"]["x-kubernetes-list-type"] == "atomic");
  CHECK(meta["properties"]["labels"]["additionalProperties"]["type"] == "string");
  CHECK(meta["properties"]["annotations"]["type"] == "object");
  CHECK(meta["properties"]["generation"]["type"] == "integer");
}

TEST_CASE("built-in schemas mark the lists patch and apply merge by key", "[registry]") {
  Registry registry;
  auto schema = [&](const char* group, const char* resource) -> const json& {
    return *registry.find(group, "v1", resource)->schema;
  };
  for (const char* resource : {"deployments", "daemonsets", "statefulsets", "replicasets"}) {
    INFO(resource);
    const json& containers = node(schema("apps", resource), "spec.template.spec.containers");
    CHECK(containers["x-kubernetes-patch-merge-key"] == "name");
    CHECK(containers["x-kubernetes-list-map-keys"] == json::array({"name"}));
  }
  const json& pod = schema("", "pods");
  const json& ports = node(pod, "spec.containers.ports");
  CHECK(ports["x-kubernetes-patch-merge-key"] == "containerPort");
  CHECK(ports["x-kubernetes-list-map-keys"] == json::array({"containerPort", "protocol"}));
  CHECK(node(pod, "spec.containers.env")["x-kubernetes-patch-merge-key"] == "name");
  CHECK(node(pod, "spec.containers.volumeMounts")["x-kubernetes-patch-merge-key"] == "mountPath");
  CHECK(node(pod, "spec.initContainers")["x-kubernetes-list-type"] == "map");
  CHECK(node(pod, "spec.ephemeralContainers")["x-kubernetes-list-type"] == "map");
  CHECK(node(pod, "spec.volumes")["x-kubernetes-patch-strategy"] == "merge,retainKeys");
  CHECK(node(pod, "spec.imagePullSecrets")["x-kubernetes-patch-merge-key"] == "name");
  CHECK(node(pod, "spec.tolerations")["x-kubernetes-list-type"] == "atomic");
  CHECK(node(pod, "status.conditions")["x-kubernetes-patch-merge-key"] == "type");
  CHECK(node(schema("batch", "jobs"), "spec.template.spec.containers")["x-kubernetes-list-type"] ==
        "map");
  CHECK(node(schema("batch", "cronjobs"),
             "spec.jobTemplate.spec.template.spec.containers")["x-kubernetes-list-type"] == "map");
  CHECK(node(schema("batch", "jobs"), "spec.template.metadata") == object_meta_schema());
  const json& svc_ports = node(schema("", "services"), "spec.ports");
  CHECK(svc_ports["x-kubernetes-patch-merge-key"] == "port");
  CHECK(svc_ports["x-kubernetes-list-map-keys"] == json::array({"port", "protocol"}));
  CHECK(node(schema("apps", "deployments"), "status.conditions")["x-kubernetes-list-map-keys"] ==
        json::array({"type"}));
  CHECK(node(schema("rbac.authorization.k8s.io", "clusterroles"),
             "rules")["x-kubernetes-list-type"] == "atomic");
  CHECK(node(schema("rbac.authorization.k8s.io", "rolebindings"),
             "subjects")["x-kubernetes-list-type"] == "atomic");
  CHECK(node(schema("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
             "webhooks")["x-kubernetes-patch-merge-key"] == "name");
  const json& ns_finalizers = node(schema("", "namespaces"), "spec.finalizers");
  CHECK(ns_finalizers["x-kubernetes-list-type"] == "atomic");
  CHECK_FALSE(ns_finalizers.contains("x-kubernetes-patch-merge-key"));
}

TEST_CASE("built-in schemas describe top-level fields and keep partial objects open",
          "[registry]") {
  Registry registry;
  const json& cm = *registry.find("", "v1", "configmaps")->schema;
  CHECK(cm["description"].get<std::string>().size() > 10);
  CHECK(node(cm, "data")["additionalProperties"]["type"] == "string");
  CHECK(node(cm, "binaryData")["additionalProperties"]["format"] == "byte");
  CHECK(node(cm, "immutable")["type"] == "boolean");
  CHECK_FALSE(cm.contains("x-kubernetes-preserve-unknown-fields"));
  for (const auto& info : registry.all()) {
    INFO(info->resource);
    for (const auto& [name, field] : (*info->schema)["properties"].items()) {
      INFO(name);
      CHECK(field.contains("description"));
    }
  }
  const json& deploy = *registry.find("apps", "v1", "deployments")->schema;
  CHECK(node(deploy, "spec")["x-kubernetes-preserve-unknown-fields"] == true);
  CHECK(node(deploy, "spec")["required"] == json::array({"selector", "template"}));
}
