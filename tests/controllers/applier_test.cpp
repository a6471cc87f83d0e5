// The applier: manifest parsing (pure) and apply / prune / delete_all against an in-process
// `cairn apiserver` shared by the whole binary; every test works in namespaces of its own and
// CRDs of its own group.
#include "controllers/applier.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/kube/fake_clock.h"
#include "tests/kube/test_apiserver.h"

namespace cairn::controllers {
namespace {

using kube::testing::create_test_namespace;
using kube::testing::test_client;
using nlohmann::json;

const kube::GroupVersionKind kConfigMap{"", "v1", "ConfigMap"};
const kube::GroupVersionKind kDeployment{"apps", "v1", "Deployment"};
const kube::GroupVersionKind kClusterRole{"rbac.authorization.k8s.io", "v1", "ClusterRole"};
const kube::GroupVersionKind kCrd{"apiextensions.k8s.io", "v1", "CustomResourceDefinition"};

std::string config_map_yaml(const std::string& name, const std::string& value,
                            const std::string& ns_line = "") {
  return "---\n# Source: test/templates/" + name + ".yaml\napiVersion: v1\nkind: ConfigMap\n" +
         "metadata:\n  name: " + name + "\n" + ns_line + "data:\n  key: \"" + value + "\"\n";
}

std::string deployment_yaml(const std::string& name) {
  return "---\n# Source: test/templates/deployment.yaml\n"
         "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " +
         name + "\n  labels:\n    app: " + name +
         "\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: " + name +
         "\n  template:\n    metadata:\n      labels:\n        app: " + name +
         "\n    spec:\n      containers:\n      - name: main\n        image: busybox:1.36\n";
}

std::string cluster_role_yaml(const std::string& name) {
  return "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: " +
         name +
         "\nrules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\"]\n  verbs: [\"get\"]\n";
}

// A namespaced CRD of kind Widget in `group`.
std::string crd_yaml(const std::string& group) {
  return "---\n# Source: test/templates/crd.yaml\n"
         "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
         "  name: widgets." +
         group + "\nspec:\n  group: " + group +
         "\n  names:\n    kind: Widget\n    listKind: WidgetList\n    plural: widgets\n"
         "    singular: widget\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n"
         "    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n"
         "        x-kubernetes-preserve-unknown-fields: true\n";
}

std::string widget_yaml(const std::string& group, const std::string& name) {
  return "---\napiVersion: " + group + "/v1\nkind: Widget\nmetadata:\n  name: " + name +
         "\nspec:\n  size: 3\n";
}

ApplyOptions options_for(const std::string& ns) {
  ApplyOptions options;
  options.namespace_ = ns;
  options.field_manager = "cairn-test";
  options.labels = {{"example.com/release", "r1"}};
  return options;
}

const api::Resource* find_entry(const std::vector<api::Resource>& inventory,
                                const std::string& kind, const std::string& name) {
  for (const auto& r : inventory) {
    if (r.kind == kind && r.name == name) return &r;
  }
  return nullptr;
}

// The label's value; "" when the object has no such label.
std::string label(const json& object, const std::string& key) {
  const json labels = object.value("/metadata/labels"_json_pointer, json::object());
  return labels.value(key, std::string());
}

bool exists(kube::Client& client, const kube::GroupVersionKind& gvk, const std::string& ns,
            const std::string& name) {
  auto got = client.get(gvk, ns, name);
  if (got) return true;
  REQUIRE(kube::is_not_found(got.error()));
  return false;
}

ApplyResult must_apply(Applier& applier, const std::string& manifest,
                       const std::vector<api::Resource>& previous, const ApplyOptions& options) {
  auto result = applier.apply(manifest, previous, options);
  if (!result) FAIL("apply failed: " << result.error().message);
  return *result;
}

// ------------------------------------------------------------------ parse_manifest

TEST_CASE("parse_manifest reads YAML 1.1 scalars the way kubectl does", "[applier][parse]") {
  const std::string manifest =
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: scalars\n"
      "values:\n"
      "  yes_word: yes\n  off_word: Off\n  y_word: y\n  quoted: \"yes\"\n  nothing: ~\n"
      "  empty:\n  decimal: 42\n  negative: -7\n  hex: 0x1F\n  octal: 0755\n  binary: 0b101\n"
      "  underscores: 1_000\n  float: 2.5\n  integral_float: 3.0\n  big: 18446744073709551615\n"
      "  huge: 1e400\n  date: 2001-12-14\n  version: 1.27.3\n  literal: |\n    line\n"
      "  tagged: !!str 12\n"
      "  on: keyed\n  0x10: hexkey\n"
      "  base: &base {a: 1, b: 2}\n  merged:\n    <<: *base\n    b: 3\n";
  auto docs = parse_manifest(manifest);
  REQUIRE(docs);
  REQUIRE(docs->size() == 1);
  json v = (*docs)[0].object["values"];
  CHECK(v["yes_word"] == true);
  CHECK(v["off_word"] == false);
  CHECK(v["y_word"] == true);
  CHECK(v["quoted"] == "yes");
  CHECK(v["nothing"].is_null());
  CHECK(v["empty"].is_null());
  CHECK(v["decimal"] == 42);
  CHECK(v["negative"] == -7);
  CHECK(v["hex"] == 31);
  CHECK(v["octal"] == 493);
  CHECK(v["binary"] == 5);
  CHECK(v["underscores"] == 1000);
  CHECK(v["float"] == 2.5);
  CHECK(v["integral_float"].is_number_integer());
  CHECK(v["integral_float"] == 3);
  CHECK(v["big"].is_number_unsigned());
  CHECK(v["big"] == 18446744073709551615ULL);
  CHECK(v["huge"] == "1e400");
  CHECK(v["date"] == "2001-12-14");
  CHECK(v["version"] == "1.27.3");
  CHECK(v["literal"] == "line\n");
  CHECK(v["tagged"] == "12");
  CHECK(v["true"] == "keyed");
  CHECK(v["16"] == "hexkey");
  CHECK(v["merged"] == json{{"a", 1}, {"b", 3}});
}

TEST_CASE("parse_manifest skips empty documents and keeps line and source", "[applier][parse]") {
  const std::string manifest =
      "---\n# Source: chart/templates/empty.yaml\n# nothing here\n"
      "---\n\n---\nnull\n" +
      config_map_yaml("a", "1") + "---\n" + config_map_yaml("b", "2");
  auto docs = parse_manifest(manifest);
  REQUIRE(docs);
  REQUIRE(docs->size() == 2);
  CHECK((*docs)[0].index == 1);
  CHECK((*docs)[0].line == 8);
  CHECK((*docs)[0].source == "test/templates/a.yaml");
  CHECK((*docs)[0].object["metadata"]["name"] == "a");
  CHECK((*docs)[1].index == 2);
  CHECK((*docs)[1].object["data"]["key"] == "2");
}

TEST_CASE("parse_manifest names the document that is not valid YAML", "[applier][parse]") {
  const std::string manifest = config_map_yaml("a", "1") +
                               "---\n# Source: chart/templates/broken.yaml\n"
                               "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n";
  auto docs = parse_manifest(manifest);
  REQUIRE_FALSE(docs);
  CHECK(docs.error().document == 2);
  CHECK(docs.error().line == 9);
  CHECK(docs.error().source == "chart/templates/broken.yaml");
  INFO(docs.error().message);
  CHECK_THAT(docs.error().message, Catch::Contains("manifest document 2") &&
                                       Catch::Contains("chart/templates/broken.yaml") &&
                                       Catch::Contains("invalid YAML at line 14, column 1"));
}

TEST_CASE("parse_manifest says what a document lacks", "[applier][parse]") {
  auto missing = parse_manifest(config_map_yaml("a", "1") + "---\nkind: ConfigMap\nmetadata: {}\n");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().document == 2);
  CHECK_THAT(missing.error().message, Catch::Contains("missing apiVersion, metadata.name"));

