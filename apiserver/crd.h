// CustomResourceDefinition objects (apiextensions.k8s.io/v1): defaulting, validation, the
// resources a CRD serves, its status, and conversion of its custom resources.
//
// Pure functions over JSON objects; thread-safe for distinct objects. Field paths and messages
// follow apiextensions-apiserver's validation so that `kubectl apply -f crd.yaml` prints what a
// real cluster prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/resources.h"
#include "apiserver/status.h"

namespace cairn::apiserver {

// Defaults a CRD in place as kube's v1 defaulting does: spec.names.singular = lower(kind),
// spec.names.listKind = kind + "List" (both only when empty), spec.conversion = {strategy: None}
// when absent, and port 443 for a conversion webhook service. Nothing else (scope and the
// versions' served/storage flags have no defaults).
void default_crd(nlohmann::json& crd);

// Validates a defaulted CRD. `old` is the stored CRD on update (nullptr on create); then group
// and names.plural are immutable, and scope and names.kind too once the CRD is Established.
// Checks metadata.name (= plural.group), the group (DNS subdomain with a dot), names (DNS-1035
// labels, kind/listKind mixed case), scope, versions (DNS-1035 names, unique, exactly one storage
// version, a schema each), structural schemas (check_structural_schema), subresources (scale
// paths), printer columns (name, type, format, jsonPath starting with '.'), conversion
// (None|Webhook) and, when present, status.storedVersions. Causes carry kube's field paths and
// messages, in kube's order where known.
std::vector<StatusCause> validate_crd(const nlohmann::json& crd, const nlohmann::json* old);

// The resources a CRD serves: one ResourceInfo per served version, in kube's version priority
// order (GA before beta before alpha, higher major then higher minor first, then non-kube
// version names alphabetically): v2, v1, v1beta2, v1beta1, v2alpha1, v1alpha1, foo.
std::vector<ResourceInfo> crd_resources(const nlohmann::json& crd);

// kube's version priority comparison (version.CompareKubeAwareVersionStrings): >0 when `a` is
// preferred over `b`, <0 when `b` is, 0 when equal.
int compare_kube_versions(std::string_view a, std::string_view b);

// Sets crd.status. Accepted: acceptedNames = spec.names, NamesAccepted=True NoConflicts
// "no conflicts found", Established=True InitialNamesAccepted "the initial names have been
// accepted". Not accepted: acceptedNames kept, NamesAccepted=False with `conflict_reason` and
// `conflict_message`, Established=False NotAccepted "not all names are accepted" unless it was
// already True (an established CRD stays established, as in kube). storedVersions accumulates
// the storage version. Groups under k8s.io / kubernetes.io get the
// KubernetesAPIApprovalPolicyConformant condition. lastTransitionTime (`now`, RFC 3339 seconds)
// changes only when a condition's status changes.
void set_crd_status(nlohmann::json& crd, bool names_accepted, const std::string& conflict_reason,
                    const std::string& conflict_message, std::string_view now);

// Converts a custom resource between versions of one CRD with conversion strategy None: only
// apiVersion changes.
void convert_custom_resource(nlohmann::json& object, std::string_view api_version);

}  // namespace cairn::apiserver
