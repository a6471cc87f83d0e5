// Server-side apply and managedFields bookkeeping (kube-api.md §9), following the semantics of
// Kubernetes' structured-merge-diff (field sets, merge, prune, conflicts).
//
// Objects are plain nlohmann::json values; the type information comes from an OpenAPI v3
// structural schema (properties, items, additionalProperties, x-kubernetes-list-type
// atomic|set|map with x-kubernetes-list-map-keys, x-kubernetes-map-type granular|atomic,
// x-kubernetes-preserve-unknown-fields; for built-in partial schemas also
// x-kubernetes-patch-strategy "merge" with x-kubernetes-patch-merge-key). Where the schema says
// nothing, maps are granular and lists atomic, and undescribed fields count as struct fields
// (only additionalProperties makes map entries). `metadata` follows object_meta_schema() (labels
// and annotations granular maps, finalizers a set, ownerReferences a map keyed by uid,
// managedFields atomic) unless the schema's properties.metadata has properties of its own.
//
// Field sets are encoded as FieldsV1: `f:<field>`, `k:<compact JSON of the key fields>`,
// `v:<JSON value>`, and `".": {}` where a path is itself in the set and also has children.
//
// Server-managed metadata (uid, resourceVersion, creationTimestamp, generation, managedFields,
// selfLink, deletionTimestamp, deletionGracePeriodSeconds) is never merged from an applied
// configuration, and apiVersion, kind, metadata, metadata.name and metadata.namespace themselves
// are never recorded as owned (kube's strip set).
//
// Free functions over values: no shared state, safe to call from any thread. Nothing is retained;
// `schema` pointers are only read during the call.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "apiserver/status.h"

namespace cairn::apiserver {

struct ManagedFieldsContext {
  std::string manager;      // fieldManager
  std::string subresource;  // "" or "status"
  std::string api_version;  // the request's apiVersion, recorded in the entry
  std::string now;          // RFC 3339 seconds, recorded as `time`
  const nlohmann::json* schema = nullptr;
};

// Records a non-apply write (create/update/patch, operation "Update"): `updated` gets its
// metadata.managedFields rewritten so that `ctx.manager` owns every field it changed relative to
// `live` (nullptr on create: every field it set), and those fields leave the other managers' sets
// (Update never conflicts). Fields the write removed leave every set. Entries are per (manager,
// operation, subresource, apiVersion); an entry whose set becomes empty is dropped, and an empty
// list removes metadata.managedFields. Existing entries keep their order and time; the writer's
// entry gets `ctx.now` only when it took ownership of something, and is appended when new.
//
// Which managedFields the write starts from (kube's decodeManagedFields):
//  - subresource writes always start from `live`'s;
//  - otherwise, when `client_sent_managed_fields` and the request's list (in `updated` on entry)
//    is `[]` or `[{}]`, tracking is reset: only this write's changes are recorded;
//  - otherwise a non-empty, well-formed request list replaces `live`'s (clients may edit it);
//  - otherwise `live`'s.
// Fails only when `updated` is not a JSON object (BadRequest).
Result<void> update_managed_fields(const nlohmann::json* live, nlohmann::json& updated,
                                   const ManagedFieldsContext& ctx,
                                   bool client_sent_managed_fields);

struct ApplyOptions {
  ManagedFieldsContext ctx;
  bool force = false;
};

// Server-side apply of configuration `applied` (already parsed from JSON or YAML) onto `live`
// (nullptr when the object does not exist: the result is then the applied object). Returns the
// merged object with metadata.managedFields updated:
//  - `applied` must be an object with string apiVersion and kind and a non-empty metadata.name,
//    else BadRequest; a non-null metadata.managedFields -> BadRequest
//    "metadata.managedFields must be nil". Map-list items without their key fields or with
//    duplicate keys -> BadRequest "failed to create typed patch object (...): ...".
//  - The merge follows the schema's list and map types; fields that this manager applied before,
//    that are absent from `applied` now and that no other manager owns are removed.
//  - Applying a different value to a field owned by another manager (Apply or Update) without
//    `force` -> Conflict (409) with kube's message and details.causes (reason
//    FieldManagerConflict); with `force` the fields leave the other managers' sets. The same
//    value is shared ownership.
//  - Ownership is recorded as this manager's "Apply" entry (replacing its previous one in
//    place, or appended). When `live` exists but has no managedFields, its fields are first
//    attributed to an Update entry of manager "before-first-apply", as kube does.
//  - With ctx.subresource == "status" only `status` is taken from `applied`. For the main
//    resource of a kind with a status subresource the caller removes `status` from `applied`
//    before calling (kube's reset fields); resourceVersion preconditions are the caller's too.
Result<nlohmann::json> server_side_apply(const nlohmann::json* live, const nlohmann::json& applied,
                                         const ApplyOptions& options);

// The FieldsV1 set an applier of `object` would own: every leaf field set in `object`, list items
// as k:{...} (map lists) or v:<value> (sets), atomic lists and maps as a whole, without the
// stripped identity fields, e.g.
// {"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:app":{}}}}. For tests and debugging.
nlohmann::json fields_of(const nlohmann::json& object, const nlohmann::json* schema);

}  // namespace cairn::apiserver