  auto list = parse_manifest("- a\n- b\n");
  REQUIRE_FALSE(list);
  CHECK(list.error().document == 1);
  CHECK_THAT(list.error().message, Catch::Contains("expected an object, got a list"));

  auto traversal = parse_manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../x\n");
  REQUIRE_FALSE(traversal);
  CHECK_THAT(traversal.error().message, Catch::Contains("metadata.name"));

  auto infinite =
      parse_manifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: .inf\n");
  REQUIRE_FALSE(infinite);
  CHECK_THAT(infinite.error().message, Catch::Contains("value .inf at line 6 has no JSON form"));

  // JSON strings must be UTF-8 (the request body could not be written otherwise).
  auto binary = parse_manifest(config_map_yaml("ok", "1") +
                               "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"
                               "data:\n  v: a\xff\xfe b\n");
  REQUIRE_FALSE(binary);
  CHECK(binary.error().document == 2);
  CHECK_THAT(binary.error().message, Catch::Contains("string at line 15 is not valid UTF-8"));
}

TEST_CASE("parse_manifest refuses alias bombs and deep nesting", "[applier][parse]") {
  std::string manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\n";
  manifest += "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    manifest += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + prev;
    for (int k = 0; k < 9; ++k) manifest += ", " + prev;
    manifest += "]\n";
  }
  auto docs = parse_manifest(manifest);
  REQUIRE_FALSE(docs);
  CHECK_THAT(docs.error().message, Catch::Contains("aliases"));

