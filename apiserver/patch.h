// Patch documents of PATCH requests: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
// Kubernetes strategic merge patch, plus reading a patch body.
//
// Each function is pure: it takes the current object (`target`) and the patch by const
// reference and returns the patched object (or a Status phrased as kube-apiserver phrases it);
// the inputs are never modified. Safe to call from any thread.
//
// The functions recurse along the nesting of the documents. parse_patch_body() rejects bodies
// nested deeper than kMaxPatchDepth, so documents it returned (and objects read from the store)
// are safe; callers passing JSON from elsewhere must bound its depth the same way.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "apiserver/status.h"

namespace cairn::apiserver {

// The deepest nesting of arrays and objects parse_patch_body() accepts.
inline constexpr std::size_t kMaxPatchDepth = 1000;

// The most operations a JSON patch may have (kube-apiserver's maxJSONPatchOperations).
inline constexpr std::size_t kMaxJsonPatchOperations = 10000;

// RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces.
// A non-object patch replaces the target. Never fails on well-formed JSON.
nlohmann::json merge_patch(const nlohmann::json& target, const nlohmann::json& patch);

// RFC 6902 JSON patch (add, remove, replace, move, copy, test; JSON Pointer with ~0 ~1, "-" for
// append). BadRequest when the patch document is malformed (not an array, op missing/unknown,
// path not a string/invalid pointer); Invalid (422) when an operation cannot apply (missing
// path, failed test, index out of range) with a message like kube-apiserver's. Limits: at most
// 10000 operations (kube has a similar limit); copy/add that would make the document exceed
// `max_bytes` (approximate serialized size) -> RequestEntityTooLarge.
//
// More than kMaxJsonPatchOperations operations is RequestEntityTooLarge, as in kube. The whole
// patch is checked for malformed operations before any is applied. Operations apply in order;
// the first failing one fails the patch and nothing of it is kept.
Result<nlohmann::json> json_patch(const nlohmann::json& target, const nlohmann::json& patch,
                                  std::size_t max_bytes = 3 * 1024 * 1024);

// Strategic merge patch for built-in kinds, guided by `schema` (an OpenAPI v3 structural-style
// schema: properties / items / additionalProperties, with x-kubernetes-patch-strategy
// ("merge", "replace", "retainKeys", "merge,retainKeys") and x-kubernetes-patch-merge-key on
// list fields). metadata always follows object_meta_schema() when the schema has no
// properties.metadata. Without a merge strategy, lists are replaced (like merge patch).
// Directives: $patch: replace|delete|merge (in maps and in list elements),
// $deleteFromPrimitiveList/<field>, $setElementOrder/<field> (honour the order if you can,
// else just strip it), $retainKeys. Primitive lists with strategy merge are unions.
// BadRequest for malformed patches (e.g. a list element without its merge key, unknown
// $patch value) with kube-like messages.
//
// Semantics follow apimachinery's strategicpatch as kube-apiserver runs it (parallel lists
// merged, nulls that match nothing ignored):
//  * `$patch: replace` in a map replaces the map with the rest of the patch map; `$patch: delete`
//    empties it; `$patch: merge` merges as without it.
//  * In a list with a merge key, `{"$patch": "delete", <key>: v}` removes the items with that key,
//    a `{"$patch": "replace"}` item replaces the list with the other items of the patch list.
//  * Merged lists are ordered as kube orders them: the patch's items (in `$setElementOrder`
//    order when given, else in patch order) interleaved with the items only the target has, in
//    their old relative order.
//  * `schema` may be null (then every list is replaced and only metadata is known). It is
//    borrowed for the duration of the call.
// Lists of lists and a patch not matching its `$retainKeys` are Invalid (422), as in kube.
Result<nlohmann::json> strategic_merge_patch(const nlohmann::json& target,
                                             const nlohmann::json& patch,
                                             const nlohmann::json* schema);

// Reads the patch body as JSON; BadRequest with a clear message (and byte offset) when it is
// not valid JSON. (Patch bodies of apply requests may be YAML; that is handled elsewhere.)
// Also BadRequest when the body is nested deeper than kMaxPatchDepth.
Result<nlohmann::json> parse_patch_body(std::string_view body);

}  // namespace cairn::apiserver
