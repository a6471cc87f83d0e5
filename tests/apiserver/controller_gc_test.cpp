#include "apiserver/controllers.h"

#include <string>
#include <vector>

#include "controller_test_util.h"

using namespace cairn::apiserver;
using namespace cairn::apiserver::testing;
using nlohmann::json;

namespace {

json owners_of(Cluster& c, const ObjectKey& key) {
  const json obj = c.get(key);
  return obj["metadata"].value("ownerReferences", json::array());
}

bool has_condition(const json& obj, const std::string& type, const std::string& status,
                   const std::string& message_prefix) {
  for (const json& cond : obj["status"].value("conditions", json::array())) {
    if (cond.value("type", "") == type && cond.value("status", "") == status &&
        cond.value("message", "").rfind(message_prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("background deletion cascades two levels deep", "[controllers]") {
  Cluster c;
  Controllers controllers(*c.store, c.registry);
  controllers.start();
  auto cm = c.info("", "v1", "configmaps");
  const json a = c.config_map("ns", "a");
  const json b = c.config_map("ns", "b", json{owner_ref(a)});
  c.config_map("ns", "c", json{owner_ref(b)});
  c.config_map("ns", "unrelated");

  auto out = delete_object(*c.store, *cm, cm_key("ns", "a"), {});
  REQUIRE(out);
  REQUIRE(out->removed);
  CHECK(eventually([&] { return !c.exists(cm_key("ns", "b")) && !c.exists(cm_key("ns", "c")); }));
  CHECK(c.exists(cm_key("ns", "unrelated")));
}

TEST_CASE("orphan deletion removes the owner reference and then the owner", "[controllers]") {
  Cluster c;
  Controllers controllers(*c.store, c.registry);
  controllers.start();
  auto cm = c.info("", "v1", "configmaps");
  const json a = c.config_map("ns", "a");
  const json other = c.config_map("ns", "other");
  c.config_map("ns", "b", json{owner_ref(a), owner_ref(other)});

  DeleteRequest orphan;
  orphan.propagation_policy = "Orphan";
  auto out = delete_object(*c.store, *cm, cm_key("ns", "a"), orphan);
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  CHECK(eventually([&] { return !c.exists(cm_key("ns", "a")); }));
  REQUIRE(c.exists(cm_key("ns", "b")));
  CHECK(owners_of(c, cm_key("ns", "b")) == json{owner_ref(other)});
}

TEST_CASE("foreground deletion waits for blocking dependents", "[controllers]") {
  Cluster c;
  Controllers controllers(*c.store, c.registry);
  controllers.start();
  auto cm = c.info("", "v1", "configmaps");
  const json a = c.config_map("ns", "a");
  c.config_map("ns", "blocker", json{owner_ref(a, true)}, json{"example.com/hold"});
  c.config_map("ns", "free", json{owner_ref(a)});

  DeleteRequest foreground;
  foreground.propagation_policy = "Foreground";
  auto out = delete_object(*c.store, *cm, cm_key("ns", "a"), foreground);
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  CHECK(out->object["metadata"]["finalizers"] == json{"foregroundDeletion"});

  // Both dependents are deleted; the blocking one stays (its own finalizer) and so does the
  // owner.
  CHECK(eventually([&] {
    return !c.exists(cm_key("ns", "free")) &&
           c.get(cm_key("ns", "blocker"))["metadata"].contains("deletionTimestamp");
  }));
  REQUIRE(c.exists(cm_key("ns", "a")));
  CHECK(c.get(cm_key("ns", "a"))["metadata"]["finalizers"] == json{"foregroundDeletion"});

  c.remove_finalizer(cm_key("ns", "blocker"), "example.com/hold");
  CHECK(eventually([&] {
    return !c.exists(cm_key("ns", "blocker")) && !c.exists(cm_key("ns", "a"));
  }));
}

TEST_CASE("a dependent is collected only when none of its owners remains", "[controllers]") {
  Cluster c;
  auto cm = c.info("", "v1", "configmaps");
  const json live = c.config_map("ns", "live");
  const json ghost = {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", "ghost"}, {"uid", "0000-gone"}}}};
  const json stale = {{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", "live"}, {"uid", "old-incarnation"}}}};
  c.config_map("ns", "orphaned", json{owner_ref(ghost), owner_ref(stale)});
  c.config_map("ns", "kept", json{owner_ref(ghost), owner_ref(live)});
  // Unresolvable references never collect: an unserved kind, and a cluster-scoped dependent
  // naming a namespaced owner.
  json unserved = owner_ref(ghost);
  unserved["apiVersion"] = "example.com/v1";
  unserved["kind"] = "Gadget";
  c.config_map("ns", "unserved", json{unserved});
  auto namespaces = c.info("", "v1", "namespaces");
  c.create(*namespaces, "",
           {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", {{"name", "scoped"}, {"ownerReferences", {owner_ref(ghost)}}}}});

  // Work is taken in key order; this namespace sorts after everything above, so once it is
  // collected the others have been looked at.
  const json ghost_ns = {{"apiVersion", "v1"},
                         {"kind", "Namespace"},
                         {"metadata", {{"name", "ghost-ns"}, {"uid", "0000-gone"}}}};
  c.create(*namespaces, "",
           {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", {{"name", "zzz-marker"}, {"ownerReferences", {owner_ref(ghost_ns)}}}}});

  Controllers controllers(*c.store, c.registry);
  controllers.start();
  CHECK(eventually([&] { return !c.exists({"", "namespaces", "", "zzz-marker"}); }));
  CHECK_FALSE(c.exists(cm_key("ns", "orphaned")));
  CHECK(owners_of(c, cm_key("ns", "kept")) == json{owner_ref(live)});
  CHECK(c.exists(cm_key("ns", "unserved")));
  CHECK(c.exists({"", "namespaces", "", "scoped"}));
}

TEST_CASE("the start-up scan collects dependents of owners deleted while stopped",
          "[controllers]") {
  Cluster c;
  const json a = c.config_map("ns", "a");
  c.config_map("ns", "b", json{owner_ref(a)});
  {
    Controllers controllers(*c.store, c.registry);
    controllers.start();
    controllers.stop();
  }
  REQUIRE(c.store->remove(cm_key("ns", "a")));
  REQUIRE(c.exists(cm_key("ns", "b")));
  Controllers controllers(*c.store, c.registry);
  controllers.start();
  CHECK(eventually([&] { return !c.exists(cm_key("ns", "b")); }));
}

TEST_CASE("the periodic full scan finds dependents no event pointed at", "[controllers]") {
  Cluster c;
  ControllerOptions options;
  options.gc_full_scan_interval = std::chrono::milliseconds(200);
  Controllers controllers(*c.store, c.registry, options);
  controllers.start();
  // The owner's kind is not served yet: the reference cannot be resolved and the dependent
  // stays.
  const json ghost = {{"apiVersion", "example.com/v1"},
                      {"kind", "Gadget"},
                      {"metadata", {{"name", "g"}, {"uid", "0000-gone"}}}};
  c.config_map("ns", "b", json{owner_ref(ghost)});
  // Once a later dependent with a dangling owner is collected, "b" has been looked at too.
  const json gone = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", "gone"}, {"uid", "0000-gone"}}}};
  c.config_map("ns", "marker", json{owner_ref(gone)});
  REQUIRE(eventually([&] { return !c.exists(cm_key("ns", "marker")); }));
  REQUIRE(c.exists(cm_key("ns", "b")));
  // Serving the kind writes nothing to the dependent; only a full scan looks at it again and
  // finds the owner absent.
  ResourceInfo gadgets;
  gadgets.group = "example.com";
  gadgets.version = "v1";
  gadgets.resource = "gadgets";
  gadgets.kind = "Gadget";
  gadgets.list_kind = "GadgetList";
  gadgets.verbs = {"delete", "get", "list", "watch"};
  gadgets.custom = true;
  gadgets.crd_name = "gadgets.example.com";
  REQUIRE(c.registry.set_crd("gadgets.example.com", {gadgets}));
  CHECK(eventually([&] { return !c.exists(cm_key("ns", "b")); }));
}

TEST_CASE("namespace deletion removes its content honouring finalizers", "[controllers]") {
  Cluster c;
  Controllers controllers(*c.store, c.registry);
  controllers.start();
  auto namespaces = c.info("", "v1", "namespaces");
  c.name_space("team");
  c.name_space("other");
  c.config_map("team", "plain");
  c.config_map("team", "held", nullptr, json{"example.com/hold"});
  c.config_map("other", "bystander");
  const ObjectKey ns{"", "namespaces", "", "team"};

  auto out = delete_object(*c.store, *namespaces, ns, {});
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  CHECK(eventually([&] {
    if (c.exists(cm_key("team", "plain"))) return false;
    const json n = c.get(ns);
    return has_condition(n, "NamespaceContentRemaining", "True",
                         "Some resources are remaining: configmaps. has 1 resource instances") &&
           has_condition(n, "NamespaceFinalizersRemaining", "True",
                         "Some content in the namespace has finalizers remaining: "
                         "example.com/hold in 1 resource instances") &&
           has_condition(n, "NamespaceDeletionContentFailure", "False", "All content");
  }));
  const json terminating = c.get(ns);
  CHECK(terminating["status"]["phase"] == "Terminating");
  CHECK(terminating["spec"]["finalizers"] == json{"kubernetes"});
  CHECK(c.get(cm_key("team", "held"))["metadata"].contains("deletionTimestamp"));

  c.remove_finalizer(cm_key("team", "held"), "example.com/hold");
  CHECK(eventually([&] { return !c.exists(ns); }));
  CHECK(c.exists(cm_key("other", "bystander")));
  CHECK(c.exists({"", "namespaces", "", "other"}));
}

TEST_CASE("deleting a CRD removes its custom resources and its served resources",
          "[controllers]") {
  Cluster c;
  ResourceInfo widgets;
  widgets.group = "example.com";
  widgets.version = "v1";
  widgets.resource = "widgets";
  widgets.singular = "widget";
  widgets.kind = "Widget";
  widgets.list_kind = "WidgetList";
  widgets.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update",
                   "watch"};
  widgets.custom = true;
  widgets.crd_name = "widgets.example.com";
  widgets.storage_version = "v1";
  widgets.generation = GenerationPolicy::kAllButMetadata;
  REQUIRE(c.registry.set_crd("widgets.example.com", {widgets}));

  auto crds = c.info("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  const json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "widgets.example.com"}}},
      {"spec",
       {{"group", "example.com"},
        {"scope", "Namespaced"},
        {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}}},
        {"versions",
         {{{"name", "v1"},
           {"served", true},
           {"storage", true},
           {"schema",
            {{"openAPIV3Schema",
              {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}};
  const json stored = c.create(*crds, "", crd);
  CHECK(stored["metadata"]["finalizers"] == json{"customresourcecleanup.apiextensions.k8s.io"});
  const ObjectKey crd_key{"apiextensions.k8s.io", "customresourcedefinitions", "",
                          "widgets.example.com"};
  for (const char* ns : {"a", "b"}) {
    json w = {{"apiVersion", "example.com/v1"},
              {"kind", "Widget"},
              {"metadata", {{"name", "w"}, {"namespace", ns}}}};
    REQUIRE(c.store->create(widgets.ref(), ns, w, {widgets.generation}));
  }
  json held = {{"apiVersion", "example.com/v1"},
               {"kind", "Widget"},
               {"metadata", {{"name", "held"}, {"namespace", "a"}, {"finalizers", {"x.io/y"}}}}};
  REQUIRE(c.store->create(widgets.ref(), "a", held, {widgets.generation}));

  Controllers controllers(*c.store, c.registry);
  controllers.start();
  auto out = delete_object(*c.store, *crds, crd_key, {});
  REQUIRE(out);
  CHECK_FALSE(out->removed);
  const ObjectKey held_key{"example.com", "widgets", "a", "held"};
  CHECK(eventually([&] {
    return !c.exists({"example.com", "widgets", "a", "w"}) &&
           !c.exists({"example.com", "widgets", "b", "w"}) &&
           c.get(held_key)["metadata"].contains("deletionTimestamp") &&
           has_condition(c.get(crd_key), "Terminating", "True",
                         "CustomResource deletion is in progress");
  }));
  CHECK(c.registry.find("example.com", "v1", "widgets"));

  c.remove_finalizer(held_key, "x.io/y");
  CHECK(eventually([&] { return !c.exists(crd_key); }));
  CHECK(eventually([&] { return c.registry.find("example.com", "v1", "widgets") == nullptr; }));
}