  std::string deep = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n";
  for (int i = 0; i < 1200; ++i) deep += std::string(static_cast<std::size_t>(i) + 2, ' ') + "x:\n";
  auto nested = parse_manifest(deep);
  REQUIRE_FALSE(nested);
  CHECK(nested.error().document == 1);
}

// ------------------------------------------------------------------ apply

TEST_CASE("apply needs a target namespace and applies nothing for a broken manifest", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-broken");
  Applier applier(*client);
  auto no_ns = applier.apply(config_map_yaml("a", "1"), {}, ApplyOptions{});
  REQUIRE_FALSE(no_ns);
  CHECK_THAT(no_ns.error().message, Catch::Contains("namespace"));

  auto broken = applier.apply(config_map_yaml("first", "1") + "---\nkind: [\n", {},
                              options_for("apply-broken"));
  REQUIRE_FALSE(broken);
  CHECK(broken.error().document == 2);
  CHECK_FALSE(exists(*client, kConfigMap, "apply-broken", "first"));
}

TEST_CASE("apply creates objects with the instance label, in the target namespace", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-create");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("one", "1") + config_map_yaml("two", "2") +
                               deployment_yaml("web") + cluster_role_yaml("apply-create-reader");
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-create"));
  CHECK(result.synced());
  CHECK(result.counts == ApplyCounts{4, 0, 0, 0, 0});
  REQUIRE(result.resources.size() == 4);
  CHECK(result.resources[0] ==
        api::Resource{"", "v1", "ConfigMap", "apply-create", "one", "synced", ""});
  CHECK(result.resources[2] ==
        api::Resource{"apps", "v1", "Deployment", "apply-create", "web", "synced", ""});
  CHECK(result.resources[3] == api::Resource{"rbac.authorization.k8s.io", "v1", "ClusterRole", "",
                                             "apply-create-reader", "synced", ""});

  auto cm = client->get(kConfigMap, "apply-create", "one");
  REQUIRE(cm);
  CHECK(label(*cm, "clusterstack.x-k8s.io/instance") == "owned");
  CHECK(label(*cm, "example.com/release") == "r1");
  CHECK((*cm)["data"]["key"] == "1");

  auto deployment = client->get(kDeployment, "apply-create", "web");
  REQUIRE(deployment);
  CHECK(label(*deployment, "clusterstack.x-k8s.io/instance") == "owned");
  CHECK(label(*deployment, "app") == "web");
  json template_labels = (*deployment)["spec"]["template"]["metadata"]["labels"];
  CHECK(template_labels["clusterstack.x-k8s.io/instance"] == "owned");
  CHECK(template_labels["app"] == "web");
  CHECK_FALSE(template_labels.contains("example.com/release"));

  auto role = client->get(kClusterRole, "", "apply-create-reader");
  REQUIRE(role);
  CHECK_FALSE((*role)["metadata"].contains("namespace"));
  CHECK(label(*role, "clusterstack.x-k8s.io/instance") == "owned");

  // Applying again changes nothing and deletes nothing.
  const ApplyResult again =
      must_apply(applier, manifest, result.resources, options_for("apply-create"));
  CHECK(again.synced());
  CHECK(again.counts == ApplyCounts{0, 0, 4, 0, 0});
  CHECK(again.resources == result.resources);
}

