// C++ types of the clusterstack.x-k8s.io/v1alpha1 kinds: ClusterStack, ClusterStackRelease and
// ClusterAddon, field-compatible with the Go cluster-stack-operator (cso-reference.md §1; same JSON
// names, same defaults, same omission rules as its Go json tags).
//
// JSON mapping: to_json (nlohmann ADL, so `nlohmann::json j = stack;` works) and decode<T>(json),
// which checks types and reports the first mismatch with its path ("spec.autoSubscribe: expected a
// boolean, got string") instead of throwing. JSON null is read as "absent", as Go does.
// Defaults are the Go kubebuilder markers': spec.channel "stable", spec.autoSubscribe true,
// spec.noProvider false, status.ready false; a decoded object without those fields has them.
//
// Unknown fields: kept. The top-level object, metadata, spec and status each hold the fields this
// version does not know in `extra` and write them back unchanged, so that a read-modify-write by an
// older cairn never drops what a newer one (or the API server: creationTimestamp, managedFields)
// wrote. Nested items (conditions, resources, ...) are closed structs: the CRD schema prunes
// unknown fields inside them on the server anyway.
//
// Validation: validate() mirrors the Go operator's OpenAPI schema and validating webhooks and
// returns Kubernetes-style field errors (field_error.h). Differences, on purpose:
//   - spec.versions errors name the item (spec.versions[1]) and duplicates are reported;
//   - spec.provider / spec.name must be lower-case letters and digits: they become parts of object
//     names split on '-' (the Go operator accepted them and then failed to parse its own tags);
//   - spec.kubernetesVersion must have non-zero major and minor without leading zeros (the Go
//     controller failed on those later);
//   - no "autoSubscribe not allowed in local mode" rule: the Go rule was never enforced (the error
//     was built but not returned) and cairn's local feed lists releases, so auto-subscribe works.
// Cross-object checks (delete protection while Clusters use a stack) need a client and live with
// the controllers.
//
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/field_error.h"
#include "api/release_tag.h"
#include "api/result.h"

namespace cairn::api {

inline constexpr std::string_view kGroup = "clusterstack.x-k8s.io";
inline constexpr std::string_view kVersion = "v1alpha1";
inline constexpr std::string_view kApiVersion = "clusterstack.x-k8s.io/v1alpha1";

inline constexpr std::string_view kClusterStackReleaseFinalizer =
    "clusterstackrelease.clusterstack.x-k8s.io";
inline constexpr std::string_view kClusterAddonFinalizer = "clusteraddon.clusterstack.x-k8s.io";
// Annotation on ClusterAddon; values "created" / "upgraded" (the key is literally this).
inline constexpr std::string_view kClusterAddonStageAnnotation = "ClusterAddonStage";

// corev1.ObjectReference.
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  std::string field_path;
  friend bool operator==(const ObjectReference&, const ObjectReference&) = default;
};

// metav1.OwnerReference.
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

