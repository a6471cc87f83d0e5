// OpenAPI v3 documents of the embedded API server: the /openapi/v3 index and one document per
// served group version, as kubectl reads them (kube-api.md §2.3): `create -f`/`apply -f` check
// the patch operations for the fieldValidation parameter, `explain` walks the component
// schemas (descriptions, types, required fields).
//
// Built-in kinds are described by their partial ResourceInfo::schema; custom resources by their
// CRD version's openAPIV3Schema plus apiVersion, kind and metadata. Patch operations of
// built-ins deliberately do not list application/strategic-merge-patch+json: the schemas are
// partial, and without it kubectl computes client-side-apply patches from its compiled-in types
// (as it does when the OpenAPI has no entry for the kind) instead of from our schema.
//
// Documents are cached per group version, keyed on the identity of the registry's immutable
// entries for it, so they are rebuilt exactly when that group version changes. Safe to call from
// any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "apiserver/resources.h"

namespace cairn::apiserver {

// GET /openapi/v3: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=H"},
// "apis/G/V": …}} for every served group version, incl. CRD groups right after they are
// registered. H is a digest of the document, so it changes whenever the document does.
nlohmann::json openapi_v3_index(const Registry& registry);

// GET /openapi/v3/<gv path> ("api/v1", "apis/apps/v1"): an OpenAPI 3.0 document with
// components.schemas for every kind of that group version (with
// x-kubernetes-group-version-kind), ObjectMeta & friends under their upstream component names
// (io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...) referenced by $ref, and `paths` with,
// per resource, collection and item paths whose patch operation carries the fieldValidation
// query parameter and x-kubernetes-group-version-kind. nullopt when not served.
std::optional<nlohmann::json> openapi_v3_document(const Registry& registry,
                                                  std::string_view gv_path);

}  // namespace cairn::apiserver
