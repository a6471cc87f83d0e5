// PATCH: JSON merge patch, JSON patch, strategic merge patch (built-ins only) and server-side
// apply, on the main resource and the status subresource. The read-modify-write runs inside
// Store::update_with, so a patch without a resourceVersion precondition always applies to the
// latest object and never conflicts; one that carries metadata.resourceVersion is checked.
#include "apiserver/fields.h"
#include "apiserver/handler_internal.h"
#include "apiserver/patch.h"
#include "apiserver/schema.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace {

std::string unsupported_patch_message(const ResourceInfo& res) {
  return std::string(
             "the body of the request was in an unknown format - accepted media types include: "
             "application/json-patch+json, application/merge-patch+json, ") +
         (res.custom ? "" : "application/strategic-merge-patch+json, ") +
         "application/apply-patch+yaml";
}

Status patch_options_invalid(const std::string& field, const std::string& reason,
                             const std::string& detail) {
  return Status{StatusCode::kInvalid,
                "PatchOptions.meta.k8s.io \"\" is invalid: " + field + ": " + detail,
                StatusDetails{"", "meta.k8s.io", "PatchOptions", "", {{reason, detail, field}}, 0}};
}

Result<json> apply_patch(BodyFormat format, const json& current, const json& patch,
                         const ResourceInfo& res) {
  switch (format) {
    case BodyFormat::kMergePatch:
      return merge_patch(current, patch);
    case BodyFormat::kJsonPatch:
      return json_patch(current, patch);
    case BodyFormat::kStrategicMergePatch:
      return strategic_merge_patch(current, patch, res.schema ? res.schema.get() : nullptr);
    default:
      return error(StatusCode::kUnsupportedMediaType, unsupported_patch_message(res));
  }
}

std::string name_in(const json& object) {
  if (!object.is_object()) return "";
  return object.value("/metadata/name"_json_pointer, json("")).is_string()
             ? object.value("/metadata/name"_json_pointer, "")
             : "";
}

Status name_mismatch(const std::string& body_name, const std::string& url_name) {
  return Status{StatusCode::kBadRequest,
                "the name of the object (" + body_name + ") does not match the name on the URL (" +
                    url_name + ")",
                std::nullopt};
}

}  // namespace

HttpResponse ApiHandler::Impl::patch(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  BodyFormat format = body_format(ctx.http.header("content-type"));
  bool is_apply = format == BodyFormat::kApplyPatch;
  bool supported = is_apply || format == BodyFormat::kMergePatch ||
                   format == BodyFormat::kJsonPatch ||
                   (format == BodyFormat::kStrategicMergePatch && !res.custom);
  if (!supported) {
    return status_response(
        Status{StatusCode::kUnsupportedMediaType, unsupported_patch_message(res), std::nullopt},
        ctx.warnings);
  }
  auto dry = dry_run(ctx);
  if (!dry) return status_response(dry.error(), ctx.warnings);
  auto mode = field_validation(ctx);
  if (!mode) return status_response(mode.error(), ctx.warnings);
  auto force = ctx.query.get_bool("force", false);
  if (!force) return status_response(force.error(), ctx.warnings);
  std::string manager_param = ctx.query.get("fieldManager").value_or("");
  if (is_apply && manager_param.empty()) {
    return status_response(patch_options_invalid("fieldManager", "FieldValueRequired",
                                                 "Required value: is required for apply patch"),
                           ctx.warnings);
  }
  if (!is_apply && *force) {
    return status_response(patch_options_invalid("force", "FieldValueForbidden",
                                                 "Forbidden: may not be specified for non-apply "
                                                 "patch"),
                           ctx.warnings);
  }
  auto body = is_apply ? decode_json_or_yaml_body(ctx.http.body) : decode_json_body(ctx.http.body);
  if (!body) return status_response(body.error(), ctx.warnings);
  if (is_apply) return apply(ctx, std::move(body->value), body->duplicate_fields, *force);

  json patch_doc = std::move(body->value);
  std::vector<std::string> duplicates = body->duplicate_fields;
  bool sent_managed = patch_doc.is_object() && patch_doc.contains("metadata") &&
                      patch_doc["metadata"].is_object() &&
                      patch_doc["metadata"].contains("managedFields");
  std::string manager = field_manager(ctx, "unknown");
  auto written = write_update(ctx, [&](const json& current) -> Result<json> {
    json old = served_form(res, current);
    auto patched = apply_patch(format, old, patch_doc, res);
    if (!patched) return tl::unexpected(patched.error());
    if (!patched->is_object()) {
      return error(StatusCode::kBadRequest, res.kind + " in version \"" + res.version +
                                                "\" cannot be handled as a " + res.kind +
                                                ": the patched object must be a JSON object");
    }
    std::string name = name_in(*patched);
    if (name != ctx.info.name) return tl::unexpected(name_mismatch(name, ctx.info.name));
    if (auto ok = check_type_and_namespace(ctx, *patched); !ok) return tl::unexpected(ok.error());
    std::vector<std::string> pruned = prune_and_default(res, *patched);
    if (auto ok = check_fields(ctx, pruned, duplicates); !ok) return tl::unexpected(ok.error());
    return prepare_update(ctx, std::move(*patched), current, sent_managed, manager);
  });
  if (!written) return status_response(written.error(), ctx.warnings);
  return object_response(ctx, 200, std::move(*written));
}