// The part of metav1.ObjectMeta controllers use; everything else (creationTimestamp,
// managedFields, generateName, ...) stays in `extra`.
struct ObjectMeta {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string resource_version;
  std::int64_t generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  std::optional<std::string> deletion_timestamp;  // RFC 3339
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// Cluster API v1beta1 Condition (what the Go operator stores) plus metav1.Condition's
// observedGeneration (a cairn addition, omitted when 0). severity only when status is False.
struct Condition {
  std::string type;
  std::string status;    // "True", "False", "Unknown"
  std::string severity;  // "Error", "Warning", "Info" or ""
  std::string reason;    // CamelCase
  std::string message;
  std::int64_t observed_generation = 0;
  std::string last_transition_time;  // RFC 3339
  friend bool operator==(const Condition&, const Condition&) = default;
};

// One object applied from a chart (status.resources of ClusterStackRelease and ClusterAddon).
struct Resource {
  std::string group;
  std::string version;
  std::string kind;
  std::string namespace_;
  std::string name;
  std::string status;  // "synced" | "not-synced"
  std::string error;
  friend bool operator==(const Resource&, const Resource&) = default;
};

// ------------------------------------------------------------------ ClusterStack

// spec.source (a cairn addition; the Go operator had one feed per process): where the releases
// of this stack are published. Optional; without it the manager's default feed is used.
struct ClusterStackSource {
  std::string url;  // a feed URL (github://, git+https://, oci://, ... as `cairn releases`)
  // A Secret in the stack's namespace with the feed's credentials (keys: token, username,
  // password, ssh-privatekey); "" = none.
  std::string secret_name;
  // How often the feed is polled: a Go/Kubernetes duration ("30s", "5m", "1h30m"); "" = the
  // manager's --source-interval.
  std::string interval;
  friend bool operator==(const ClusterStackSource&, const ClusterStackSource&) = default;
};

// Parses a Go time.ParseDuration string without sign ("300ms", "1.5h", "2h45m"; units ns, us,
// ms, s, m, h); rounded down to milliseconds. Errors say what is wrong.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

struct ClusterStackSpec {
  std::string provider;
  std::string name;
  std::string kubernetes_version;                     // "1.27"
  std::string channel = std::string(kChannelStable);  // enum stable | custom
  std::vector<std::string> versions;                  // dot form
  bool auto_subscribe = true;
  bool no_provider = false;
  std::optional<ObjectReference> provider_ref;
  std::optional<ClusterStackSource> source;
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterStackSpec&, const ClusterStackSpec&) = default;
};

// Phases of ClusterStackStatus.summary[].phase.
inline constexpr std::string_view kPhaseNone = "";
inline constexpr std::string_view kPhaseDownloadingAssets = "downloading release assets";
inline constexpr std::string_view kPhaseProviderSpecificWork = "provider-specific work";
inline constexpr std::string_view kPhaseApplyingObjects = "applying objects";
inline constexpr std::string_view kPhaseDone = "done";

struct ClusterStackReleaseSummary {
  std::string name;  // version, dot form
  bool ready = false;
  std::string phase;
  std::string message;
  friend bool operator==(const ClusterStackReleaseSummary&,
                         const ClusterStackReleaseSummary&) = default;
};

struct ClusterStackStatus {
  std::string latest_release;  // "docker-ferrol-1-27-v2 | v1.27.3"
  std::vector<ClusterStackReleaseSummary> summary;
  std::string usable_versions;  // "v1, v2"
  std::vector<Condition> conditions;
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterStackStatus&, const ClusterStackStatus&) = default;
};

struct ClusterStack {
  static constexpr std::string_view kKind = "ClusterStack";
  static constexpr std::string_view kResource = "clusterstacks";
  static constexpr std::string_view kShortName = "csk";

  ObjectMeta metadata;
  ClusterStackSpec spec;
  ClusterStackStatus status;
  nlohmann::json extra = nlohmann::json::object();  // unknown top-level fields

  // The stack identity of the spec (provider, name, Kubernetes minor line).
  Result<StackIdentity> identity() const;

  // Create-time checks (OpenAPI schema + webhook).
  FieldErrors validate() const;
  // Update-time checks: validate() plus immutability of provider, name, channel and
  // kubernetesVersion.
  FieldErrors validate_update(const ClusterStack& old) const;

  friend bool operator==(const ClusterStack&, const ClusterStack&) = default;
};

// ------------------------------------------------------------------ ClusterStackRelease

struct ClusterStackReleaseSpec {
  std::optional<ObjectReference> provider_ref;
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterStackReleaseSpec&, const ClusterStackReleaseSpec&) = default;
};

struct ClusterStackReleaseStatus {
  std::vector<Resource> resources;
  std::string kubernetes_version;  // "v1.27.3", from metadata.yaml
  bool ready = false;
  std::vector<Condition> conditions;
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterStackReleaseStatus&,
                         const ClusterStackReleaseStatus&) = default;
};

