// Custom resources and CRDs: version conversion between the served and the storage version,
// pruning and defaulting, and registering a CRD right after it is written.
#include "apiserver/crd.h"
#include "apiserver/handler_internal.h"
#include "apiserver/schema.h"

namespace cairn::apiserver {

using nlohmann::json;

json ApiHandler::Impl::to_storage(const ResourceInfo& info, json object) const {
  if (!info.custom || info.storage_version.empty() || info.storage_version == info.version) {
    return object;
  }
  convert_custom_resource(object, info.group + "/" + info.storage_version);
  return object;
}

json ApiHandler::Impl::to_served(const ResourceInfo& info, json object) const {
  return served_form(info, std::move(object));
}

json served_form(const ResourceInfo& info, json object) {
  if (!info.custom || !object.is_object()) return object;
  if (object.value("apiVersion", "") != info.api_version()) {
    convert_custom_resource(object, info.api_version());
  }
  if (info.schema) apply_schema_defaults(*info.schema, object);
  return object;
}

std::vector<std::string> ApiHandler::Impl::prune_and_default(const ResourceInfo& info,
                                                             json& object) {
  if (!info.custom || !info.schema) return {};
  std::vector<std::string> pruned = prune_unknown_fields(*info.schema, object);
  apply_schema_defaults(*info.schema, object);
  return pruned;
}

namespace {

// apiextensions' NamesAccepted=False reason for the name the registry reported in use
// (its message is `"<name>" is already in use`).
std::string conflict_reason(const json& crd, const std::string& message) {
  const json names = crd.value("/spec/names"_json_pointer, json::object());
  auto in_use = [&](const char* field) {
    auto it = names.find(field);
    return it != names.end() && it->is_string() &&
           message.find("\"" + it->get<std::string>() + "\"") != std::string::npos;
  };
  if (in_use("plural")) return "PluralConflict";
  if (in_use("singular")) return "SingularConflict";
  if (in_use("kind")) return "KindConflict";
  if (in_use("listKind")) return "ListKindConflict";
  return "ShortNamesConflict";
}

}  // namespace

Result<json> ApiHandler::Impl::after_crd_write(const json& crd) {
  std::string name = crd.value("/metadata/name"_json_pointer, "");
  if (crd.contains("/metadata/deletionTimestamp"_json_pointer)) return crd;
  auto set = registry.set_crd(name, crd_resources(crd));
  bool accepted = set.has_value();
  std::string reason = accepted ? "" : conflict_reason(crd, set.error().message);
  std::string message = accepted ? "" : set.error().message;
  json with_status = crd;
  set_crd_status(with_status, accepted, reason, message, rfc3339_now());
  if (with_status.value("status", json()) == crd.value("status", json())) return crd;
  json status = with_status["status"];
  auto written = store.update_with(
      ObjectKey{"apiextensions.k8s.io", "customresourcedefinitions", "", name},
      [status](const json& current) -> Result<json> {
        json next = current;
        next["status"] = status;
        return next;
      },
      WriteOptions{GenerationPolicy::kSpec});
  if (!written) return tl::unexpected(written.error());
  return *written;
}

}  // namespace cairn::apiserver