HttpResponse ApiHandler::Impl::apply(RequestContext& ctx, json applied,
                                     const std::vector<std::string>& duplicates, bool force) {
  const ResourceInfo& res = *ctx.resource;
  if (!applied.is_object()) {
    return status_response(
        Status{StatusCode::kBadRequest,
               res.kind + " in version \"" + res.version + "\" cannot be handled as a " + res.kind +
                   ": the applied configuration must be an object",
               std::nullopt},
        ctx.warnings);
  }
  std::string name = name_in(applied);
  if (name != ctx.info.name)
    return status_response(name_mismatch(name, ctx.info.name), ctx.warnings);
  if (auto ok = check_type_and_namespace(ctx, applied); !ok) {
    return status_response(ok.error(), ctx.warnings);
  }
  std::vector<std::string> pruned;
  if (res.custom && res.schema) pruned = prune_unknown_fields(*res.schema, applied);
  if (auto ok = check_fields(ctx, pruned, duplicates); !ok) {
    return status_response(ok.error(), ctx.warnings);
  }
  std::string sub = ctx.info.subresource == "status" ? "status" : "";
  ApplyOptions opts{
      ManagedFieldsContext{ctx.query.get("fieldManager").value_or(""), sub, res.api_version(),
                           rfc3339_now(), res.schema ? res.schema.get() : nullptr},
      force};
  ObjectKey key = object_key(ctx);
  auto current = store.get(key);
  if (!current && current.error().code != StatusCode::kNotFound) {
    return status_response(with_details(current.error(), res, key.name), ctx.warnings);
  }
  if (!current && sub.empty()) {
    auto result = server_side_apply(nullptr, applied, opts);
    if (!result) return status_response(with_details(result.error(), res, key.name), ctx.warnings);
    auto created = create_object(*this, ctx, std::move(*result), {}, true);
    if (created) return object_response(ctx, 201, std::move(*created));
    if (created.error().code != StatusCode::kAlreadyExists) {
      return status_response(created.error(), ctx.warnings);
    }
  }
  auto written = write_update(ctx, [&](const json& cur) -> Result<json> {
    json old = served_form(res, cur);
    auto merged = server_side_apply(&old, applied, opts);
    if (!merged) return tl::unexpected(merged.error());
    prune_and_default(res, *merged);
    return prepare_update(ctx, std::move(*merged), cur, false, "");
  });
  if (!written) return status_response(written.error(), ctx.warnings);
  return object_response(ctx, 200, std::move(*written));
}

}  // namespace cairn::apiserver