struct ClusterStackRelease {
  static constexpr std::string_view kKind = "ClusterStackRelease";
  static constexpr std::string_view kResource = "clusterstackreleases";
  static constexpr std::string_view kShortName = "cskr";

  ObjectMeta metadata;  // metadata.name is the release tag (dash form)
  ClusterStackReleaseSpec spec;
  ClusterStackReleaseStatus status;
  nlohmann::json extra = nlohmann::json::object();

  // The release this object stands for, parsed from metadata.name.
  Result<ReleaseTag> release() const { return ReleaseTag::parse(metadata.name); }

  // metadata.name must be a release tag; status.kubernetesVersion, when set, a full version.
  FieldErrors validate() const;

  friend bool operator==(const ClusterStackRelease&, const ClusterStackRelease&) = default;
};

// ------------------------------------------------------------------ ClusterAddon

// Stage phases of ClusterAddonStatus.stages[].phase.
inline constexpr std::string_view kStagePending = "Pending";
inline constexpr std::string_view kStageWaitingForPreCondition = "waitingForPreCondition";
inline constexpr std::string_view kStageApplyingOrDeleting = "applyingOrDeleting";
inline constexpr std::string_view kStageWaitingForPostCondition = "waitingForPostCondition";
inline constexpr std::string_view kStageDone = "done";

struct StageStatus {
  std::string name;
  std::string action;  // "apply" | "delete"
  std::string phase;
  friend bool operator==(const StageStatus&, const StageStatus&) = default;
};

struct ClusterAddonSpec {
  std::string cluster_stack;  // class name (dot form) last applied
  std::string version;        // cluster addon version last applied
  std::string hook;           // AfterControlPlaneInitialized | BeforeClusterUpgrade | ""
  std::optional<ObjectReference> cluster_ref;  // required
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterAddonSpec&, const ClusterAddonSpec&) = default;
};

struct ClusterAddonStatus {
  std::vector<Resource> resources;
  std::vector<StageStatus> stages;
  bool ready = false;
  std::vector<Condition> conditions;
  nlohmann::json extra = nlohmann::json::object();
  friend bool operator==(const ClusterAddonStatus&, const ClusterAddonStatus&) = default;
};

struct ClusterAddon {
  static constexpr std::string_view kKind = "ClusterAddon";
  static constexpr std::string_view kResource = "clusteraddons";
  static constexpr std::string_view kShortName = "caddon";

  ObjectMeta metadata;  // name "cluster-addon-<cluster name>"
  ClusterAddonSpec spec;
  ClusterAddonStatus status;
  nlohmann::json extra = nlohmann::json::object();

  // Create: clusterRef set, kind Cluster.
  FieldErrors validate() const;
  // Update: clusterRef set, name and kind unchanged, namespace equal to the object's.
  FieldErrors validate_update(const ClusterAddon& old) const;

  friend bool operator==(const ClusterAddon&, const ClusterAddon&) = default;
};

// ------------------------------------------------------------------ JSON

void to_json(nlohmann::json& j, const ObjectReference& v);
void to_json(nlohmann::json& j, const OwnerReference& v);
void to_json(nlohmann::json& j, const ObjectMeta& v);
void to_json(nlohmann::json& j, const Condition& v);
void to_json(nlohmann::json& j, const Resource& v);
void to_json(nlohmann::json& j, const ClusterStack& v);
void to_json(nlohmann::json& j, const ClusterStackRelease& v);
void to_json(nlohmann::json& j, const ClusterAddon& v);

// Decodes one object; T is ClusterStack, ClusterStackRelease, ClusterAddon, ObjectMeta or
// Condition. apiVersion and kind, when present, must match T.
template <class T>
Result<T> decode(const nlohmann::json& j);

}  // namespace cairn::api
