// Object helpers every controller uses, on plain JSON objects (kube knows none of our CRDs):
// status conditions, finalizers, owner references and server-side apply of owned objects.
//
// Conditions follow the Kubernetes conventions (metav1.Condition): `type`, `status`
// ("True"/"False"/"Unknown"), `reason` (CamelCase), `message`, `observedGeneration` and
// `lastTransitionTime` (RFC 3339, seconds), which changes only when `status` changes. A
// `severity` (Cluster API style: "Error", "Warning", "Info") may be carried on False
// conditions. Conditions live in `status.conditions`, in insertion order.
//
// Owner references follow controller-runtime's controllerutil: references are matched by the
// owner's API group, kind and name; a child has at most one controller reference; a namespaced
// owner may only own children in its own namespace. An object without metadata.namespace is
// taken to be cluster-scoped.
//
// Pure functions (except apply_owned / patch_status_apply, which call the Client); they modify
// only the object passed by reference. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/client.h"
#include "kube/error.h"

namespace cairn::kube {

inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

struct Condition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::int64_t observed_generation = 0;  // 0 = omitted
  std::string severity;                  // "" = omitted
  // Read by get_condition; set_condition ignores it and manages the field itself.
  std::optional<std::chrono::system_clock::time_point> last_transition_time;
};

// Sets `condition` in status.conditions (creating status and the array when missing), keeping
// the other conditions and their order; a new type is appended. lastTransitionTime becomes `now`
// (seconds) for a new condition or a changed status and is kept otherwise. Returns whether the
// object changed.
bool set_condition(nlohmann::json& object, const Condition& condition,
                   std::chrono::system_clock::time_point now);
std::optional<Condition> get_condition(const nlohmann::json& object, std::string_view type);
bool is_condition_true(const nlohmann::json& object, std::string_view type);
// Returns whether a condition of that type was removed.
bool remove_condition(nlohmann::json& object, std::string_view type);

// Sets the summary condition `summary_type` (e.g. "Ready") from the conditions `types`:
// - False when any is False, with the reason, message and severity of the most severe False one
//   (Error > Warning > Info > none; the first in `types` among equals);
// - else Unknown when any is Unknown (its reason and message) or missing (reason
//   kReasonConditionMissing, message "<type> is not reported");
// - else True with reason kReasonAllTrue.
// observedGeneration is the object's metadata.generation. Returns whether the object changed.
inline constexpr std::string_view kReasonAllTrue = "AllConditionsTrue";
inline constexpr std::string_view kReasonConditionMissing = "ConditionMissing";
bool set_summary_condition(nlohmann::json& object, std::string_view summary_type,
                           const std::vector<std::string>& types,
                           std::chrono::system_clock::time_point now);

// metadata.finalizers. add/remove return whether the object changed.
bool has_finalizer(const nlohmann::json& object, std::string_view finalizer);
bool add_finalizer(nlohmann::json& object, std::string_view finalizer);
bool remove_finalizer(nlohmann::json& object, std::string_view finalizer);
// metadata.deletionTimestamp is set.
bool is_being_deleted(const nlohmann::json& object);

// Makes `owner` the controller of `child` (apiVersion, kind, name, uid, controller: true,
// blockOwnerDeletion: true), updating an existing reference to the same owner. Errors: kDecode
// when owner or child lacks apiVersion/kind/name or the owner its uid; kConfig with reason
// "AlreadyOwned" when another object already controls the child, or "CrossNamespaceOwner"
// when a namespaced owner would own a child in another namespace or a cluster-scoped child.
// Returns whether the child changed.
Result<bool> set_controller_reference(const nlohmann::json& owner, nlohmann::json& child);
// Adds (or updates) a non-controller reference to `owner`; an existing reference keeps its
// controller and blockOwnerDeletion flags. Same input errors as above.
Result<bool> set_owner_reference(const nlohmann::json& owner, nlohmann::json& child);
// The ownerReference with controller: true, if any.
std::optional<nlohmann::json> controller_of(const nlohmann::json& child);
// The child's controller reference names `owner` (by uid).
bool is_controlled_by(const nlohmann::json& child, const nlohmann::json& owner);

// Server-side apply of an object this controller owns: strips what the server owns
// (metadata.managedFields, resourceVersion, uid, generation, creationTimestamp, selfLink,
// deletionTimestamp, deletionGracePeriodSeconds, and status) and applies with force=true as
// `field_manager`. Returns the object as stored.
Result<nlohmann::json> apply_owned(Client& client, nlohmann::json object,
                                   std::string field_manager = "cairn");
// Server-side apply of the object's status only (the /status subresource, force=true).
Result<nlohmann::json> patch_status_apply(Client& client, const nlohmann::json& object,
                                          std::string field_manager = "cairn");

}  // namespace cairn::kube