TEST_CASE("apply puts CRDs first so a custom resource of the same manifest applies",
          "[applier][crd]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-crd");
  Applier applier(*client);
  const std::string group = "apply-crd.example.com";
  // The custom resource comes before its CRD in the manifest.
  const std::string manifest =
      widget_yaml(group, "w1") + config_map_yaml("settings", "x") + crd_yaml(group);
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-crd"));
  INFO("first entry error: " << result.resources[0].error);
  CHECK(result.synced());
  REQUIRE(result.resources.size() == 3);
  CHECK(result.resources[0].kind == "CustomResourceDefinition");
  CHECK(result.resources[0].namespace_.empty());
  CHECK(result.resources[1] ==
        api::Resource{group, "v1", "Widget", "apply-crd", "w1", "synced", ""});
  CHECK(result.resources[2].name == "settings");

  auto widget = client->get({group, "v1", "Widget"}, "apply-crd", "w1");
  REQUIRE(widget);
  CHECK((*widget)["spec"]["size"] == 3);
  CHECK(label(*widget, "clusterstack.x-k8s.io/instance") == "owned");
}

TEST_CASE("apply creates a Namespace of the manifest before the objects that live in it",
          "[applier]") {
  auto client = test_client();
  Applier applier(*client);
  const std::string manifest = config_map_yaml("inside", "1") +
                               "---\napiVersion: v1\nkind: Namespace\nmetadata:\n"
                               "  name: apply-ns-first\n";
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-ns-first"));
  CHECK(result.synced());
  REQUIRE(result.resources.size() == 2);
  CHECK(result.resources[0] ==
        api::Resource{"", "v1", "Namespace", "", "apply-ns-first", "synced", ""});
  CHECK(exists(*client, kConfigMap, "apply-ns-first", "inside"));
}

TEST_CASE("apply waits for a CRD that never becomes established only until the deadline",
          "[applier][crd]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-crd-late");
  const std::string group = "apply-crd-late.example.com";
  Applier first_applier(*client);
  REQUIRE(must_apply(first_applier, crd_yaml(group), {}, options_for("apply-crd-late")).synced());

  // A second CRD of the same group whose kind conflicts: NamesAccepted and Established stay
  // False. The fake clock makes the wait instant and shows how long it lasted.
  std::string conflicting = crd_yaml(group);
  const auto replace = [&](const std::string& from, const std::string& to) {
    conflicting.replace(conflicting.find(from), from.size(), to);
  };
  replace("name: widgets.", "name: gizmos.");
  replace("plural: widgets", "plural: gizmos");
  replace("singular: widget", "singular: gizmo");
  replace("listKind: WidgetList", "listKind: GizmoList");
  kube::testing::FakeClock clock;
  ApplierConfig config;
  config.crd_established_timeout = std::chrono::seconds(5);
  config.crd_poll_interval = std::chrono::milliseconds(250);
  Applier applier(*client, clock, config);
  const ApplyResult result = must_apply(applier, conflicting + config_map_yaml("after", "1"), {},
                                        options_for("apply-crd-late"));
  CHECK(result.synced());
  CHECK(clock.total_slept() >= std::chrono::seconds(5));
  CHECK(clock.total_slept() < std::chrono::seconds(6));
  CHECK(exists(*client, kConfigMap, "apply-crd-late", "after"));
  auto gizmos = client->get(kCrd, "", "gizmos." + group);
  REQUIRE(gizmos);
  std::string established;
  for (const auto& c : (*gizmos)["status"]["conditions"]) {
    if (c["type"] == "Established") established = c["status"].get<std::string>();
  }
  CHECK(established == "False");
}

TEST_CASE("apply reverts a hand edit of an applied object", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-drift");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("cfg", "wanted") + config_map_yaml("other", "1");
  const ApplyResult first = must_apply(applier, manifest, {}, options_for("apply-drift"));
  REQUIRE(first.synced());

  auto edited = client->patch(kConfigMap, "apply-drift", "cfg", kube::PatchType::kMerge,
                              json{{"data", {{"key", "by hand"}}}});
  REQUIRE(edited);
  REQUIRE((*edited)["data"]["key"] == "by hand");

  const ApplyResult second =
      must_apply(applier, manifest, first.resources, options_for("apply-drift"));
  CHECK(second.synced());
  CHECK(second.counts == ApplyCounts{0, 1, 1, 0, 0});
  auto cm = client->get(kConfigMap, "apply-drift", "cfg");
  REQUIRE(cm);
  CHECK((*cm)["data"]["key"] == "wanted");
}

