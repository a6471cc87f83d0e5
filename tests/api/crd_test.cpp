#include "api/crd.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "api/types.h"
#include "apiserver/crd.h"
#include "apiserver/schema.h"
#include "render/codec.h"
#include "tests/api/crd_files.h"

using cairn::api::ClusterAddon;
using cairn::api::ClusterStack;
using cairn::api::ClusterStackRelease;
using cairn::api::crd_manifest;
using cairn::api::decode;
using nlohmann::json;

namespace {

json crd(std::string_view kind) { return crd_manifest(kind).value(); }

const json& schema_of(const json& crd) {
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// What cairn apiserver (and kube-apiserver) do with a custom resource before storing it: prune,
// default, validate. Returns the causes as kube joins them into the Invalid message.
std::vector<std::string> server_causes(std::string_view kind, json object,
                                       std::vector<std::string>* pruned = nullptr) {
  const json c = crd(kind);
  const json& schema = schema_of(c);
  auto dropped = cairn::apiserver::prune_unknown_fields(schema, object);
  if (pruned) *pruned = dropped;
  cairn::apiserver::apply_schema_defaults(schema, object);
  std::vector<std::string> out;
  for (const auto& cause : cairn::apiserver::validate_against_schema(schema, object)) {
    out.push_back(cairn::apiserver::format_cause(cause));
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing file " + path.string() + ">";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Go operator's sample ClusterStack (config/samples), as a user would apply it.
const json kSample = json::parse(R"({
  "apiVersion": "clusterstack.x-k8s.io/v1alpha1",
  "kind": "ClusterStack",
  "metadata": {"name": "clusterstack", "namespace": "cluster"},
  "spec": {
    "provider": "docker",
    "name": "ferrol",
    "kubernetesVersion": "1.27",
    "channel": "stable",
    "autoSubscribe": false,
    "noProvider": true,
    "versions": ["v2"]
  }
})");

cairn::api::Condition full_condition(const std::string& type) {
  return cairn::api::Condition{
      type, "False", "Warning", "ProcessOngoing", "still working", 3, "2026-11-30T17:00:00Z"};
}

cairn::api::ObjectReference full_reference(const std::string& kind) {
  return cairn::api::ObjectReference{"cluster.x-k8s.io/v1beta1",
                                     kind,
                                     "c1",
                                     "ns1",
                                     "0b5c2b8e-1d43-4c5e-9a51-3f0f6c1a2b3c",
                                     "1234",
                                     "spec"};
}

cairn::api::ObjectMeta full_metadata(const std::string& name) {
  cairn::api::ObjectMeta m;
  m.name = name;
  m.namespace_ = "ns1";
  m.uid = "7d8f6f1e-2a7b-4c1d-8e0f-0a1b2c3d4e5f";
  m.resource_version = "1001";
  m.generation = 3;
  m.labels = {{"app", "demo"}};
  m.annotations = {{"note", "x"}};
  m.owner_references = {cairn::api::OwnerReference{"cluster.x-k8s.io/v1beta1", "Cluster", "c1",
                                                   "0b5c2b8e-1d43-4c5e-9a51-3f0f6c1a2b3c", true,
                                                   true}};
  m.finalizers = {"clusterstack.x-k8s.io/test"};
  m.deletion_timestamp = "2026-11-30T18:00:00Z";
  m.extra = {{"creationTimestamp", "2026-11-30T16:00:00Z"}};
  return m;
}

cairn::api::Resource full_resource() {
  return cairn::api::Resource{"apps",    "v1",         "Deployment", "kube-system",
                              "coredns", "not-synced", "timeout"};
}

ClusterStack full_stack() {
  ClusterStack s;
  s.metadata = full_metadata("stack");
  s.spec.provider = "docker";
  s.spec.name = "ferrol";
  s.spec.kubernetes_version = "1.27";
  s.spec.channel = "custom";
  s.spec.versions = {"v1", "v0-sha.hipstsw"};
  s.spec.auto_subscribe = false;
  s.spec.no_provider = true;
  s.spec.provider_ref = full_reference("DockerClusterStackReleaseTemplate");
  s.status.latest_release = "docker-ferrol-1-27-v2 | v1.27.3";
  s.status.summary = {cairn::api::ClusterStackReleaseSummary{"v2", true, "done", "ok"}};
  s.status.usable_versions = "v1, v2";
  s.status.conditions = {full_condition("Ready"), full_condition("ReleasesSynced")};
  return s;
}

ClusterStackRelease full_release() {
  ClusterStackRelease r;
  r.metadata = full_metadata("docker-ferrol-1-27-v0-sha-hipstsw");
  r.spec.provider_ref = full_reference("DockerClusterStackRelease");
  r.status.resources = {full_resource()};
  r.status.kubernetes_version = "v1.27.3";
  r.status.ready = true;
  r.status.conditions = {full_condition("Ready")};
  return r;
}

ClusterAddon full_addon() {
  ClusterAddon a;
  a.metadata = full_metadata("cluster-addon-c1");
  a.spec.cluster_stack = "docker-ferrol-1-27-v2";
  a.spec.version = "v1";
  a.spec.hook = "BeforeClusterUpgrade";
  a.spec.cluster_ref = full_reference("Cluster");
  a.status.resources = {full_resource()};
  a.status.stages = {cairn::api::StageStatus{"cni", "apply", "applyingOrDeleting"}};
  a.status.ready = true;
  a.status.conditions = {full_condition("Ready")};
  return a;
}

// An object with every property the schema describes: strings non-empty (the first enum value
// when there is an enum), booleans true, integers 1, arrays with one item.
json maximal(const json& schema) {
  const std::string type = schema.value("type", "");
  if (type == "object") {
    json out = json::object();
    if (schema.contains("properties")) {
      for (const auto& [key, sub] : schema["properties"].items()) out[key] = maximal(sub);
    }
    return out;
  }
  if (type == "array") return json::array({maximal(schema["items"])});
  if (type == "boolean") return true;
  if (type == "integer") return 1;
  if (schema.contains("enum")) return schema["enum"][0];
  return "x";
}

// Every `default` in the schema, by property path.
void collect_defaults(const json& schema, const std::string& path,
                      std::map<std::string, json>& out) {
  if (schema.contains("default")) out[path] = schema["default"];
  if (schema.contains("properties")) {
    for (const auto& [key, sub] : schema["properties"].items()) {
      collect_defaults(sub, path.empty() ? key : path + "." + key, out);
    }
  }
  if (schema.contains("items")) collect_defaults(schema["items"], path + "[]", out);
}

// Every x-kubernetes-validations rule in the schema, by property path.
void collect_rules(const json& schema, const std::string& path, std::map<std::string, json>& out) {
  if (schema.contains("x-kubernetes-validations")) out[path] = schema["x-kubernetes-validations"];
  if (schema.contains("properties")) {
    for (const auto& [key, sub] : schema["properties"].items()) {
      collect_rules(sub, path.empty() ? key : path + "." + key, out);
    }
  }
  if (schema.contains("items")) collect_rules(schema["items"], path + "[]", out);
}

bool contains(const std::vector<std::string>& causes, const std::string& part) {
  return std::any_of(causes.begin(), causes.end(),
                     [&](const std::string& c) { return c.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("the committed config/crd files equal what hack/gen-crds.sh generates") {
  const std::filesystem::path dir = std::filesystem::path(CAIRN_SOURCE_DIR) / "config" / "crd";
  auto files = cairn::api::testing::generated_crd_files();
  REQUIRE(files);
  REQUIRE(files->size() == 4);
  std::set<std::string> generated;
  for (const auto& file : *files) {
    INFO(file.path << " differs from api/crd.cpp's CRD: run hack/gen-crds.sh");
    CHECK(read_file(dir / file.path) == file.text);
    generated.insert(file.path);
  }
  // No stale manifest of a kind that no longer exists.
  for (const auto& entry : std::filesystem::directory_iterator(dir / "bases")) {
    const std::string path = "bases/" + entry.path().filename().string();
    INFO(path << " is not generated: delete it and run hack/gen-crds.sh");
    CHECK(generated.count(path) == 1);
  }
}

TEST_CASE("each generated YAML file decodes to the CRD of its kind") {
  auto files = cairn::api::testing::generated_crd_files();
  REQUIRE(files);
  const auto crds = cairn::api::all_crds();
  for (std::size_t i = 0; i < crds.size(); ++i) {
    const auto& file = (*files)[i];
    INFO(file.path);
    CHECK(file.text.rfind(cairn::api::testing::kGeneratedHeader, 0) == 0);
    auto value = cairn::render::yaml_decode(file.text);
    REQUIRE(value);
    auto text = cairn::render::json_encode(*value);
    REQUIRE(text);
    CHECK(json::parse(*text) == crds[i]);
    CHECK(file.path == "bases/" + cairn::api::crd_file_name(
                                      crds[i]["spec"]["names"]["plural"].get<std::string>()));
  }
  const auto& kustomization = files->back();
  CHECK(kustomization.path == "kustomization.yaml");
  CHECK(kustomization.text.find("- bases/clusterstack.x-k8s.io_clusteraddons.yaml\n"
                                "- bases/clusterstack.x-k8s.io_clusterstacks.yaml\n"
                                "- bases/clusterstack.x-k8s.io_clusterstackreleases.yaml\n") !=
        std::string::npos);
}

TEST_CASE("each CRD passes the API server's CRD validation") {
  for (const json& c : cairn::api::all_crds()) {
    INFO(c["metadata"]["name"]);
    json defaulted = c;
    cairn::apiserver::default_crd(defaulted);
    std::vector<std::string> causes;
    for (const auto& cause : cairn::apiserver::validate_crd(defaulted, nullptr)) {
      causes.push_back(cairn::apiserver::format_cause(cause));
    }
    CAPTURE(causes);
    CHECK(causes.empty());
    const auto served = cairn::apiserver::crd_resources(defaulted);
    REQUIRE(served.size() == 1);
    CHECK(served[0].group == "clusterstack.x-k8s.io");
    CHECK(served[0].version == "v1alpha1");
    CHECK(served[0].namespaced);
    CHECK(served[0].has_status);
    CHECK(served[0].categories.empty());
  }
}

TEST_CASE("names, scope, version and subresources are the Go operator's") {
  struct Names {
    std::string kind, plural, singular, short_name;
  };
  for (const Names& n :
       {Names{"ClusterStack", "clusterstacks", "clusterstack", "csk"},
        Names{"ClusterStackRelease", "clusterstackreleases", "clusterstackrelease", "cskr"},
        Names{"ClusterAddon", "clusteraddons", "clusteraddon", "caddon"}}) {
    INFO(n.kind);
    const json c = crd(n.kind);
    CHECK(c["apiVersion"] == "apiextensions.k8s.io/v1");
    CHECK(c["kind"] == "CustomResourceDefinition");
    CHECK(c["metadata"] == json{{"name", n.plural + ".clusterstack.x-k8s.io"}});
    CHECK(c["spec"]["group"] == "clusterstack.x-k8s.io");
    CHECK(c["spec"]["scope"] == "Namespaced");
    CHECK(c["spec"]["names"] == json{{"kind", n.kind},
                                     {"listKind", n.kind + "List"},
                                     {"plural", n.plural},
                                     {"singular", n.singular},
                                     {"shortNames", {n.short_name}}});
    REQUIRE(c["spec"]["versions"].size() == 1);
    const json& v = c["spec"]["versions"][0];
    CHECK(v["name"] == "v1alpha1");
    CHECK(v["served"] == true);
    CHECK(v["storage"] == true);
    CHECK(v["subresources"] == json{{"status", json::object()}});
    CHECK(c.dump().find("x-kubernetes-preserve-unknown-fields") == std::string::npos);
  }
}

TEST_CASE("printer columns are the Go operator's, Reason and Message from the Ready condition") {
  auto columns = [](std::string_view kind) {
    std::vector<std::string> out;
    const json definition = crd(kind);
    for (const json& c : definition["spec"]["versions"][0]["additionalPrinterColumns"]) {
      out.push_back(c["name"].get<std::string>() + " " + c["type"].get<std::string>() + " " +
                    c["jsonPath"].get<std::string>());
    }
    return out;
  };
  const std::string reason = "Reason string .status.conditions[?(@.type=='Ready')].reason";
  const std::string message = "Message string .status.conditions[?(@.type=='Ready')].message";
  const std::string age = "Age date .metadata.creationTimestamp";
  CHECK(columns("ClusterStack") ==
        std::vector<std::string>{
            "Provider string .spec.provider", "ClusterStack string .spec.name",
            "K8s string .spec.kubernetesVersion", "Channel string .spec.channel",
            "Autosubscribe string .spec.autoSubscribe", "Usable string .status.usableVersions",
            "Latest string .status.latestRelease", age, reason, message});
  CHECK(columns("ClusterStackRelease") ==
        std::vector<std::string>{"K8s Version string .status.kubernetesVersion",
                                 "Ready boolean .status.ready", age, reason, message});
  CHECK(columns("ClusterAddon") ==
        std::vector<std::string>{
            "Cluster string .metadata.ownerReferences[?(@.kind==\"Cluster\")].name",
            "Hook string .spec.hook", "Ready boolean .status.ready", age, reason, message});
}

TEST_CASE("a fully populated object of each kind validates and loses nothing to pruning") {
  auto check = [](std::string_view kind, const json& object) {
    INFO(kind);
    std::vector<std::string> pruned;
    const auto causes = server_causes(kind, object, &pruned);
    CAPTURE(causes, pruned);
    CHECK(causes.empty());
    CHECK(pruned.empty());
    json copy = object;
    const json definition = crd(kind);
    const json& schema = schema_of(definition);
    cairn::apiserver::prune_unknown_fields(schema, copy);
    cairn::apiserver::apply_schema_defaults(schema, copy);
    CHECK(copy == object);
  };
  const ClusterStack stack = full_stack();
  const ClusterStackRelease release = full_release();
  const ClusterAddon addon = full_addon();
  CHECK(stack.validate().empty());
  CHECK(release.validate().empty());
  CHECK(addon.validate().empty());
  check("ClusterStack", json(stack));
  check("ClusterStackRelease", json(release));
  check("ClusterAddon", json(addon));
}

TEST_CASE("every property of the schemas is a field the C++ types know") {
  auto round_trip = [](std::string_view kind, auto decoded_type) {
    using T = decltype(decoded_type);
    INFO(kind);
    json object = maximal(schema_of(crd(kind)));
    object["apiVersion"] = "clusterstack.x-k8s.io/v1alpha1";
    object["kind"] = kind;
    auto typed = decode<T>(object);
    REQUIRE(typed);
    // Nothing landed in the catch-alls for unknown fields...
    CHECK(typed->extra.empty());
    CHECK(typed->metadata.extra.empty());
    CHECK(typed->spec.extra.empty());
    CHECK(typed->status.extra.empty());
    // ...and nothing was dropped by a closed nested struct.
    CHECK(json(*typed) == object);
  };
  round_trip("ClusterStack", ClusterStack{});
  round_trip("ClusterStackRelease", ClusterStackRelease{});
  round_trip("ClusterAddon", ClusterAddon{});
}

TEST_CASE("schema defaults are exactly the C++ types' defaults") {
  auto defaults = [](std::string_view kind) {
    std::map<std::string, json> out;
    collect_defaults(schema_of(crd(kind)), "", out);
    return out;
  };
  CHECK(defaults("ClusterStack") == std::map<std::string, json>{{"spec.autoSubscribe", true},
                                                                {"spec.channel", "stable"},
                                                                {"spec.noProvider", false}});
  CHECK(defaults("ClusterStackRelease") == std::map<std::string, json>{{"status.ready", false}});
  CHECK(defaults("ClusterAddon") == std::map<std::string, json>{{"status.ready", false}});

  // An object without the defaulted fields decodes to the same value with and without the
  // schema's defaults applied.
  auto same = [](std::string_view kind, auto decoded_type, const json& minimal) {
    using T = decltype(decoded_type);
    INFO(kind);
    json defaulted = minimal;
    cairn::apiserver::apply_schema_defaults(schema_of(crd(kind)), defaulted);
    CHECK(defaulted != minimal);
    CHECK(decode<T>(defaulted).value() == decode<T>(minimal).value());
  };
  same("ClusterStack", ClusterStack{},
       json{{"metadata", {{"name", "s"}}},
            {"spec", {{"provider", "docker"}, {"name", "ferrol"}, {"kubernetesVersion", "1.27"}}},
            {"status", json::object()}});
  same("ClusterStackRelease", ClusterStackRelease{},
       json{{"metadata", {{"name", "docker-ferrol-1-27-v1"}}}, {"status", json::object()}});
  same("ClusterAddon", ClusterAddon{},
       json{{"metadata", {{"name", "a"}}},
            {"spec", {{"clusterRef", {{"kind", "Cluster"}, {"name", "c1"}}}}},
            {"status", json::object()}});
}

TEST_CASE("the Go operator's sample ClusterStack is accepted by the schema") {
  CHECK(server_causes("ClusterStack", kSample).empty());
  CHECK(decode<ClusterStack>(kSample).value().validate().empty());
}

TEST_CASE("invalid ClusterStacks get causes that say why") {
  auto causes_with = [](const char* field, json value) {
    json object = kSample;
    object["spec"][field] = std::move(value);
    return server_causes("ClusterStack", object);
  };
  const std::string k8s_pattern = "should match '^[1-9]\\.[1-9][0-9]{0,8}$'";
  CHECK(causes_with("kubernetesVersion", "1.x") ==
        std::vector<std::string>{"spec.kubernetesVersion: Invalid value: \"1.x\": "
                                 "spec.kubernetesVersion in body " +
                                 k8s_pattern});
  CHECK(causes_with("kubernetesVersion", "v1.27") ==
        std::vector<std::string>{"spec.kubernetesVersion: Invalid value: \"v1.27\": "
                                 "spec.kubernetesVersion in body " +
                                 k8s_pattern});
  CHECK(causes_with("channel", "beta") ==
        std::vector<std::string>{"spec.channel: Unsupported value: \"beta\": supported values: "
                                 "\"stable\", \"custom\""});
  CHECK(causes_with("provider", "") ==
        std::vector<std::string>{"spec.provider: Invalid value: \"\": spec.provider in body "
                                 "should be at least 1 chars long"});
  CHECK(causes_with("provider", "Docker") ==
        std::vector<std::string>{"spec.provider: Invalid value: \"Docker\": spec.provider in "
                                 "body should match '^[a-z0-9]*$'"});

  json no_spec = kSample;
  no_spec.erase("spec");
  CHECK(server_causes("ClusterStack", no_spec) == std::vector<std::string>{"spec: Required value"});

  json missing = kSample;
  missing["spec"].erase("provider");
  missing["spec"].erase("kubernetesVersion");
  const auto required = server_causes("ClusterStack", missing);
  CHECK(contains(required, "spec.provider: Required value"));
  CHECK(contains(required, "spec.kubernetesVersion: Required value"));

  json provider_mode = kSample;
  provider_mode["spec"].erase("noProvider");
  const auto no_ref = server_causes("ClusterStack", provider_mode);
  CHECK(contains(no_ref, "must validate at least one schema (anyOf)"));
  CHECK(contains(no_ref, "spec.providerRef: Required value"));

  const auto bad_versions = causes_with("versions", json{"v1", "v1-stable.2", "v1", "2"});
  CAPTURE(bad_versions);
  // kube-openapi reports a failed `not` without a field; the message names the item.
  CHECK(contains(bad_versions, "<nil>: Invalid value: \"\": \"spec.versions[1]\" must not "
                               "validate the schema (not)"));
  CHECK(contains(bad_versions, "spec.versions[2]: Duplicate value: \"v1\""));
  CHECK(contains(bad_versions,
                 "spec.versions[3]: Invalid value: \"2\": spec.versions[3] in body "
                 "should match"));
}

TEST_CASE("the schema rejects what validate() rejects") {
  // Each case: a change to a valid object; the schema and validate() must agree on it.
  auto stack_agrees = [](const std::string& what, const std::function<void(ClusterStack&)>& edit) {
    ClusterStack s = decode<ClusterStack>(kSample).value();
    edit(s);
    const bool schema_ok = server_causes("ClusterStack", json(s)).empty();
    INFO(what << ": schema " << (schema_ok ? "accepts" : "rejects") << ", validate() "
              << (s.validate().empty() ? "accepts" : "rejects"));
    CHECK(schema_ok == s.validate().empty());
  };
  for (const char* v :
       {"1.27", "1.9", "9.99", "1.123456789", "1.x", "v1.27", "01.27", "1.027", "10.1", "1.0",
        "0.1", "1.", "1", ".1", "1.27.3", " 1.27", "1.27\n", "1-27", "1.2a"}) {
    stack_agrees(std::string("kubernetesVersion ") + v,
                 [&](ClusterStack& s) { s.spec.kubernetes_version = v; });
  }
  for (const char* v : {"docker", "d0cker", "x", "Docker", "my-provider", "my_provider",
                        "pr\xc3\xb6vider", "a b"}) {
    stack_agrees(std::string("provider ") + v, [&](ClusterStack& s) { s.spec.provider = v; });
    stack_agrees(std::string("name ") + v, [&](ClusterStack& s) { s.spec.name = v; });
  }
  stack_agrees("empty name", [](ClusterStack& s) { s.spec.name.clear(); });
  for (const char* v : {"stable", "custom", "beta", "Stable"}) {
    stack_agrees(std::string("channel ") + v, [&](ClusterStack& s) { s.spec.channel = v; });
  }
  for (const char* v : {"v1", "v0", "v1-alpha.0", "v0-sha.hipstsw", "v1-a_b.C_9", "v1-alpha-0", "1",
                        "v01", "v1-stable.2", "v1-alpha.", "v1-.1", "v1-a.b.c", "v1-alpha.0-1",
                        "V1", "v", "v1-alpha", "v1.2", "v-1"}) {
    stack_agrees(std::string("versions ") + v, [&](ClusterStack& s) { s.spec.versions = {v}; });
  }
  stack_agrees("versions too long",
               [](ClusterStack& s) { s.spec.versions = {"v1-alpha." + std::string(200, 'a')}; });
  stack_agrees("duplicate versions", [](ClusterStack& s) { s.spec.versions = {"v1", "v2", "v1"}; });
  stack_agrees("provider mode without providerRef",
               [](ClusterStack& s) { s.spec.no_provider = false; });
  stack_agrees("provider mode with providerRef", [](ClusterStack& s) {
    s.spec.no_provider = false;
    s.spec.provider_ref = cairn::api::ObjectReference{"a/v1", "T", "t", "", "", "", ""};
  });

  for (const char* name :
       {"docker-ferrol-1-27-v2", "docker-ferrol-1-27-v0-sha-hipstsw", "docker-ferrol-1-27",
        "docker-ferrol-1-27-v1-stable-2", "docker-ferrol-0-27-v1", "docker-ferrol-1-0-v1",
        "docker-ferrol-1-27-v01", "Docker-ferrol-1-27-v1", "docker-ferrol-1-27-v1-alpha",
        "a-b-1-2-v3-x-y", "docker-ferrol-1-027-v1", "docker-ferrol-1-27-v1-a-b-c",
        "docker-ferrol-1-27-1"}) {
    ClusterStackRelease r;
    r.metadata.name = name;
    const bool schema_ok = server_causes("ClusterStackRelease", json(r)).empty();
    INFO("ClusterStackRelease " << name << ": schema " << (schema_ok ? "accepts" : "rejects"));
    CHECK(schema_ok == r.validate().empty());
  }
  for (const char* v :
       {"v1.27.3", "1.27.3", "v1.27", "v1.27.3-rc.1+build", "v1.27.03", "v0.27.3", "v1.27.3-",
        "v1.27.3+k3s1", "v1.27.3-rc..1", "v1.27.3+", "v1.27.3-rc_1", "v1.27.3.4", "vv1.27.3"}) {
    ClusterStackRelease r;
    r.metadata.name = "docker-ferrol-1-27-v2";
    r.status.kubernetes_version = v;
    const bool schema_ok = server_causes("ClusterStackRelease", json(r)).empty();
    INFO("status.kubernetesVersion " << v << ": schema " << (schema_ok ? "accepts" : "rejects"));
    CHECK(schema_ok == r.validate().empty());
  }

  for (const char* kind : {"Cluster", "Machine", "", "cluster"}) {
    ClusterAddon a;
    a.metadata.name = "cluster-addon-c1";
    a.spec.cluster_ref = cairn::api::ObjectReference{"", kind, "c1", "", "", "", ""};
    const bool schema_ok = server_causes("ClusterAddon", json(a)).empty();
    INFO("ClusterAddon clusterRef.kind " << kind << ": schema "
                                         << (schema_ok ? "accepts" : "rejects"));
    CHECK(schema_ok == a.validate().empty());
  }
  ClusterAddon no_ref;
  no_ref.metadata.name = "cluster-addon-c1";
  CHECK_FALSE(no_ref.validate().empty());
  CHECK(server_causes("ClusterAddon", json(no_ref)) ==
        std::vector<std::string>{"spec.clusterRef: Required value"});
}

TEST_CASE("only the immutable fields carry CEL rules, each a transition rule") {
  auto rules = [](std::string_view kind) {
    std::map<std::string, json> out;
    collect_rules(schema_of(crd(kind)), "", out);
    return out;
  };
  const json immutable =
      json::array({json{{"rule", "self == oldSelf"}, {"message", "field is immutable"}}});
  CHECK(rules("ClusterStack") == std::map<std::string, json>{{"spec.channel", immutable},
                                                             {"spec.kubernetesVersion", immutable},
                                                             {"spec.name", immutable},
                                                             {"spec.provider", immutable}});
  CHECK(rules("ClusterStackRelease").empty());
  CHECK(rules("ClusterAddon") == std::map<std::string, json>{{"spec.clusterRef.kind", immutable},
                                                             {"spec.clusterRef.name", immutable}});
}

TEST_CASE("crd_manifest rejects kinds without a CRD") {
  auto result = crd_manifest("Cluster");
  REQUIRE_FALSE(result);
  CHECK(result.error().message ==
        "no CRD for kind \"Cluster\" (expected ClusterAddon, ClusterStack or ClusterStackRelease)");
  CHECK(cairn::api::crd_file_name("clusterstacks") == "clusterstack.x-k8s.io_clusterstacks.yaml");
}
