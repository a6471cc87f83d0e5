#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "apiserver/crd.h"
#include "apiserver/schema.h"

using cairn::apiserver::compare_kube_versions;
using cairn::apiserver::convert_custom_resource;
using cairn::apiserver::crd_resources;
using cairn::apiserver::default_crd;
using cairn::apiserver::format_cause;
using cairn::apiserver::GenerationPolicy;
using cairn::apiserver::set_crd_status;
using cairn::apiserver::validate_crd;
using nlohmann::json;

namespace {

// A CRD shaped like the cluster-stack-operator's ClusterStack CRD (kubebuilder output).
json cluster_stack_crd() {
  return json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "clusterstacks.clusterstack.x-k8s.io"},
    "spec": {
      "group": "clusterstack.x-k8s.io",
      "names": {"kind": "ClusterStack", "plural": "clusterstacks", "shortNames": ["csk"],
                "categories": ["cluster-api"]},
      "scope": "Namespaced",
      "versions": [{
        "name": "v1alpha1", "served": true, "storage": true,
        "additionalPrinterColumns": [
          {"name": "Provider", "type": "string", "jsonPath": ".spec.provider"},
          {"name": "Ready", "type": "string",
           "jsonPath": ".status.conditions[?(@.type=='Ready')].status"},
          {"name": "Reason", "type": "string", "priority": 1,
           "jsonPath": ".status.conditions[?(@.type=='Ready')].reason"},
          {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
        ],
        "subresources": {"status": {}},
        "schema": {"openAPIV3Schema": {
          "type": "object",
          "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "required": ["provider", "name"],
                     "properties": {
                       "provider": {"type": "string"},
                       "name": {"type": "string"},
                       "autoSubscribe": {"type": "boolean", "default": true},
                       "versions": {"type": "array", "items": {"type": "string"}}
                     }},
            "status": {"type": "object", "properties": {
              "conditions": {"type": "array", "items": {
                "type": "object", "required": ["type", "status"],
                "properties": {"type": {"type": "string"}, "status": {"type": "string"},
                               "reason": {"type": "string"},
                               "lastTransitionTime": {"type": "string",
                                                      "format": "date-time"}}}}}}
          }
        }}
      }]
    }
  })");
}

std::vector<std::string> errors_of(const json& crd, const json* old = nullptr) {
  std::vector<std::string> out;
  for (const auto& c : validate_crd(crd, old)) out.push_back(format_cause(c));
  return out;
}

json defaulted(json crd) {
  default_crd(crd);
  return crd;
}