TEST_CASE("a steady state sends no apply; a new manifest of an object removes dropped fields",
          "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-digest");
  Applier applier(*client);
  const std::string two_keys =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  "
      "b: \"2\"\n";
  const ApplyResult first = must_apply(applier, two_keys, {}, options_for("apply-digest"));
  REQUIRE(first.synced());
  auto created = client->get(kConfigMap, "apply-digest", "cfg");
  REQUIRE(created);
  CHECK((*created)["metadata"]["annotations"].contains("clusterstack.x-k8s.io/applied-digest"));
  const json managed_before = (*created)["metadata"]["managedFields"];

  // Unchanged: nothing is sent, so not even the apply's managedFields time moves.
  const ApplyResult again = must_apply(applier, two_keys, first.resources,
                                       options_for("apply-digest"));
  CHECK(again.counts == ApplyCounts{0, 0, 1, 0, 0});
  CHECK(client->get(kConfigMap, "apply-digest", "cfg").value()["metadata"]["managedFields"] ==
        managed_before);

  // The live object still holds every field of the new manifest, but the manifest dropped `b`:
  // the digest differs, so the object is applied and `b` goes.
  const std::string one_key =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n";
  const ApplyResult third = must_apply(applier, one_key, again.resources,
                                       options_for("apply-digest"));
  CHECK(third.counts == ApplyCounts{0, 1, 0, 0, 0});
  auto cm = client->get(kConfigMap, "apply-digest", "cfg");
  REQUIRE(cm);
  CHECK((*cm)["data"] == json{{"a", "1"}});
}

TEST_CASE("apply prunes objects the new manifest no longer produces", "[applier][prune]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-prune");
  Applier applier(*client);
  const ApplyResult first = must_apply(applier,
                                       config_map_yaml("keep", "1") + config_map_yaml("drop", "2") +
                                           cluster_role_yaml("apply-prune-reader"),
                                       {}, options_for("apply-prune"));
  REQUIRE(first.synced());
  REQUIRE(first.resources.size() == 3);

  const ApplyResult second = must_apply(applier, config_map_yaml("keep", "1"), first.resources,
                                        options_for("apply-prune"));
  CHECK(second.synced());
  CHECK(second.counts == ApplyCounts{0, 0, 1, 2, 0});
  REQUIRE(second.resources.size() == 1);
  CHECK(second.resources[0].name == "keep");
  CHECK(exists(*client, kConfigMap, "apply-prune", "keep"));
  CHECK_FALSE(exists(*client, kConfigMap, "apply-prune", "drop"));
  CHECK_FALSE(exists(*client, kClusterRole, "", "apply-prune-reader"));
}

TEST_CASE("apply keeps an object whose recorded version the chart moved away from",
          "[applier][prune]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-version");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("cfg", "1");
  const ApplyResult first = must_apply(applier, manifest, {}, options_for("apply-version"));
  REQUIRE(first.synced());
  // An inventory written when the kind was served as another version.
  std::vector<api::Resource> previous = first.resources;
  previous[0].version = "v0alpha1";
  const ApplyResult second = must_apply(applier, manifest, previous, options_for("apply-version"));
  CHECK(second.synced());
  CHECK(second.counts.deleted == 0);
  CHECK(exists(*client, kConfigMap, "apply-version", "cfg"));
}

TEST_CASE("prune leaves objects without the instance label alone", "[applier][prune]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-foreign");
  REQUIRE(client->create(kube::testing::config_map("apply-foreign", "theirs")));
  Applier applier(*client);
  const std::vector<api::Resource> previous = {
      {"", "v1", "ConfigMap", "apply-foreign", "theirs", "not-synced", "failed earlier"}};
  const ApplyResult result =
      must_apply(applier, config_map_yaml("mine", "1"), previous, options_for("apply-foreign"));
  CHECK(result.synced());
  CHECK(result.counts.deleted == 0);
  REQUIRE(result.resources.size() == 1);
  CHECK(result.resources[0].name == "mine");
  CHECK(exists(*client, kConfigMap, "apply-foreign", "theirs"));
}

