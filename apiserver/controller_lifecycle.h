// Deletion semantics of the embedded API server: kube's registry Store.Delete (propagation
// finalizers, finalizer-held objects marked as deleting, namespaces going Terminating) and the
// completion of a deletion once the last finalizer is gone.
//
// Both functions write through the Store only (update_with / remove), so they are safe to call
// from any thread, concurrently with each other and with other writers: decisions are re-made on
// the current object inside the Store's read-modify-write, and removals carry a resourceVersion
// precondition so that a concurrent change (a finalizer added meanwhile) is never lost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "apiserver/resources.h"
#include "apiserver/status.h"
#include "apiserver/store.h"

namespace cairn::apiserver {

inline constexpr const char* kFinalizerOrphan = "orphan";
inline constexpr const char* kFinalizerForeground = "foregroundDeletion";
inline constexpr const char* kFinalizerNamespace = "kubernetes";
inline constexpr const char* kFinalizerCrdCleanup = "customresourcecleanup.apiextensions.k8s.io";

struct DeleteRequest {
  // "" = the kind's default: Background for most kinds, Orphan for batch/v1 Jobs (kube keeps
  // that for backwards compatibility). Anything but ""/Background/Foreground/Orphan is a 422
  // `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ...`.
  std::string propagation_policy;
  DeletePreconditions preconditions;
  bool dry_run = false;
  // Accepted and ignored: no kind served here deletes gracefully (pods are never bound to a
  // node, which kube deletes at once too).
  std::optional<std::int64_t> grace_period_seconds;
};

struct DeleteOutcome {
  bool removed = false;   // true: gone now (answer Status Success); false: still present
  nlohmann::json object;  // last state (removed) or the object with deletionTimestamp set
};

// kube's DELETE: Orphan adds finalizer "orphan", Foreground "foregroundDeletion", Background
// removes both (an explicit policy overrides the finalizers already present, as in kube). With
// finalizers left, deletionTimestamp (now, RFC 3339) and deletionGracePeriodSeconds 0 are set
// (the timestamp only once) and the object stays; a repeated DELETE is idempotent apart from
// the propagation finalizers. Without finalizers the object is removed. Namespaces go
// Terminating (deletionTimestamp, status.phase Terminating) and stay until spec.finalizers and
// metadata.finalizers are empty; a DELETE of an already finalized namespace removes it.
// Preconditions that do not match -> 409 Conflict (`Operation cannot be fulfilled on <Kind>
// "<name>": the UID in the precondition (...) does not match the UID in record (...). The
// object might have been deleted and then recreated`). NotFound as the Store's. dry_run
// computes the outcome without writing.
//
// Deviation: kube also bumps metadata.generation when it first sets deletionTimestamp; the Store
// keeps generation under its own policy (metadata-only writes never bump it), so it stays.
Result<DeleteOutcome> delete_object(Store& store, const ResourceInfo& info, const ObjectKey& key,
                                    const DeleteRequest& request);

// After any update: when `written` has deletionTimestamp and no finalizers (namespaces: and no
// spec.finalizers), remove it (with a uid and resourceVersion precondition; on a conflict the
// current object is checked again) and return the final state; nullopt when nothing was to do
// (or somebody else removed it first).
Result<std::optional<nlohmann::json>> finish_deletion_if_ready(Store& store, const ObjectKey& key,
                                                               const nlohmann::json& written);

}  // namespace cairn::apiserver