json version(const std::string& name, bool served, bool storage) {
  return json{{"name", name},
              {"served", served},
              {"storage", storage},
              {"schema",
               {{"openAPIV3Schema",
                 {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}};
}

}  // namespace

TEST_CASE("default_crd fills singular, listKind and conversion only", "[crd]") {
  json crd = cluster_stack_crd();
  default_crd(crd);
  CHECK(crd["spec"]["names"]["singular"] == "clusterstack");
  CHECK(crd["spec"]["names"]["listKind"] == "ClusterStackList");
  CHECK(crd["spec"]["conversion"] == json{{"strategy", "None"}});
  CHECK_FALSE(crd["spec"].contains("preserveUnknownFields"));
  CHECK_FALSE(crd["spec"]["versions"][0]["additionalPrinterColumns"][0].contains("priority"));

  json custom = cluster_stack_crd();
  custom["spec"]["names"]["singular"] = "cs";
  custom["spec"]["conversion"] = json::parse(R"({"strategy": "Webhook", "webhook": {
      "conversionReviewVersions": ["v1"],
      "clientConfig": {"service": {"namespace": "ns", "name": "svc"}}}})");
  default_crd(custom);
  CHECK(custom["spec"]["names"]["singular"] == "cs");
  CHECK(custom["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["port"] == 443);

  SECTION("defaulting twice changes nothing") {
    json again = crd;
    default_crd(again);
    CHECK(again == crd);
  }
}

TEST_CASE("the cluster-stack CRD validates", "[crd]") {
  CHECK(errors_of(defaulted(cluster_stack_crd())).empty());
}

TEST_CASE("CRD name, group and scope are validated with kube's messages", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["metadata"]["name"] = "stacks.clusterstack.x-k8s.io";
  CHECK(errors_of(crd) ==
        std::vector<std::string>{
            R"(metadata.name: Invalid value: "stacks.clusterstack.x-k8s.io": must be )"
            R"(spec.names.plural+"."+spec.group)"});

  json nodot = defaulted(cluster_stack_crd());
  nodot["spec"]["group"] = "local";
  nodot["metadata"]["name"] = "clusterstacks.local";
  CHECK(errors_of(nodot) ==
        std::vector<std::string>{
            R"(spec.group: Invalid value: "local": should be a domain with at least one dot)"});

  json scope = defaulted(cluster_stack_crd());
  scope["spec"]["scope"] = "Global";
  CHECK(
      errors_of(scope) ==
      std::vector<std::string>{
          R"(spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced")"});
  scope["spec"].erase("scope");
  CHECK(errors_of(scope) == std::vector<std::string>{"spec.scope: Required value"});
}

TEST_CASE("CRD names must be DNS-1035 labels", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["names"]["shortNames"] = {"Bad_Name"};
  crd["spec"]["names"]["kind"] = "Cluster_Stack";
  auto errs = errors_of(crd);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0].rfind(
            R"(spec.names.kind: Invalid value: "Cluster_Stack": may have mixed case, but should )"
            R"(otherwise match: a DNS-1035 label must consist of)",
            0) == 0);
  CHECK(errs[1].rfind(R"(spec.names.shortNames[0]: Invalid value: "Bad_Name": a DNS-1035 label)",
                      0) == 0);

  json same = defaulted(cluster_stack_crd());
  same["spec"]["names"]["listKind"] = "ClusterStack";
  CHECK(
      errors_of(same) ==
      std::vector<std::string>{
          R"(spec.names.listKind: Invalid value: "ClusterStack": kind and listKind may not be the )"
          R"(same)"});
}

TEST_CASE("exactly one storage version and unique version names", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["versions"] = {version("v1", true, false), version("v2", true, false)};
  auto none = validate_crd(crd, nullptr);
  REQUIRE(none.size() == 1);
  CHECK(none[0].field == "spec.versions");
  CHECK(none[0].reason == "FieldValueInvalid");
  CHECK(none[0].message.find("must have exactly one version marked as storage version") !=
        std::string::npos);

  crd["spec"]["versions"] = {version("v1", true, true), version("v1", true, false)};
  auto dup = validate_crd(crd, nullptr);
  REQUIRE(dup.size() == 1);
  CHECK(dup[0].message.find("must contain unique version names") != std::string::npos);

  crd["spec"]["versions"] = {version("V1", true, true)};
  auto bad = errors_of(crd);
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].rfind(R"(spec.versions[0].name: Invalid value: "V1": a DNS-1035 label)", 0) == 0);
}

TEST_CASE("version schemas must be present and structural", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["versions"][0].erase("schema");
  CHECK(errors_of(crd) ==
        std::vector<std::string>{"spec.versions[0].schema.openAPIV3Schema: Required value: schemas "
                                 "are required"});

  json untyped = defaulted(cluster_stack_crd());
  untyped["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].erase("type");
  CHECK(errors_of(untyped) ==
        std::vector<std::string>{
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must "
            "not be empty for specified object fields"});
}

TEST_CASE("printer columns and scale paths are validated", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["versions"][0]["additionalPrinterColumns"] = json::parse(R"([
    {"name": "A", "type": "text", "jsonPath": ".spec.a"},
    {"name": "B", "type": "integer", "format": "uint", "jsonPath": "spec.b"},
    {"type": "string", "jsonPath": ""}
  ])");
  crd["spec"]["versions"][0]["subresources"]["scale"] =
      json{{"specReplicasPath", ".status.replicas"}, {"statusReplicasPath", ".status.replicas"}};
  const std::string p = "spec.versions[0].";
  CHECK(
      errors_of(crd) ==
      std::vector<std::string>{
          p + R"(subresources.scale.specReplicasPath: Invalid value: ".status.replicas": )"
              R"(should be a json path under .spec)",
          p + R"(additionalPrinterColumns[0].type: Unsupported value: "text": supported values: )"
              R"("boolean", "date", "integer", "number", "string")",
          p + R"(additionalPrinterColumns[1].format: Unsupported value: "uint": supported values: )"
              R"("byte", "date", "date-time", "double", "float", "int32", "int64", "password")",
          p + R"(additionalPrinterColumns[1].jsonPath: Invalid value: "spec.b": must be a simple )"
              R"(json path starting with .)",
          p + "additionalPrinterColumns[2].name: Required value",
          p + "additionalPrinterColumns[2].jsonPath: Required value",
      });
}

TEST_CASE("conversion strategy must be None or a configured Webhook", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["conversion"] = json{{"strategy", "Magic"}};
  CHECK(errors_of(crd) ==
        std::vector<std::string>{
            R"(spec.conversion.strategy: Unsupported value: "Magic": supported values: "None", )"
            R"("Webhook")"});
  crd["spec"]["conversion"] = json{{"strategy", "Webhook"}};
  CHECK(errors_of(crd) ==
        std::vector<std::string>{"spec.conversion.webhook: Required value: required when strategy "
                                 "is set to Webhook"});
}