TEST_CASE("an object of an unknown kind fails alone", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-unknown");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("a", "1") +
                               "---\napiVersion: nowhere.example.com/v1\nkind: Gadget\n"
                               "metadata:\n  name: g\n" +
                               "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n"
                               "data: [not, a, map]\n" +
                               config_map_yaml("b", "2");
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-unknown"));
  CHECK_FALSE(result.synced());
  CHECK(result.counts == ApplyCounts{2, 0, 0, 0, 2});
  const api::Resource* bad = find_entry(result.resources, "ConfigMap", "bad");
  REQUIRE(bad != nullptr);
  CHECK(bad->status == "not-synced");
  INFO("rejected: " << bad->error);
  CHECK_THAT(bad->error, Catch::Contains("data"));
  CHECK_FALSE(exists(*client, kConfigMap, "apply-unknown", "bad"));
  const api::Resource* gadget = find_entry(result.resources, "Gadget", "g");
  REQUIRE(gadget != nullptr);
  CHECK(gadget->status == "not-synced");
  CHECK(gadget->group == "nowhere.example.com");
  CHECK_THAT(gadget->error, Catch::Contains("no matches for kind \"Gadget\""));
  CHECK(find_entry(result.resources, "ConfigMap", "a")->status == "synced");
  CHECK(find_entry(result.resources, "ConfigMap", "b")->status == "synced");
  CHECK(exists(*client, kConfigMap, "apply-unknown", "b"));

  // Dropping the unknown object from the manifest drops its entry without any deletion.
  const ApplyResult fixed =
      must_apply(applier, config_map_yaml("a", "1") + config_map_yaml("b", "2"), result.resources,
                 options_for("apply-unknown"));
  CHECK(fixed.synced());
  CHECK(fixed.resources.size() == 2);
}

TEST_CASE("an object naming another namespace is an error for that object only", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-ns");
  create_test_namespace(*client, "apply-ns-elsewhere");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("here", "1", "  namespace: apply-ns\n") +
                               config_map_yaml("there", "2", "  namespace: apply-ns-elsewhere\n");
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-ns"));
  CHECK_FALSE(result.synced());
  CHECK(result.counts == ApplyCounts{1, 0, 0, 0, 1});
  const api::Resource* there = find_entry(result.resources, "ConfigMap", "there");
  REQUIRE(there != nullptr);
  CHECK(there->status == "not-synced");
  CHECK(there->namespace_ == "apply-ns-elsewhere");
  CHECK_THAT(there->error, Catch::Contains("\"apply-ns-elsewhere\" differs from the target "
                                           "namespace \"apply-ns\""));
  CHECK(find_entry(result.resources, "ConfigMap", "here")->status == "synced");
  CHECK(exists(*client, kConfigMap, "apply-ns", "here"));
  CHECK_FALSE(exists(*client, kConfigMap, "apply-ns-elsewhere", "there"));
  CHECK_FALSE(exists(*client, kConfigMap, "apply-ns", "there"));
}

TEST_CASE("a duplicate object is applied once and the copy is reported", "[applier]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-dup");
  Applier applier(*client);
  const std::string manifest = config_map_yaml("same", "first") + config_map_yaml("same", "second");
  const ApplyResult result = must_apply(applier, manifest, {}, options_for("apply-dup"));
  CHECK_FALSE(result.synced());
  REQUIRE(result.resources.size() == 2);
  CHECK(result.resources[0].status == "synced");
  CHECK(result.resources[1].status == "not-synced");
  CHECK_THAT(result.resources[1].error, Catch::Contains("more than once (first in document 1)"));
  auto cm = client->get(kConfigMap, "apply-dup", "same");
  REQUIRE(cm);
  CHECK((*cm)["data"]["key"] == "first");
}

