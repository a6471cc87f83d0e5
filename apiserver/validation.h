// Built-in validation and write strategies of the embedded API server: kube-apiserver's
// ObjectMeta validation, the per-kind normalisation done before a create or an update
// (PrepareForCreate / PrepareForUpdate of the kube registry strategies, including the split
// between the main endpoint and /status), the kind-specific checks of the built-in kinds, and the
// 422 Invalid Status built from field errors.
//
// Causes are kube's field.Error values turned into StatusCause: `reason` is the cause type
// (FieldValueInvalid, FieldValueRequired, FieldValueForbidden, FieldValueTooLong,
// FieldValueNotSupported, ...), `message` is the error body kube prints ("Invalid value:
// \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of ..."), `field` the path
// ("metadata.name", "data[key]").
//
// All functions are pure apart from the arguments they are given to modify; thread-safe for
// distinct objects.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resources.h"
#include "apiserver/status.h"

namespace cairn::apiserver {

// kube's ValidateObjectMeta (create, `old` == nullptr) and additionally
// ValidateObjectMetaUpdate (update, `old` the stored object). Names are checked with the kind's
// name rule: DNS-1123 label for namespaces, DNS-1035 label for services, path-segment names
// (no "/" or "%", not "." or "..") for the RBAC kinds, DNS-1123 subdomain (<= 253) for everything
// else; `metadata.generateName` is checked as a prefix (a trailing '-' allowed). Namespaced
// objects must carry metadata.namespace (the caller fills it from the URL first, as kube's
// BeforeCreate does); cluster-scoped objects must not. Labels, annotations (keys and the
// 262144-byte total), ownerReferences (apiVersion/kind/name/uid, at most one controller),
// finalizers (qualified names, not both "orphan" and "foregroundDeletion"), generation >= 0. On
// update also: no new finalizers while deletionTimestamp is set, generation not decremented,
// name/namespace/uid/creationTimestamp/deletionTimestamp/deletionGracePeriodSeconds immutable.
// The resourceVersion requirement of an update is the request handler's business (it depends on
// whether the kind allows unconditional updates) and is not checked here.
std::vector<StatusCause> validate_object_meta(const ResourceInfo& info,
                                              const nlohmann::json& object,
                                              const nlohmann::json* old);

// Server-set fields and per-kind normalisation before a create (kube's BeforeCreate and
// PrepareForCreate): deletionTimestamp, deletionGracePeriodSeconds and selfLink removed; for
// kinds with a status subresource the status is dropped (custom resources) or reset to {}
// (built-ins), except Namespace (status.phase Active) and CustomResourceDefinition (status
// computed elsewhere). Secret: stringData merged into data (base64) and removed, data values
// must be base64, type defaults to Opaque. ConfigMap: data values strings, binaryData base64.
// Namespace: spec.finalizers gets "kubernetes", label kubernetes.io/metadata.name=<name>.
// CustomResourceDefinition: default_crd() and finalizer
// customresourcecleanup.apiextensions.k8s.io added. Lease:
// field types checked (decode errors). Job: kube's observable spec defaults (backoffLimit,
// completions, parallelism, completionMode, suspend).
// Errors are 400 BadRequest with kube's decode message:
// `<Kind> in version "<v>" cannot be handled as a <Kind>: <reason>`.
Result<void> prepare_for_create(const ResourceInfo& info, nlohmann::json& object);

// Before an update through the main endpoint (`subresource` "") or "status" (or "finalize" for
// namespaces). Main endpoint with info.has_status: the old status is kept (CRDs are defaulted
// again with default_crd()). "status": only
// .status is taken from `object`; spec and everything else comes from `old`, metadata too except
// resourceVersion and managedFields. "finalize": only spec.finalizers is taken from `object`.
// Always: uid filled from old when empty, creationTimestamp, deletionTimestamp and
// deletionGracePeriodSeconds kept from old (clients cannot set them); Secret stringData and
// data handled as on create; Namespace spec.finalizers kept from old on the main endpoint and
// the name label re-set. generation is the Store's business. Errors as prepare_for_create.
Result<void> prepare_for_update(const ResourceInfo& info, nlohmann::json& object,
                                const nlohmann::json& old, std::string_view subresource);

// The kind-specific checks of the built-ins, to run after validate_object_meta (whose causes
// are not repeated here): ConfigMap/Secret keys and sizes, immutable ConfigMap/Secret data,
// Secret type immutable and the required keys of typed Secrets, Namespace spec.finalizers names
// and status.phase, Lease values (leaseDurationSeconds > 0, leaseTransitions >= 0), Job
// spec.template containers and restartPolicy (Never|OnFailure); CustomResourceDefinition objects
// through validate_crd (apiserver/crd.h), less the causes validate_object_meta reports too.
// Other built-ins and custom resources (their schema is validated elsewhere): none.
std::vector<StatusCause> validate_builtin(const ResourceInfo& info, const nlohmann::json& object,
                                          const nlohmann::json* old);

// The 422 Status kube's errors.NewInvalid builds: message `<Kind>[.<group>] "<name>" is invalid:
// <cause>` for one distinct cause, `... is invalid: [<c1>, <c2>]` for several (each printed as
// "<field>: <message>", duplicates once), details {name, group, kind: Kind, causes}.
Status invalid_status(const ResourceInfo& info, const std::string& name,
                      std::vector<StatusCause> causes);

}  // namespace cairn::apiserver