TEST_CASE("group and plural are immutable, scope once established", "[crd]") {
  json old = defaulted(cluster_stack_crd());
  set_crd_status(old, true, "", "", "2024-01-01T00:00:00Z");
  json updated = old;
  updated["spec"]["scope"] = "Cluster";
  CHECK(errors_of(updated, &old) ==
        std::vector<std::string>{R"(spec.scope: Invalid value: "Cluster": field is immutable)"});
  json renamed = old;
  renamed["spec"]["names"]["plural"] = "stacks";
  renamed["metadata"]["name"] = "stacks.clusterstack.x-k8s.io";
  CHECK(errors_of(renamed, &old) ==
        std::vector<std::string>{
            R"(spec.names.plural: Invalid value: "stacks": field is immutable)"});
}

TEST_CASE("storedVersions must keep the storage version and name served versions", "[crd]") {
  json old = defaulted(cluster_stack_crd());
  set_crd_status(old, true, "", "", "2024-01-01T00:00:00Z");
  json updated = old;
  updated["spec"]["versions"][0]["name"] = "v1beta1";
  auto errs = errors_of(updated, &old);
  REQUIRE(errs.size() == 2);
  CHECK(errs[0] ==
        R"(status.storedVersions[0]: Invalid value: "v1alpha1": must appear in spec.versions)");
  CHECK(errs[1] ==
        R"(status.storedVersions: Invalid value: ["v1alpha1"]: must have the storage version )"
        R"(v1beta1)");
}

TEST_CASE("kube-aware version ordering", "[crd]") {
  std::vector<std::string> versions = {"v1alpha1", "foo10",   "v1beta1", "v2alpha1",  "v1",
                                       "foo1",     "v1beta2", "v2",      "v11alpha2", "v10beta3"};
  std::stable_sort(
      versions.begin(), versions.end(),
      [](const std::string& a, const std::string& b) { return compare_kube_versions(a, b) > 0; });
  CHECK(versions == std::vector<std::string>{"v2", "v1", "v10beta3", "v1beta2", "v1beta1",
                                             "v11alpha2", "v2alpha1", "v1alpha1", "foo1", "foo10"});
}

TEST_CASE("crd_resources lists served versions in priority order with all fields", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  json v1 = version("v1", true, false);
  v1["deprecated"] = true;
  json v1beta1 = version("v1beta1", true, false);
  v1beta1["deprecated"] = true;
  v1beta1["deprecationWarning"] = "use v1";
  json v2 = version("v2", false, false);
  crd["spec"]["versions"].push_back(v1beta1);
  crd["spec"]["versions"].push_back(v2);
  crd["spec"]["versions"].push_back(v1);
  auto infos = crd_resources(crd);
  REQUIRE(infos.size() == 3);
  CHECK(infos[0].version == "v1");
  CHECK(infos[1].version == "v1beta1");
  CHECK(infos[2].version == "v1alpha1");

  const auto& alpha = infos[2];
  CHECK(alpha.group == "clusterstack.x-k8s.io");
  CHECK(alpha.resource == "clusterstacks");
  CHECK(alpha.singular == "clusterstack");
  CHECK(alpha.kind == "ClusterStack");
  CHECK(alpha.list_kind == "ClusterStackList");
  CHECK(alpha.short_names == std::vector<std::string>{"csk"});
  CHECK(alpha.categories == std::vector<std::string>{"cluster-api"});
  CHECK(alpha.namespaced);
  CHECK(alpha.verbs == std::vector<std::string>{"delete", "deletecollection", "get", "list",
                                                "patch", "create", "update", "watch"});
  CHECK(alpha.has_status);
  CHECK_FALSE(alpha.scale.has_value());
  CHECK(alpha.generation == GenerationPolicy::kSpec);
  CHECK(alpha.custom);
  CHECK(alpha.crd_name == "clusterstacks.clusterstack.x-k8s.io");
  CHECK(alpha.storage_version == "v1alpha1");
  CHECK_FALSE(alpha.deprecated);
  REQUIRE(alpha.columns.size() == 4);
  CHECK(alpha.columns[1].name == "Ready");
  CHECK(alpha.columns[1].json_path == ".status.conditions[?(@.type=='Ready')].status");
  CHECK(alpha.columns[2].priority == 1);
  CHECK(alpha.columns[3].type == "date");
  REQUIRE(alpha.schema);
  CHECK((*alpha.schema)["properties"]["spec"]["required"] == json{"provider", "name"});

  CHECK(infos[0].deprecated);
  CHECK(infos[0].deprecation_warning == "clusterstack.x-k8s.io/v1 ClusterStack is deprecated");
  CHECK(infos[0].generation == GenerationPolicy::kAllButMetadata);
  CHECK_FALSE(infos[0].has_status);
  CHECK(infos[0].storage_version == "v1alpha1");
  CHECK(infos[1].deprecation_warning == "use v1");
}

