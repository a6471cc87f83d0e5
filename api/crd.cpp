// The CRDs of cairn's kinds, described with a few schema builders; see crd.h.
#include "api/crd.h"

#include <initializer_list>
#include <utility>

#include "api/types.h"
#include "api/version.h"

namespace cairn::api {
namespace {

using nlohmann::json;

// A dot-form version / a release tag whose channel is "stable" with a patch: the version grammar
// rejects both ("the stable channel takes no patch"); RE2 has no negative lookahead, so the
// schema excludes them with `not`.
constexpr std::string_view kStableWithPatchDot = "^v[0-9]+-stable\\.";
constexpr std::string_view kStableWithPatchTag = "-v[0-9]+-stable-[a-z0-9]+$";
constexpr std::size_t kMaxObjectName = 253;

// The CEL transition rule of an immutable field (as the Go webhook said it).
json immutable_rules() {
  return json::array({json{{"rule", "self == oldSelf"}, {"message", "field is immutable"}}});
}

// ------------------------------------------------------------------ schema builders

json str(std::string_view description) {
  return json{{"description", description}, {"type", "string"}};
}

json integer64(std::string_view description) {
  return json{{"description", description}, {"type", "integer"}, {"format", "int64"}};
}

json boolean(std::string_view description) {
  return json{{"description", description}, {"type", "boolean"}};
}

json defaulted(json schema, json value) {
  schema["default"] = std::move(value);
  return schema;
}

json with(json schema, std::initializer_list<std::pair<const char*, json>> members) {
  for (const auto& [key, value] : members) schema[key] = value;
  return schema;
}

json immutable(json schema) {
  schema["x-kubernetes-validations"] = immutable_rules();
  return schema;
}

json object(std::string_view description, json properties,
            std::initializer_list<std::string_view> required = {}) {
  json schema{
      {"description", description}, {"type", "object"}, {"properties", std::move(properties)}};
  if (required.size() != 0) {
    json names = json::array();
    for (std::string_view name : required) names.push_back(name);
    schema["required"] = std::move(names);
  }
  return schema;
}

json array(std::string_view description, json items) {
  return json{{"description", description}, {"type", "array"}, {"items", std::move(items)}};
}

// ------------------------------------------------------------------ shared parts

json object_reference(std::string_view description) {
  json schema =
      object(description,
             {{"apiVersion", str("API version of the referenced object.")},
              {"fieldPath", str("Path of a field inside the referenced object, when the reference "
                                "points at a part of it.")},
              {"kind", str("Kind of the referenced object.")},
              {"name", str("Name of the referenced object.")},
              {"namespace", str("Namespace of the referenced object.")},
              {"resourceVersion", str("resourceVersion of the referenced object this reference was "
                                      "made for, if any.")},
              {"uid", str("UID of the referenced object.")}});
  schema["x-kubernetes-map-type"] = "atomic";
  return schema;
}

json conditions(std::string_view description) {
  return array(
      description,
      object("One observation of the object's state (Cluster API v1beta1 condition).",
             {{"lastTransitionTime",
               with(str("When status last changed (RFC 3339)."), {{"format", "date-time"}})},
              {"message", str("Human-readable details; may be empty.")},
              {"observedGeneration",
               with(integer64("metadata.generation of the object when the condition was last "
                              "computed; omitted when unknown."),
                    {{"minimum", 0}})},
              {"reason", str("Why the condition is in its status, in CamelCase.")},
              {"severity", str("How serious a False condition is: Error, Warning or Info; "
                               "empty unless status is False.")},
              {"status", str("True, False or Unknown.")},
              {"type", str("What is observed, in CamelCase (Ready summarises all others).")}},
             {"lastTransitionTime", "status", "type"}));
}

json resources(std::string_view description) {
  return array(
      description,
      object("One object applied from a chart and how applying it went.",
             {{"error", str("The error of the last attempt to apply the object; empty when it "
                            "succeeded.")},
              {"group", str("API group of the object; empty for the core group.")},
              {"kind", str("Kind of the object.")},
              {"name", str("Name of the object.")},
              {"namespace", str("Namespace of the object; empty for cluster-scoped objects.")},
              {"status", str("synced or not-synced.")},
              {"version", str("API version of the object.")}}));
}

json ready_status() { return defaulted(boolean("True once the object's work is done."), false); }

// The root schema of a kind: apiVersion, kind, metadata, spec, status.
json root(std::string_view description, json metadata, json spec, json status,
          std::initializer_list<std::string_view> required) {
  return object(description,
                {{"apiVersion",
                  str("The versioned schema of this object, " + std::string(kApiVersion) + ".")},
                 {"kind", str("The kind of this object, in CamelCase.")},
                 {"metadata", std::move(metadata)},
                 {"spec", std::move(spec)},
                 {"status", std::move(status)}},
                required);
}

json printer_column(std::string_view name, std::string_view type, std::string_view json_path,
                    std::string_view description = "") {
  json column{{"name", name}, {"type", type}, {"jsonPath", json_path}};
  if (!description.empty()) column["description"] = description;
  return column;
}

json reason_and_message_columns() {
  return json::array(
      {printer_column("Reason", "string", ".status.conditions[?(@.type=='Ready')].reason"),
       printer_column("Message", "string", ".status.conditions[?(@.type=='Ready')].message")});
}

json age_column(std::string_view what) {
  return printer_column("Age", "date", ".metadata.creationTimestamp",
                        "Time since the " + std::string(what) + " was created");
}

struct CrdDescription {
  std::string_view kind;
  std::string_view plural;
  std::string_view singular;
  std::string_view short_name;
  json schema;
  json columns;
};

json manifest(const CrdDescription& d) {
  const std::string plural(d.plural);
  json version{{"name", kVersion},
               {"served", true},
               {"storage", true},
               {"schema", {{"openAPIV3Schema", d.schema}}},
               {"subresources", {{"status", json::object()}}},
               {"additionalPrinterColumns", d.columns}};
  return json{{"apiVersion", "apiextensions.k8s.io/v1"},
              {"kind", "CustomResourceDefinition"},
              {"metadata", {{"name", plural + "." + std::string(kGroup)}}},
              {"spec",
               {{"group", kGroup},
                {"names",
                 {{"kind", d.kind},
                  {"listKind", std::string(d.kind) + "List"},
                  {"plural", d.plural},
                  {"singular", d.singular},
                  {"shortNames", json::array({d.short_name})}}},
                {"scope", "Namespaced"},
                {"versions", json::array({std::move(version)})}}}};
}

// ------------------------------------------------------------------ the kinds

CrdDescription cluster_stack() {
  json spec = object(
      "The cluster stack to provide: provider, name and Kubernetes minor line, and which of its "
      "releases to keep available.",
      {{"autoSubscribe",
        defaulted(boolean("Look for new releases of the stack in the release source and always "
                          "provide the newest one."),
                  true)},
       {"channel",
        immutable(defaulted(with(str("Release channel: stable, or custom for hash-mode "
                                     "releases. Immutable."),
                                 {{"enum", json::array({kChannelStable, kChannelCustom})}}),
                            kChannelStable))},
       {"kubernetesVersion",
        immutable(with(str("Kubernetes minor line of the stack as <major>.<minor>, e.g. \"1.27\" "
                           "(single-digit major, no leading zeros). Immutable."),
                       {{"pattern", kKubernetesVersionPattern}}))},
       {"name", immutable(with(str("Name of the cluster stack, e.g. ferrol: lower-case letters "
                                   "and digits. Immutable."),
                               {{"minLength", 1}, {"pattern", kStackPartPattern}}))},
       {"noProvider",
        defaulted(boolean("True when the stack needs no provider-specific object; then "
                          "providerRef may be empty."),
                  false)},
       {"provider", immutable(with(str("Provider of the cluster stack, e.g. docker or "
                                       "openstack: lower-case letters and digits. Immutable."),
                                   {{"minLength", 1}, {"pattern", kStackPartPattern}}))},
       {"providerRef",
        object_reference("The provider's ClusterStackReleaseTemplate object (same namespace); "
                         "required unless noProvider is true.")},
       {"source",
        object("Where the releases of this stack are published (cairn; optional). Without it "
               "the operator's default release source is used.",
               {{"url", with(str("Feed URL: github://ORG/REPO, git+https://HOST/PATH, "
                                 "git+ssh://HOST/PATH, oci://REGISTRY/REPOSITORY, ..."),
                             {{"minLength", 1}})},
                {"secretRef",
                 object("A Secret in this namespace holding the feed's credentials (keys "
                        "token, username, password, ssh-privatekey).",
                        {{"name", with(str("Name of the Secret."), {{"minLength", 1}})}},
                        {"name"})},
                {"interval", with(str("How often the feed is polled, as a duration such as "
                                      "30s, 5m or 1h30m; at least 1s. Default: the "
                                      "operator's --source-interval."),
                                  {{"pattern", kDurationPattern}})}},
               {"url"})},
       {"versions",
        with(array(
                 "Versions of the stack to keep available, in dot form: v1 (stable channel) "
                 "or v1-alpha.0 (channel and patch).",
                 with(json{{"type", "string"}}, {{"maxLength", kMaxVersionLength},
                                                 {"pattern", kVersionDotPattern},
                                                 {"not", json{{"pattern", kStableWithPatchDot}}}})),
             {{"x-kubernetes-list-type", "set"}})}},
      {"kubernetesVersion", "name", "provider"});
  spec["anyOf"] =
      json::array({json{{"required", json::array({"providerRef"})}},
                   json{{"properties", {{"noProvider", {{"enum", json::array({true})}}}}},
                        {"required", json::array({"noProvider"})}}});

  json status =
      object("What the controller observed.",
             {{"conditions", conditions("Observations of the stack; Ready summarises them.")},
              {"latestRelease", str("The newest ready release and its Kubernetes version, e.g. "
                                    "\"docker-ferrol-1-27-v2 | v1.27.3\".")},
              {"summary",
               array("One entry per wanted release.",
                     object("Progress of one ClusterStackRelease.",
                            {{"message", str("Reason of the release's Ready condition.")},
                             {"name", str("The version, in dot form.")},
                             {"phase", str("downloading release assets, provider-specific work, "
                                           "applying objects, done, or empty.")},
                             {"ready", boolean("True when the release is ready.")}},
                            {"name", "phase", "ready"}))},
              {"usableVersions", str("The versions of all ready releases, e.g. \"v1, v2\".")}});

  json columns = json::array({printer_column("Provider", "string", ".spec.provider"),
                              printer_column("ClusterStack", "string", ".spec.name"),
                              printer_column("K8s", "string", ".spec.kubernetesVersion"),
                              printer_column("Channel", "string", ".spec.channel"),
                              printer_column("Autosubscribe", "string", ".spec.autoSubscribe"),
                              printer_column("Usable", "string", ".status.usableVersions"),
                              printer_column("Latest", "string", ".status.latestRelease"),
                              age_column("ClusterStack")});
  for (const json& c : reason_and_message_columns()) columns.push_back(c);

  return CrdDescription{
      ClusterStack::kKind,
      ClusterStack::kResource,
      "clusterstack",
      ClusterStack::kShortName,
      root("A cluster stack whose releases cairn downloads and installs as ClusterClasses.",
           json{{"type", "object"}}, std::move(spec), std::move(status), {"spec"}),
      std::move(columns)};
}

CrdDescription cluster_stack_release() {
  json metadata{{"type", "object"},
                {"properties",
                 {{"name",
                   {{"type", "string"},
                    {"maxLength", kMaxObjectName},
                    {"pattern", kReleaseTagPattern},
                    {"not", json{{"pattern", kStableWithPatchTag}}}}}}}};
  json spec = object(
      "The provider object of the release.",
      {{"providerRef", object_reference("The provider-specific release object, set unless the "
                                        "ClusterStack is in noProvider mode.")}});
  json status = object(
      "What the controller observed.",
      {{"conditions", conditions("Observations of the release; Ready summarises them.")},
       {"kubernetesVersion",
        with(str("Full Kubernetes version of the release from its metadata.yaml, e.g. "
                 "v1.27.3."),
             {{"maxLength", kMaxVersionLength}, {"pattern", kKubernetesPatchVersionPattern}})},
       {"ready", ready_status()},
       {"resources", resources("The objects applied from the ClusterClass chart.")}});

  json columns = json::array({printer_column("K8s Version", "string", ".status.kubernetesVersion"),
                              printer_column("Ready", "boolean", ".status.ready"),
                              age_column("ClusterStackRelease")});
  for (const json& c : reason_and_message_columns()) columns.push_back(c);

  return CrdDescription{ClusterStackRelease::kKind,
                        ClusterStackRelease::kResource,
                        "clusterstackrelease",
                        ClusterStackRelease::kShortName,
                        root("One release of a cluster stack; its name is the release tag, e.g. "
                             "docker-ferrol-1-27-v2.",
                             std::move(metadata), std::move(spec), std::move(status), {}),
                        std::move(columns)};
}

CrdDescription cluster_addon() {
  json cluster_ref = object_reference(
      "The Cluster (cluster.x-k8s.io) whose addons this object applies. The name and kind are "
      "immutable.");
  cluster_ref["properties"]["kind"]["enum"] = json::array({"Cluster"});
  cluster_ref["properties"]["kind"]["x-kubernetes-validations"] = immutable_rules();
  cluster_ref["properties"]["name"]["x-kubernetes-validations"] = immutable_rules();
  cluster_ref["required"] = json::array({"kind"});

  json spec = object(
      "The Cluster and what was last applied to it.",
      {{"clusterRef", std::move(cluster_ref)},
       {"clusterStack", str("ClusterClass name (dot form) whose addons were last applied; empty "
                            "before the first apply.")},
       {"hook", str("The Cluster API lifecycle hook in progress (AfterControlPlaneInitialized "
                    "or BeforeClusterUpgrade); empty when idle.")},
       {"version", str("Version of the cluster addon chart last applied.")}},
      {"clusterRef"});
  json status = object(
      "What the controller observed.",
      {{"conditions", conditions("Observations of the addons; Ready summarises them.")},
       {"ready", ready_status()},
       {"resources", resources("The objects applied from the addon chart (in staged mode: of "
                               "the stage in progress).")},
       {"stages",
        array("The stages of the hook in progress.",
              object("One stage (chart) of a hook.",
                     {{"action", str("apply or delete.")},
                      {"name", str("Name of the stage's chart.")},
                      {"phase", str("Pending, waitingForPreCondition, applyingOrDeleting, "
                                    "waitingForPostCondition or done.")}}))}});

  json columns = json::array(
      {printer_column("Cluster", "string",
                      ".metadata.ownerReferences[?(@.kind==\"Cluster\")].name"),
       printer_column("Hook", "string", ".spec.hook", "The lifecycle hook in progress"),
       printer_column("Ready", "boolean", ".status.ready"), age_column("ClusterAddon")});
  for (const json& c : reason_and_message_columns()) columns.push_back(c);

  return CrdDescription{
      ClusterAddon::kKind,
      ClusterAddon::kResource,
      "clusteraddon",
      ClusterAddon::kShortName,
      root("The addons of one Cluster, applied from its cluster stack release.",
           json{{"type", "object"}}, std::move(spec), std::move(status), {"spec"}),
      std::move(columns)};
}

}  // namespace

Result<json> crd_manifest(std::string_view kind) {
  if (kind == ClusterStack::kKind) return manifest(cluster_stack());
  if (kind == ClusterStackRelease::kKind) return manifest(cluster_stack_release());
  if (kind == ClusterAddon::kKind) return manifest(cluster_addon());
  return error("no CRD for kind " + detail::quote(kind) +
               " (expected ClusterAddon, ClusterStack or ClusterStackRelease)");
}

std::vector<json> all_crds() {
  std::vector<json> out;
  for (std::string_view kind : kCrdKinds) out.push_back(*crd_manifest(kind));
  return out;
}

std::string crd_file_name(std::string_view plural) {
  return std::string(kGroup) + "_" + std::string(plural) + ".yaml";
}

}  // namespace cairn::api
