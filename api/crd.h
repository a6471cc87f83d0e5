// The CustomResourceDefinitions (apiextensions.k8s.io/v1) of cairn's kinds ClusterStack,
// ClusterStackRelease and ClusterAddon: the one source of truth from which
// config/crd/bases/*.yaml is generated (hack/gen-crds.sh) and against which tests check the C++
// types of types.h.
//
// Shape, as the Go cluster-stack-operator's CRDs (cso-reference.md §1): group
// clusterstack.x-k8s.io, one version v1alpha1 (served, storage), Namespaced, short names csk /
// cskr / caddon, no categories, status subresource, the Go printer columns (Reason and Message read
// the Ready condition with single-quoted JSONPath filters), Cluster API v1beta1 conditions plus
// observedGeneration, the same defaults (spec.channel "stable", spec.autoSubscribe true,
// spec.noProvider false, status.ready false) and no x-kubernetes-preserve-unknown-fields anywhere
// (the Go CRDs have none), so the API server prunes fields the schema does not describe.
//
// Validation: everything validate() of types.h checks on one object and OpenAPI can express is in
// the schema itself, because cairn's API server (like any cluster without the Go webhooks) does
// not run validate() and does not evaluate CEL:
//   - spec.provider / spec.name: minLength 1, lower-case letters and digits;
//   - spec.kubernetesVersion: <major>.<minor>, single-digit non-zero major, minor without leading
//     zeros, at most 9 digits;
//   - spec.channel: enum stable | custom;
//   - spec.versions: dot-form versions (no "stable" channel with a patch, via `not`), a set;
//   - spec.providerRef required unless spec.noProvider is true (anyOf);
//   - spec.source (cairn's addition): url non-empty, secretRef.name non-empty, interval a
//     duration (kDurationPattern; the 1s minimum is checked by validate() and the controller);
//   - ClusterStackRelease metadata.name: a release tag (dash form); status.kubernetesVersion a
//     full version (v1.27.3, semver suffixes allowed);
//   - ClusterAddon spec.clusterRef required, its kind "Cluster".
// Stricter than validate() only in the digit counts: majors and minors of 10 digits (up to
// 2^31-1), which validate() accepts, are rejected.
// CEL (x-kubernetes-validations) holds only the transition rules OpenAPI cannot express, each
// `self == oldSelf` with message "field is immutable": ClusterStack spec.provider, spec.name,
// spec.channel, spec.kubernetesVersion; ClusterAddon spec.clusterRef.name and .kind. A server that
// does not evaluate CEL (cairn apiserver) does not enforce them. Not expressible at all: the
// ClusterAddon rule "clusterRef.namespace equals metadata.namespace" (CEL cannot read the
// namespace) and the delete protections (they need other objects).
//
// Pure functions returning fresh values; thread-safe.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/result.h"

namespace cairn::api {

// The kinds that have a CRD, in the order of all_crds() and of config/crd/kustomization.yaml.
inline constexpr std::array<std::string_view, 3> kCrdKinds = {"ClusterAddon", "ClusterStack",
                                                              "ClusterStackRelease"};

// Patterns of the schema (RE2 syntax, as kube-apiserver evaluates them); see the list above.
inline constexpr std::string_view kStackPartPattern = "^[a-z0-9]*$";
inline constexpr std::string_view kKubernetesVersionPattern = "^[1-9]\\.[1-9][0-9]{0,8}$";
inline constexpr std::string_view kVersionDotPattern =
    "^v(0|[1-9][0-9]{0,8})(-[A-Za-z0-9_]+\\.[A-Za-z0-9_]+)?$";
inline constexpr std::string_view kReleaseTagPattern =
    "^[a-z0-9]+-[a-z0-9]+-[1-9][0-9]{0,8}-[1-9][0-9]{0,8}-v(0|[1-9][0-9]{0,8})"
    "(-[a-z0-9]+-[a-z0-9]+)?$";
// spec.source.interval: a positive Go duration without sign (parse_duration, types.h).
inline constexpr std::string_view kDurationPattern = "^([0-9]+(\\.[0-9]*)?(ns|us|ms|s|m|h))+$";
inline constexpr std::string_view kKubernetesPatchVersionPattern =
    "^v?[1-9][0-9]{0,8}\\.[1-9][0-9]{0,8}\\.(0|[1-9][0-9]{0,8})"
    "(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$";

// The CRD of `kind` (one of kCrdKinds) as a JSON object; an error naming the kind otherwise.
// The object is what `kubectl apply -f` sends: no status, no server-set metadata.
Result<nlohmann::json> crd_manifest(std::string_view kind);

// The three CRDs in kCrdKinds order.
std::vector<nlohmann::json> all_crds();

// The file of a CRD under config/crd/bases, kubebuilder's naming:
// "clusterstack.x-k8s.io_<plural>.yaml".
std::string crd_file_name(std::string_view plural);

}  // namespace cairn::api
