// The built-in kinds served by the embedded API server, with their real names, scopes, verbs
// and subresources, and partial structural schemas (OpenAPI v3 with x-kubernetes-*
// extensions) that describe the top-level fields of each kind (descriptions are ours, for
// `kubectl explain`) and every list that strategic merge patch and server-side apply must treat
// as a map, a set or atomically. Partially described objects carry
// x-kubernetes-preserve-unknown-fields so that no consumer prunes the fields left out.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "apiserver/resources.h"

namespace cairn::apiserver {

// Every built-in kind, in discovery group order; used by Registry's constructor
// (resources.cpp), which declares it too: it is private to this library.
std::vector<ResourceInfo> builtin_resources();

namespace {

using nlohmann::json;

// ------------------------------------------------------------------ schema helpers

json typed(const char* type, std::string description) {
  json s = {{"type", type}};
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}
json str(std::string d = "") { return typed("string", std::move(d)); }
json boolean(std::string d = "") { return typed("boolean", std::move(d)); }
json int32(std::string d = "") {
  json s = typed("integer", std::move(d));
  s["format"] = "int32";
  return s;
}
json int64(std::string d = "") {
  json s = typed("integer", std::move(d));
  s["format"] = "int64";
  return s;
}
json timestamp(std::string d = "") {
  json s = str(std::move(d));
  s["format"] = "date-time";
  return s;
}
json string_map(std::string d = "") {
  json s = typed("object", std::move(d));
  s["additionalProperties"] = {{"type", "string"}};
  return s;
}
json bytes_map(std::string d = "") {
  json s = typed("object", std::move(d));
  s["additionalProperties"] = {{"type", "string"}, {"format", "byte"}};
  return s;
}

// A fully described object: unknown fields are not expected.
json closed(json properties, std::string d = "", std::vector<std::string> required = {}) {
  json s = typed("object", std::move(d));
  s["properties"] = std::move(properties);
  if (!required.empty()) s["required"] = std::move(required);
  return s;
}
// A partially described object: the listed fields matter to merging, others are kept as sent.
json partial(json properties, std::string d = "", std::vector<std::string> required = {}) {
  json s = closed(std::move(properties), std::move(d), std::move(required));
  s["x-kubernetes-preserve-unknown-fields"] = true;
  return s;
}
json partial_object(std::string d = "") { return partial(json::object(), std::move(d)); }

json atomic_list(json items, std::string d = "") {
  json s = typed("array", std::move(d));
  s["items"] = std::move(items);
  s["x-kubernetes-list-type"] = "atomic";
  return s;
}
json set_list(std::string d = "") {
  json s = typed("array", std::move(d));
  s["items"] = str();
  s["x-kubernetes-list-type"] = "set";
  return s;
}
// A list merged by key: strategic merge patch merges on `merge_key` (strategy `strategy`), SSA
// on `keys`.
json map_list(json items, std::vector<std::string> keys, std::string d = "",
              const char* strategy = "merge") {
  json s = typed("array", std::move(d));
  s["items"] = std::move(items);
  s["x-kubernetes-patch-merge-key"] = keys.front();
  s["x-kubernetes-patch-strategy"] = strategy;
  s["x-kubernetes-list-type"] = "map";
  s["x-kubernetes-list-map-keys"] = std::move(keys);
  return s;
}

// ------------------------------------------------------------------ shared pieces

json conditions(std::string d = "Current observations of the object's state, one per type.") {
  return map_list(partial({{"type", str("Kind of condition, e.g. Ready.")},
                           {"status", str("True, False or Unknown.")},
                           {"reason", str("Machine-readable reason for the last transition.")},
                           {"message", str("Human-readable details of the last transition.")},
                           {"lastTransitionTime", timestamp("When status last changed.")}},
                          "", {"type", "status"}),
                  {"type"}, std::move(d));
}

json label_selector(std::string d) {
  return closed(
      {{"matchLabels", string_map("Labels an object must carry, all of them.")},
       {"matchExpressions",
        atomic_list(partial({{"key", str()}, {"operator", str()}, {"values", atomic_list(str())}},
                            "", {"key", "operator"}),
                    "Set-based requirements, all of which must hold.")}},
      std::move(d));
}

json named_refs(std::string d) {
  return map_list(partial({{"name", str("Name of the referenced object.")}}), {"name"},
                  std::move(d));
}

json container(std::string d) {
  return partial(
      {{"name", str("Name of the container, unique within the pod.")},
       {"image", str("Container image reference.")},
       {"command", atomic_list(str(), "Entrypoint, replacing the image's ENTRYPOINT.")},
       {"args", atomic_list(str(), "Arguments, replacing the image's CMD.")},
       {"env", map_list(partial({{"name", str()}, {"value", str()}}, "", {"name"}), {"name"},
                        "Environment variables, by name.")},
       {"envFrom", atomic_list(partial_object(), "Sources of environment variables.")},
       {"ports",
        map_list(partial({{"containerPort", int32()}, {"protocol", str()}, {"name", str()}}, "",
                         {"containerPort"}),
                 {"containerPort", "protocol"}, "Ports the container exposes.")},
       {"volumeMounts",
        map_list(partial({{"name", str()}, {"mountPath", str()}}, "", {"name", "mountPath"}),
                 {"mountPath"}, "Volumes mounted into the container's filesystem.")},
       {"resources", partial_object("Compute resource requests and limits.")}},
      std::move(d), {"name"});
}

json pod_spec(std::string d = "Desired behaviour of the pod.") {
  return partial({{"containers", map_list(container(""), {"name"}, "Containers of the pod.")},
                  {"initContainers", map_list(container(""), {"name"},
                                              "Containers run to completion before the others.")},
                  {"ephemeralContainers", map_list(container(""), {"name"},
                                                   "Debugging containers added to a running pod.")},
                  {"volumes", map_list(partial({{"name", str()}}, "", {"name"}), {"name"},
                                       "Volumes the containers may mount.", "merge,retainKeys")},
                  {"imagePullSecrets", named_refs("Secrets used to pull the images.")},
                  {"tolerations", atomic_list(partial_object(), "Taints the pod tolerates.")},
                  {"nodeSelector", string_map("Labels a node must carry to run the pod.")},
                  {"restartPolicy", str("Always, OnFailure or Never.")},
                  {"serviceAccountName", str("Service account the pod runs as.")}},
                 std::move(d), {"containers"});
}

json pod_template(std::string d) {
  return closed({{"metadata", object_meta_schema()}, {"spec", pod_spec()}}, std::move(d));
}

// ------------------------------------------------------------------ kinds

// One built-in kind, written with designated initializers; omitted members take these defaults.
struct KindDef {
  const char* group = "";  // the core group
  const char* resource = "";
  const char* singular = "";
  const char* kind = "";
  const char* description = "";
  std::vector<std::string> short_names = {};
  std::vector<std::string> categories = {};
  bool namespaced = true;
  bool has_status = false;
  bool scale = false;
  std::vector<std::string> extra_subresources = {};
  GenerationPolicy generation = GenerationPolicy::kNone;
  json fields = json::object();  // top-level fields besides apiVersion, kind and metadata
  std::vector<std::string> required = {};
  std::vector<std::string> verbs = {};  // empty = the standard eight
};

json spec_status(json spec, json status) {
  return {{"spec", std::move(spec)}, {"status", std::move(status)}};
}

json workload_status(const char* d) {
  return partial({{"replicas", int32("Number of pods targeted.")},
                  {"readyReplicas", int32("Number of ready pods.")},
                  {"observedGeneration", int64("Generation last acted on by the controller.")},
                  {"conditions", conditions()}},
                 d);
}

std::vector<KindDef> kind_table() {
  const std::vector<std::string> all = {"all"};
  const std::vector<std::string> api_extensions = {"api-extensions"};
  const char* rules_description = "Permissions granted, each a set of verbs on a set of resources.";
  json rule = partial({{"verbs", atomic_list(str())},
                       {"apiGroups", atomic_list(str())},
                       {"resources", atomic_list(str())},
                       {"resourceNames", atomic_list(str())},
                       {"nonResourceURLs", atomic_list(str())}},
                      "", {"verbs"});
  json subjects = atomic_list(
      partial({{"kind", str()}, {"name", str()}, {"namespace", str()}, {"apiGroup", str()}}, "",
              {"kind", "name"}),
      "Users, groups and service accounts the role is bound to.");
  json role_ref =
      partial({{"apiGroup", str()}, {"kind", str()}, {"name", str()}},
              "The Role or ClusterRole being bound; immutable.", {"apiGroup", "kind", "name"});
  json webhooks = map_list(partial({{"name", str("Unique name of the webhook.")},
                                    {"rules", atomic_list(partial_object())}},
                                   "", {"name"}),
                           {"name"}, "Webhooks called on matching requests, by name.");
  json job_spec = partial({{"template", pod_template("Pods the job runs.")},
                           {"completions", int32("Successful pods needed.")},
                           {"parallelism", int32("Pods run at the same time.")},
                           {"backoffLimit", int32("Retries before the job fails.")},
                           {"selector", label_selector("Pods the job owns.")}},
                          "Desired behaviour of the job.", {"template"});
  auto workload_spec = [](std::vector<std::string> required) {
    return partial({{"replicas", int32("Desired number of pods.")},
                    {"selector", label_selector("Pods the controller owns.")},
                    {"template", pod_template("Pods the controller creates.")}},
                   "Desired behaviour.", std::move(required));
  };

  std::vector<KindDef> t;
  // core/v1
  t.push_back({
      .resource = "namespaces",
      .singular = "namespace",
      .kind = "Namespace",
      .description = "A scope for names: namespaced objects live in exactly one namespace.",
      .short_names = {"ns"},
      .namespaced = false,
      .has_status = true,
      .extra_subresources = {"finalize"},
      .fields = spec_status(
          partial({{"finalizers",
                    atomic_list(str(), "Must be empty before the namespace is removed.")}},
                  "Desired behaviour of the namespace."),
          partial({{"phase", str("Active or Terminating.")}, {"conditions", conditions()}},
                  "Observed state of the namespace.")),
      .verbs = {"create", "delete", "get", "list", "patch", "update", "watch"},
  });
  t.push_back({
      .resource = "configmaps",
      .singular = "configmap",
      .kind = "ConfigMap",
      .description = "Non-confidential configuration data as key-value pairs.",
      .short_names = {"cm"},
      .fields = {{"data", string_map("UTF-8 configuration values by key.")},
                 {"binaryData", bytes_map("Binary configuration values by key, base64 encoded.")},
                 {"immutable", boolean("When true, data and binaryData can no longer change.")}},
  });
  t.push_back({
      .resource = "secrets",
      .singular = "secret",
      .kind = "Secret",
      .description = "Confidential data such as passwords, tokens or keys.",
      .fields = {{"data", bytes_map("Secret values by key, base64 encoded.")},
                 {"stringData", string_map("Write-only plain-text values merged into data.")},
                 {"type", str("How the data is to be used, e.g. Opaque.")},
                 {"immutable", boolean("When true, data can no longer change.")}},
  });
  t.push_back({
      .resource = "serviceaccounts",
      .singular = "serviceaccount",
      .kind = "ServiceAccount",
      .description = "An identity for processes that run in pods.",
      .short_names = {"sa"},
      .fields = {{"secrets", named_refs("Secrets the service account may use.")},
                 {"imagePullSecrets", atomic_list(partial({{"name", str()}}),
                                                  "Secrets used to pull images for its pods.")},
                 {"automountServiceAccountToken",
                  boolean("Whether pods mount an API token by default.")}},
  });
  t.push_back({
      .resource = "events",
      .singular = "event",
      .kind = "Event",
      .description = "A report of something that happened to an object.",
      .short_names = {"ev"},
      .fields = {{"involvedObject", partial_object("The object the event is about.")},
                 {"reason", str("Short machine-readable cause.")},
                 {"message", str("Human-readable description.")},
                 {"source", partial_object("Component that reported the event.")},
                 {"firstTimestamp", timestamp("When the event was first seen.")},
                 {"lastTimestamp", timestamp("When the event was last seen.")},
                 {"count", int32("How many times it occurred.")},
                 {"type", str("Normal or Warning.")},
                 {"eventTime", str("When the event was first observed (microseconds).")},
                 {"series", partial_object("Data about a series of repeated events.")},
                 {"action", str("What was done or failed.")},
                 {"related", partial_object("A second object the event is about.")},
                 {"reportingComponent", str("Controller that emitted the event.")},
                 {"reportingInstance", str("Instance of that controller.")}},
      .required = {"metadata", "involvedObject"},
  });
  t.push_back({
      .resource = "services",
      .singular = "service",
      .kind = "Service",
      .description = "A stable network endpoint in front of a set of pods.",
      .short_names = {"svc"},
      .categories = all,
      .has_status = true,
      .fields = spec_status(
          partial({{"ports", map_list(partial({{"port", int32()},
                                               {"protocol", str()},
                                               {"name", str()},
                                               {"targetPort", partial_object()}},
                                              "", {"port"}),
                                      {"port", "protocol"}, "Ports the service exposes.")},
                   {"selector", string_map("Labels of the pods traffic goes to.")},
                   {"type", str("ClusterIP, NodePort, LoadBalancer or ExternalName.")},
                   {"clusterIP", str("Virtual IP address of the service.")}},
                  "Desired behaviour of the service."),
          partial({{"conditions", conditions()}}, "Observed state of the service.")),
  });
  t.push_back({
      .resource = "pods",
      .singular = "pod",
      .kind = "Pod",
      .description = "A group of containers run together on a node.",
      .short_names = {"po"},
      .categories = all,
      .has_status = true,
      .fields = spec_status(
          pod_spec(), partial({{"phase", str("Pending, Running, Succeeded, Failed or Unknown.")},
                               {"conditions", conditions()}},
                              "Observed state of the pod.")),
  });
  t.push_back({
      .resource = "persistentvolumeclaims",
      .singular = "persistentvolumeclaim",
      .kind = "PersistentVolumeClaim",
      .description = "A request for storage by a user.",
      .short_names = {"pvc"},
      .has_status = true,
      .fields = spec_status(
          partial({{"accessModes", atomic_list(str())},
                   {"storageClassName", str("Storage class to provision from.")},
                   {"resources", partial_object("Requested storage size.")}},
                  "Desired storage."),
          partial({{"phase", str("Pending, Bound or Lost.")}, {"conditions", conditions()}},
                  "Observed state of the claim.")),
  });
  // events.k8s.io/v1
  t.push_back({
      .group = "events.k8s.io",
      .resource = "events",
      .singular = "event",
      .kind = "Event",
      .description = "A report of something that happened to an object.",
      .short_names = {"ev"},
      .fields = {{"eventTime", str("When the event was first observed (microseconds).")},
                 {"series", partial_object("Data about a series of repeated events.")},
                 {"reportingController", str("Controller that emitted the event.")},
                 {"reportingInstance", str("Instance of that controller.")},
                 {"action", str("What was done or failed.")},
                 {"reason", str("Short machine-readable cause.")},
                 {"regarding", partial_object("The object the event is about.")},
                 {"related", partial_object("A second object the event is about.")},
                 {"note", str("Human-readable description.")},
                 {"type", str("Normal or Warning.")},
                 {"deprecatedSource", partial_object("Reporter, as core/v1 events name it.")},
                 {"deprecatedFirstTimestamp", timestamp("core/v1 firstTimestamp.")},
                 {"deprecatedLastTimestamp", timestamp("core/v1 lastTimestamp.")},
                 {"deprecatedCount", int32("core/v1 count.")}},
      .required = {"eventTime"},
  });
  // coordination.k8s.io/v1
  t.push_back({
      .group = "coordination.k8s.io",
      .resource = "leases",
      .singular = "lease",
      .kind = "Lease",
      .description = "A lock held by one holder at a time, e.g. for leader election.",
      .fields = {{"spec", partial({{"holderIdentity", str("Identity of the current holder.")},
                                   {"leaseDurationSeconds", int32("How long the lease lasts.")},
                                   {"acquireTime", str("When the lease was acquired.")},
                                   {"renewTime", str("When the holder last renewed it.")},
                                   {"leaseTransitions", int32("How often the holder changed.")}},
                                  "Desired state of the lease.")}},
  });
  // batch/v1
  t.push_back({
      .group = "batch",
      .resource = "jobs",
      .singular = "job",
      .kind = "Job",
      .description = "A task run to completion by one or more pods.",
      .categories = all,
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields = spec_status(job_spec, partial({{"active", int32("Running pods.")},
                                               {"succeeded", int32("Pods that succeeded.")},
                                               {"failed", int32("Pods that failed.")},
                                               {"conditions", conditions()}},
                                              "Observed state of the job.")),
  });
  t.push_back({
      .group = "batch",
      .resource = "cronjobs",
      .singular = "cronjob",
      .kind = "CronJob",
      .description = "A job run on a schedule.",
      .short_names = {"cj"},
      .categories = all,
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields = spec_status(
          partial({{"schedule", str("Cron schedule.")},
                   {"suspend", boolean("When true, no new jobs start.")},
                   {"jobTemplate", closed({{"metadata", object_meta_schema()}, {"spec", job_spec}},
                                          "Jobs the cron job creates.")}},
                  "Desired behaviour of the cron job.", {"schedule", "jobTemplate"}),
          partial({{"active", atomic_list(partial_object())}, {"lastScheduleTime", timestamp()}},
                  "Observed state of the cron job.")),
  });
  // apps/v1
  t.push_back({
      .group = "apps",
      .resource = "deployments",
      .singular = "deployment",
      .kind = "Deployment",
      .description = "Declarative rollouts of replicated pods.",
      .short_names = {"deploy"},
      .categories = all,
      .has_status = true,
      .scale = true,
      .generation = GenerationPolicy::kSpec,
      .fields =
          spec_status(workload_spec({"selector", "template"}), workload_status("Observed state.")),
  });
  t.push_back({
      .group = "apps",
      .resource = "daemonsets",
      .singular = "daemonset",
      .kind = "DaemonSet",
      .description = "A pod on every eligible node.",
      .short_names = {"ds"},
      .categories = all,
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields =
          spec_status(workload_spec({"selector", "template"}), workload_status("Observed state.")),
  });
  t.push_back({
      .group = "apps",
      .resource = "statefulsets",
      .singular = "statefulset",
      .kind = "StatefulSet",
      .description = "Pods with stable identities and storage.",
      .short_names = {"sts"},
      .categories = all,
      .has_status = true,
      .scale = true,
      .generation = GenerationPolicy::kSpec,
      .fields =
          spec_status(workload_spec({"selector", "template"}), workload_status("Observed state.")),
  });
  t.push_back({
      .group = "apps",
      .resource = "replicasets",
      .singular = "replicaset",
      .kind = "ReplicaSet",
      .description = "A fixed number of identical pods.",
      .short_names = {"rs"},
      .categories = all,
      .has_status = true,
      .scale = true,
      .generation = GenerationPolicy::kSpec,
      .fields = spec_status(workload_spec({"selector"}), workload_status("Observed state.")),
  });
  // apiextensions.k8s.io/v1
  t.push_back({
      .group = "apiextensions.k8s.io",
      .resource = "customresourcedefinitions",
      .singular = "customresourcedefinition",
      .kind = "CustomResourceDefinition",
      .description = "Defines a new resource type served by the API server.",
      .short_names = {"crd", "crds"},
      .categories = api_extensions,
      .namespaced = false,
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields = spec_status(
          partial({{"group", str("API group of the resource.")},
                   {"names", partial_object("Plural, singular, kind and short names.")},
                   {"scope", str("Namespaced or Cluster.")},
                   {"versions", map_list(partial({{"name", str()}}, "", {"name"}), {"name"},
                                         "Versions served, exactly one of them stored.")}},
                  "Desired definition.", {"group", "names", "scope", "versions"}),
          partial({{"conditions", conditions()},
                   {"acceptedNames", partial_object("Names actually being served.")},
                   {"storedVersions", atomic_list(str(), "Versions ever used for storage.")}},
                  "Observed state of the definition.")),
  });
  // rbac.authorization.k8s.io/v1
  const char* rbac = "rbac.authorization.k8s.io";
  t.push_back({
      .group = rbac,
      .resource = "roles",
      .singular = "role",
      .kind = "Role",
      .description = "Namespaced permissions.",
      .fields = {{"rules", atomic_list(rule, rules_description)}},
  });
  t.push_back({
      .group = rbac,
      .resource = "rolebindings",
      .singular = "rolebinding",
      .kind = "RoleBinding",
      .description = "Grants a role's permissions within a namespace.",
      .fields = {{"subjects", subjects}, {"roleRef", role_ref}},
      .required = {"roleRef"},
  });
  t.push_back({
      .group = rbac,
      .resource = "clusterroles",
      .singular = "clusterrole",
      .kind = "ClusterRole",
      .description = "Cluster-wide permissions.",
      .namespaced = false,
      .fields = {{"rules", atomic_list(rule, rules_description)},
                 {"aggregationRule", partial_object("Selects roles whose rules are combined.")}},
  });
  t.push_back({
      .group = rbac,
      .resource = "clusterrolebindings",
      .singular = "clusterrolebinding",
      .kind = "ClusterRoleBinding",
      .description = "Grants a cluster role's permissions cluster-wide.",
      .namespaced = false,
      .fields = {{"subjects", subjects}, {"roleRef", role_ref}},
      .required = {"roleRef"},
  });
  // storage.k8s.io/v1
  t.push_back({
      .group = "storage.k8s.io",
      .resource = "storageclasses",
      .singular = "storageclass",
      .kind = "StorageClass",
      .description = "A class of dynamically provisioned storage.",
      .short_names = {"sc"},
      .namespaced = false,
      .fields = {{"provisioner", str("Volume plugin that provisions the volumes.")},
                 {"parameters", string_map("Provisioner parameters.")},
                 {"reclaimPolicy", str("Delete or Retain.")},
                 {"mountOptions", atomic_list(str(), "Mount options of the volumes.")},
                 {"allowVolumeExpansion", boolean("Whether volumes may grow.")},
                 {"volumeBindingMode", str("Immediate or WaitForFirstConsumer.")},
                 {"allowedTopologies", atomic_list(partial_object(), "Where volumes may live.")}},
      .required = {"provisioner"},
  });
  t.push_back({
      .group = "storage.k8s.io",
      .resource = "csidrivers",
      .singular = "csidriver",
      .kind = "CSIDriver",
      .description = "A Container Storage Interface driver installed in the cluster.",
      .namespaced = false,
      .generation = GenerationPolicy::kSpec,
      .fields = {{"spec", partial_object("How the driver is used.")}},
      .required = {"spec"},
  });
  // networking.k8s.io/v1
  const char* networking = "networking.k8s.io";
  t.push_back({
      .group = networking,
      .resource = "networkpolicies",
      .singular = "networkpolicy",
      .kind = "NetworkPolicy",
      .description = "Which traffic pods may send and receive.",
      .short_names = {"netpol"},
      .generation = GenerationPolicy::kSpec,
      .fields = {{"spec", partial({{"podSelector", label_selector("Pods the policy applies to.")},
                                   {"ingress", atomic_list(partial_object(), "Allowed inbound.")},
                                   {"egress", atomic_list(partial_object(), "Allowed outbound.")},
                                   {"policyTypes", atomic_list(str())}},
                                  "Desired policy.")}},
  });
  t.push_back({
      .group = networking,
      .resource = "ingresses",
      .singular = "ingress",
      .kind = "Ingress",
      .description = "HTTP routing from outside the cluster to services.",
      .short_names = {"ing"},
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields =
          spec_status(partial({{"ingressClassName", str("Ingress class that serves it.")},
                               {"rules", atomic_list(partial_object(), "Host and path rules.")},
                               {"tls", atomic_list(partial_object(), "TLS settings.")}},
                              "Desired routing."),
                      partial_object("Observed state of the ingress.")),
  });
  t.push_back({
      .group = networking,
      .resource = "ingressclasses",
      .singular = "ingressclass",
      .kind = "IngressClass",
      .description = "A kind of ingress controller.",
      .namespaced = false,
      .generation = GenerationPolicy::kSpec,
      .fields = {{"spec", partial({{"controller", str("Name of the controller.")}},
                                  "Configuration of the class.")}},
  });
  // admissionregistration.k8s.io/v1
  const char* admission = "admissionregistration.k8s.io";
  t.push_back({
      .group = admission,
      .resource = "mutatingwebhookconfigurations",
      .singular = "mutatingwebhookconfiguration",
      .kind = "MutatingWebhookConfiguration",
      .description = "Webhooks that may change objects on admission.",
      .categories = api_extensions,
      .namespaced = false,
      .generation = GenerationPolicy::kAllButMetadata,
      .fields = {{"webhooks", webhooks}},
  });
  t.push_back({
      .group = admission,
      .resource = "validatingwebhookconfigurations",
      .singular = "validatingwebhookconfiguration",
      .kind = "ValidatingWebhookConfiguration",
      .description = "Webhooks that may reject objects on admission.",
      .categories = api_extensions,
      .namespaced = false,
      .generation = GenerationPolicy::kAllButMetadata,
      .fields = {{"webhooks", webhooks}},
  });
  // apiregistration.k8s.io/v1
  t.push_back({
      .group = "apiregistration.k8s.io",
      .resource = "apiservices",
      .singular = "apiservice",
      .kind = "APIService",
      .description = "A group version served by an API server.",
      .categories = api_extensions,
      .namespaced = false,
      .has_status = true,
      .fields = spec_status(
          partial({{"group", str()},
                   {"version", str()},
                   {"groupPriorityMinimum", int32()},
                   {"versionPriority", int32()}},
                  "Where and how the group version is served."),
          partial({{"conditions", conditions()}}, "Observed state of the API service.")),
  });
  // policy/v1
  t.push_back({
      .group = "policy",
      .resource = "poddisruptionbudgets",
      .singular = "poddisruptionbudget",
      .kind = "PodDisruptionBudget",
      .description = "Limits voluntary disruption of a set of pods.",
      .short_names = {"pdb"},
      .has_status = true,
      .generation = GenerationPolicy::kSpec,
      .fields =
          spec_status(partial({{"selector", label_selector("Pods the budget covers.")},
                               {"minAvailable", partial_object("Pods that must stay available.")},
                               {"maxUnavailable", partial_object("Pods that may be down.")}},
                              "Desired budget."),
                      partial({{"conditions", conditions()}}, "Observed state of the budget.")),
  });
  // scheduling.k8s.io/v1
  t.push_back({
      .group = "scheduling.k8s.io",
      .resource = "priorityclasses",
      .singular = "priorityclass",
      .kind = "PriorityClass",
      .description = "Maps a class name to a pod scheduling priority.",
      .short_names = {"pc"},
      .namespaced = false,
      .fields = {{"value", int32("The priority; higher schedules first.")},
                 {"globalDefault", boolean("Whether pods without a class get this one.")},
                 {"description", str("When to use this class.")},
                 {"preemptionPolicy", str("Never or PreemptLowerPriority.")}},
      .required = {"value"},
  });
  return t;
}

json kind_schema(const KindDef& k) {
  json props = {{"apiVersion", str("Versioned schema of this object; the server converts to it.")},
                {"kind", str("REST type of this object, in CamelCase.")},
                {"metadata", object_meta_schema()}};
  for (const auto& [name, schema] : k.fields.items()) props[name] = schema;
  return closed(std::move(props), k.description, k.required);
}

}  // namespace

const nlohmann::json& object_meta_schema() {
  static const json kSchema = [] {
    json owner =
        closed({{"apiVersion", str("API version of the owner.")},
                {"kind", str("Kind of the owner.")},
                {"name", str("Name of the owner.")},
                {"uid", str("UID of the owner.")},
                {"controller", boolean("Whether the owner is the managing controller.")},
                {"blockOwnerDeletion",
                 boolean("Whether foreground deletion of the owner waits for this object.")}},
               "Identifies an object this one depends on.", {"apiVersion", "kind", "name", "uid"});
    json managed =
        closed({{"manager", str("Name of the field manager.")},
                {"operation", str("Apply or Update.")},
                {"apiVersion", str("Version the fields are expressed in.")},
                {"time", timestamp("When the manager last changed the fields.")},
                {"fieldsType", str("Format of fieldsV1; always FieldsV1.")},
                {"fieldsV1", partial_object("The set of fields owned, in the FieldsV1 format.")},
                {"subresource", str("Subresource the change was made through.")}},
               "Fields a manager owns and how it last changed them.");
    json owners = map_list(std::move(owner), {"uid"},
                           "Objects this one depends on; when all are gone it is collected.");
    json finalizers =
        set_list("Conditions that must be cleared before the object is removed from storage.");
    finalizers["x-kubernetes-patch-strategy"] = "merge";
    return closed(
        {{"name", str("Unique name within the namespace (or cluster); cannot be updated.")},
         {"generateName", str("Prefix for a server-generated name, used when name is empty.")},
         {"namespace", str("Namespace the object lives in; empty for cluster-scoped objects.")},
         {"uid", str("Unique identifier for this incarnation of the object; set by the server.")},
         {"resourceVersion",
          str("Opaque version of the object, for optimistic concurrency and watches.")},
         {"generation", int64("Sequence number of changes to the desired state.")},
         {"creationTimestamp", timestamp("When the object was created; set by the server.")},
         {"deletionTimestamp", timestamp("When deletion was requested; set by the server.")},
         {"deletionGracePeriodSeconds",
          int64("Seconds the object is given to terminate once deleted.")},
         {"labels", string_map("Key-value pairs used to select and organise objects.")},
         {"annotations", string_map("Arbitrary non-identifying key-value metadata.")},
         {"ownerReferences", std::move(owners)},
         {"finalizers", std::move(finalizers)},
         {"managedFields",
          atomic_list(std::move(managed), "Field ownership recorded by server-side apply.")},
         {"selfLink", str("Deprecated; not set.")}},
        "Standard metadata every persisted object has.");
  }();
  return kSchema;
}

std::vector<ResourceInfo> builtin_resources() {
  static const std::vector<std::string> kStandardVerbs = {
      "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  std::vector<ResourceInfo> out;
  for (auto& k : kind_table()) {
    ResourceInfo info;
    info.group = k.group;
    info.version = "v1";
    info.resource = k.resource;
    info.singular = k.singular;
    info.kind = k.kind;
    info.list_kind = std::string(k.kind) + "List";
    info.short_names = k.short_names;
    info.categories = k.categories;
    info.namespaced = k.namespaced;
    info.verbs = k.verbs.empty() ? kStandardVerbs : k.verbs;
    info.has_status = k.has_status;
    if (k.scale) info.scale = ScaleSubresource{".spec.replicas", ".status.replicas", ""};
    info.extra_subresources = k.extra_subresources;
    info.generation = k.generation;
    info.storage_version = "v1";
    for (auto& label : supported_field_labels(info.group, info.resource)) {
      if (label != "metadata.name" && label != "metadata.namespace")
        info.field_labels.push_back(std::move(label));
    }
    info.schema = std::make_shared<const json>(kind_schema(k));
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace cairn::apiserver