TEST_CASE("a pruned object held by a finalizer stays in the inventory until it is gone",
          "[applier][prune]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-final");
  Applier applier(*client);
  const std::string held =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n"
      "  finalizers: [example.com/hold]\n";
  const ApplyResult first =
      must_apply(applier, held + config_map_yaml("keep", "1"), {}, options_for("apply-final"));
  REQUIRE(first.synced());

  const ApplyResult second = must_apply(applier, config_map_yaml("keep", "1"), first.resources,
                                        options_for("apply-final"));
  CHECK_FALSE(second.synced());
  CHECK(second.counts.deleted == 1);
  const api::Resource* pending = find_entry(second.resources, "ConfigMap", "held");
  REQUIRE(pending != nullptr);
  CHECK(pending->status == "not-synced");
  CHECK_THAT(pending->error, Catch::Contains("finalizers"));

  REQUIRE(client->patch(kConfigMap, "apply-final", "held", kube::PatchType::kMerge,
                        json{{"metadata", {{"finalizers", nullptr}}}}));
  REQUIRE(kube::testing::eventually(
      [&] { return !exists(*client, kConfigMap, "apply-final", "held"); }));
  const ApplyResult third = must_apply(applier, config_map_yaml("keep", "1"), second.resources,
                                       options_for("apply-final"));
  CHECK(third.synced());
  CHECK(third.resources.size() == 1);
}

// ------------------------------------------------------------------ delete_all

TEST_CASE("delete_all removes every object, also when some were deleted by hand",
          "[applier][delete]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-delete");
  Applier applier(*client);
  const std::string group = "apply-delete.example.com";
  const std::string manifest = crd_yaml(group) + widget_yaml(group, "w") +
                               config_map_yaml("a", "1") + config_map_yaml("b", "2") +
                               deployment_yaml("web") + cluster_role_yaml("apply-delete-reader");
  const ApplyResult applied = must_apply(applier, manifest, {}, options_for("apply-delete"));
  REQUIRE(applied.synced());
  REQUIRE(applied.resources.size() == 6);

  REQUIRE(client->remove(kConfigMap, "apply-delete", "a"));
  const DeleteResult deleted = applier.delete_all(applied.resources);
  CHECK(deleted.failed == 0);
  CHECK(deleted.deleted == 5);
  CHECK_FALSE(exists(*client, kConfigMap, "apply-delete", "b"));
  CHECK_FALSE(exists(*client, kDeployment, "apply-delete", "web"));
  CHECK_FALSE(exists(*client, kClusterRole, "", "apply-delete-reader"));
  CHECK_FALSE(exists(*client, {group, "v1", "Widget"}, "apply-delete", "w"));
  // Only the CRD may be left: the server's finalizer removes its custom resources first.
  for (const auto& left : deleted.remaining) {
    CHECK(left.kind == "CustomResourceDefinition");
    CHECK_THAT(left.error, Catch::Contains("finalizers"));
  }
  REQUIRE(
      kube::testing::eventually([&] { return !exists(*client, kCrd, "", "widgets." + group); }));

  // Everything is gone: another call deletes nothing and leaves nothing.
  const DeleteResult again = applier.delete_all(applied.resources);
  CHECK(again.done());
  CHECK(again.deleted == 0);
}

TEST_CASE("delete_all reports what it could not delete", "[applier][delete]") {
  auto client = test_client();
  create_test_namespace(*client, "apply-delete-held");
  Applier applier(*client);
  const std::string manifest =
      "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n"
      "  finalizers: [example.com/hold]\n" +
      config_map_yaml("free", "1");
  const ApplyResult applied = must_apply(applier, manifest, {}, options_for("apply-delete-held"));
  REQUIRE(applied.synced());
  const DeleteResult deleted = applier.delete_all(applied.resources);
  CHECK_FALSE(deleted.done());
  REQUIRE(deleted.remaining.size() == 1);
  CHECK(deleted.remaining[0].name == "held");
  CHECK(deleted.remaining[0].status == "not-synced");
  CHECK_THAT(deleted.remaining[0].error, Catch::Contains("finalizers"));
  CHECK_FALSE(exists(*client, kConfigMap, "apply-delete-held", "free"));

  REQUIRE(client->patch(kConfigMap, "apply-delete-held", "held", kube::PatchType::kMerge,
                        json{{"metadata", {{"finalizers", nullptr}}}}));
  REQUIRE(kube::testing::eventually([&] { return applier.delete_all(deleted.remaining).done(); }));
}

}  // namespace
}  // namespace cairn::controllers