TEST_CASE("crd_resources reads scale and cluster scope", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["scope"] = "Cluster";
  crd["spec"]["versions"][0]["subresources"]["scale"] =
      json{{"specReplicasPath", ".spec.replicas"},
           {"statusReplicasPath", ".status.replicas"},
           {"labelSelectorPath", ".status.selector"}};
  auto infos = crd_resources(crd);
  REQUIRE(infos.size() == 1);
  CHECK_FALSE(infos[0].namespaced);
  REQUIRE(infos[0].scale.has_value());
  CHECK(infos[0].scale->spec_replicas_path == ".spec.replicas");
  CHECK(infos[0].scale->status_replicas_path == ".status.replicas");
  CHECK(infos[0].scale->label_selector_path == ".status.selector");
}

TEST_CASE("set_crd_status establishes accepted names and keeps transition times", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  set_crd_status(crd, true, "", "", "2024-01-01T00:00:00Z");
  const json& status = crd["status"];
  CHECK(status["acceptedNames"] == crd["spec"]["names"]);
  CHECK(status["storedVersions"] == json{"v1alpha1"});
  CHECK(status["conditions"] == json::parse(R"([
    {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
     "message": "no conflicts found", "lastTransitionTime": "2024-01-01T00:00:00Z"},
    {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
     "message": "the initial names have been accepted",
     "lastTransitionTime": "2024-01-01T00:00:00Z"}
  ])"));

  SECTION("an unchanged status keeps lastTransitionTime; storedVersions accumulate") {
    crd["spec"]["versions"][0]["storage"] = false;
    json v2 = version("v1alpha2", true, true);
    crd["spec"]["versions"].push_back(v2);
    set_crd_status(crd, true, "", "", "2024-02-02T00:00:00Z");
    CHECK(crd["status"]["conditions"][0]["lastTransitionTime"] == "2024-01-01T00:00:00Z");
    CHECK(crd["status"]["storedVersions"] == json{"v1alpha1", "v1alpha2"});
  }
  SECTION("a later conflict flips NamesAccepted but the CRD stays established") {
    set_crd_status(crd, false, "PluralConflict", "\"clusterstacks\" is already in use",
                   "2024-03-03T00:00:00Z");
    CHECK(crd["status"]["conditions"][0] == json::parse(R"(
      {"type": "NamesAccepted", "status": "False", "reason": "PluralConflict",
       "message": "\"clusterstacks\" is already in use",
       "lastTransitionTime": "2024-03-03T00:00:00Z"})"));
    CHECK(crd["status"]["conditions"][1]["status"] == "True");
  }
}

TEST_CASE("a conflicting new CRD is not established", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  set_crd_status(crd, false, "KindConflict", "\"ClusterStack\" is already in use",
                 "2024-01-01T00:00:00Z");
  CHECK(crd["status"]["acceptedNames"] == json{{"plural", ""}, {"kind", ""}});
  CHECK(crd["status"]["conditions"][1] == json::parse(R"(
    {"type": "Established", "status": "False", "reason": "NotAccepted",
     "message": "not all names are accepted", "lastTransitionTime": "2024-01-01T00:00:00Z"})"));
}

TEST_CASE("protected groups get the API approval condition", "[crd]") {
  json crd = defaulted(cluster_stack_crd());
  crd["spec"]["group"] = "widgets.k8s.io";
  set_crd_status(crd, true, "", "", "2024-01-01T00:00:00Z");
  REQUIRE(crd["status"]["conditions"].size() == 3);
  CHECK(crd["status"]["conditions"][2]["type"] == "KubernetesAPIApprovalPolicyConformant");
  CHECK(crd["status"]["conditions"][2]["reason"] == "MissingAnnotation");
}

TEST_CASE("conversion with strategy None changes only apiVersion", "[crd]") {
  json cr = json::parse(R"({"apiVersion": "clusterstack.x-k8s.io/v1alpha1",
                            "kind": "ClusterStack", "metadata": {"name": "a"},
                            "spec": {"provider": "docker"}})");
  json expected = cr;
  expected["apiVersion"] = "clusterstack.x-k8s.io/v1beta1";
  convert_custom_resource(cr, "clusterstack.x-k8s.io/v1beta1");
  CHECK(cr == expected);
}
