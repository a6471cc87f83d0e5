#include "kube/objects.h"

#include <utility>

#include "kube/detail/text.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

std::string string_at(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

const json& metadata_of(const json& object) {
  static const json empty = json::object();
  if (!object.is_object()) return empty;
  auto it = object.find("metadata");
  return it != object.end() && it->is_object() ? *it : empty;
}

// The status.conditions array, or nullptr when there is none.
const json* conditions_of(const json& object) {
  if (!object.is_object()) return nullptr;
  auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return nullptr;
  auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  return &*conditions;
}

int severity_rank(std::string_view severity) {
  if (severity == "Error") return 3;
  if (severity == "Warning") return 2;
  if (severity == "Info") return 1;
  return 0;
}

Condition parse_condition(const json& c) {
  Condition out;
  out.type = string_at(c, "type");
  out.status = string_at(c, "status");
  out.reason = string_at(c, "reason");
  out.message = string_at(c, "message");
  out.severity = string_at(c, "severity");
  auto gen = c.find("observedGeneration");
  if (gen != c.end() && gen->is_number_integer())
    out.observed_generation = gen->get<std::int64_t>();
  const std::string ltt = string_at(c, "lastTransitionTime");
  if (!ltt.empty()) out.last_transition_time = detail::parse_rfc3339(ltt);
  return out;
}

Error object_error(ErrorKind kind, std::string reason, std::string message) {
  Error e = make_error(kind, std::move(message));
  e.reason = std::move(reason);
  return e;
}

std::string group_of(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

std::string describe(const json& object) {
  const json& meta = metadata_of(object);
  const std::string ns = string_at(meta, "namespace");
  return string_at(object, "kind") + " " + (ns.empty() ? "" : ns + "/") + string_at(meta, "name");
}

// Checks what both reference setters require and returns the plain reference to `owner`.
Result<json> owner_reference(const json& owner, const json& child) {
  const json& om = metadata_of(owner);
  const json& cm = metadata_of(child);
  if (string_at(owner, "apiVersion").empty() || string_at(owner, "kind").empty() ||
      string_at(om, "name").empty() || string_at(om, "uid").empty()) {
    return tl::make_unexpected(
        make_error(ErrorKind::kDecode, "owner needs apiVersion, kind, metadata.name and uid"));
  }
  if (string_at(child, "apiVersion").empty() || string_at(child, "kind").empty() ||
      string_at(cm, "name").empty()) {
    return tl::make_unexpected(
        make_error(ErrorKind::kDecode, "owned object needs apiVersion, kind and metadata.name"));
  }
  const std::string owner_ns = string_at(om, "namespace");
  const std::string child_ns = string_at(cm, "namespace");
  if (!owner_ns.empty() && owner_ns != child_ns) {
    return tl::make_unexpected(
        object_error(ErrorKind::kConfig, "CrossNamespaceOwner",
                     child_ns.empty() ? "cluster-scoped " + describe(child) +
                                            " cannot be owned by namespaced " + describe(owner)
                                      : describe(owner) + " cannot own " + describe(child) +
                                            ": cross-namespace owner references are not allowed"));
  }
  return json{{"apiVersion", owner["apiVersion"]},
              {"kind", owner["kind"]},
              {"name", om["name"]},
              {"uid", om["uid"]}};
}

// Same owner as controller-runtime compares it: API group (not version), kind and name.
bool same_owner(const json& ref, const json& wanted) {
  return group_of(string_at(ref, "apiVersion")) == group_of(string_at(wanted, "apiVersion")) &&
         string_at(ref, "kind") == string_at(wanted, "kind") &&
         string_at(ref, "name") == string_at(wanted, "name");
}

bool is_controller_ref(const json& ref) {
  auto it = ref.find("controller");
  return it != ref.end() && it->is_boolean() && it->get<bool>();
}

json& owner_references(json& child) {
  json& refs = child["metadata"]["ownerReferences"];
  if (!refs.is_array()) refs = json::array();
  return refs;
}

}  // namespace

bool set_condition(json& object, const Condition& condition,
                   std::chrono::system_clock::time_point now) {
  if (object.is_null()) object = json::object();
  if (!object.is_object()) return false;
  json& status = object["status"];
  if (!status.is_object()) status = json::object();
  json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();

  json next{{"type", condition.type},
            {"status", condition.status},
            {"reason", condition.reason},
            {"message", condition.message}};
  if (condition.observed_generation != 0) {
    next["observedGeneration"] = condition.observed_generation;
  }
  if (!condition.severity.empty()) next["severity"] = condition.severity;

  for (json& existing : conditions) {
    if (string_at(existing, "type") != condition.type) continue;
    const std::string previous_time = string_at(existing, "lastTransitionTime");
    const bool keep_time =
        string_at(existing, "status") == condition.status && !previous_time.empty();
    next["lastTransitionTime"] = keep_time ? previous_time : detail::format_rfc3339(now, 0);
    if (existing == next) return false;
    existing = std::move(next);
    return true;
  }
  next["lastTransitionTime"] = detail::format_rfc3339(now, 0);
  conditions.push_back(std::move(next));
  return true;
}

std::optional<Condition> get_condition(const json& object, std::string_view type) {
  const json* conditions = conditions_of(object);
  if (conditions == nullptr) return std::nullopt;
  for (const json& c : *conditions) {
    if (string_at(c, "type") == type) return parse_condition(c);
  }
  return std::nullopt;
}

bool is_condition_true(const json& object, std::string_view type) {
  auto c = get_condition(object, type);
  return c && c->status == kConditionTrue;
}

bool remove_condition(json& object, std::string_view type) {
  if (conditions_of(object) == nullptr) return false;
  json& conditions = object["status"]["conditions"];
  for (auto it = conditions.begin(); it != conditions.end(); ++it) {
    if (string_at(*it, "type") == type) {
      conditions.erase(it);
      return true;
    }
  }
  return false;
}

bool set_summary_condition(json& object, std::string_view summary_type,
                           const std::vector<std::string>& types,
                           std::chrono::system_clock::time_point now) {
  std::optional<Condition> worst_false;
  std::optional<Condition> first_unknown;
  for (const std::string& type : types) {
    auto c = get_condition(object, type);
    if (!c) {
      if (!first_unknown) {
        Condition missing;
        missing.reason = kReasonConditionMissing;
        missing.message = type + " is not reported";
        first_unknown = std::move(missing);
      }
    } else if (c->status == kConditionFalse) {
      if (!worst_false || severity_rank(c->severity) > severity_rank(worst_false->severity)) {
        worst_false = std::move(c);
      }
    } else if (c->status != kConditionTrue && !first_unknown) {
      first_unknown = std::move(c);
    }
  }

  Condition summary;
  if (worst_false) {
    summary = std::move(*worst_false);
    summary.status = kConditionFalse;
  } else if (first_unknown) {
    summary = std::move(*first_unknown);
    summary.status = kConditionUnknown;
    summary.severity.clear();
  } else {
    summary.status = kConditionTrue;
    summary.reason = kReasonAllTrue;
  }
  summary.type = summary_type;
  auto generation = metadata_of(object).find("generation");
  summary.observed_generation =
      generation != metadata_of(object).end() && generation->is_number_integer()
          ? generation->get<std::int64_t>()
          : 0;
  return set_condition(object, summary, now);
}

bool has_finalizer(const json& object, std::string_view finalizer) {
  auto it = metadata_of(object).find("finalizers");
  if (it == metadata_of(object).end() || !it->is_array()) return false;
  for (const json& f : *it) {
    if (f.is_string() && f.get_ref<const std::string&>() == finalizer) return true;
  }
  return false;
}

bool add_finalizer(json& object, std::string_view finalizer) {
  if (!object.is_object() || has_finalizer(object, finalizer)) return false;
  json& finalizers = object["metadata"]["finalizers"];
  if (!finalizers.is_array()) finalizers = json::array();
  finalizers.push_back(std::string(finalizer));
  return true;
}

bool remove_finalizer(json& object, std::string_view finalizer) {
  if (!has_finalizer(object, finalizer)) return false;
  json& finalizers = object["metadata"]["finalizers"];
  json kept = json::array();
  for (json& f : finalizers) {
    if (!(f.is_string() && f.get_ref<const std::string&>() == finalizer)) {
      kept.push_back(std::move(f));
    }
  }
  finalizers = std::move(kept);
  return true;
}

bool is_being_deleted(const json& object) {
  return !string_at(metadata_of(object), "deletionTimestamp").empty();
}

Result<bool> set_controller_reference(const json& owner, json& child) {
  auto ref = owner_reference(owner, child);
  if (!ref) return tl::make_unexpected(ref.error());
  (*ref)["controller"] = true;
  (*ref)["blockOwnerDeletion"] = true;
  if (auto existing = controller_of(child); existing && !same_owner(*existing, *ref)) {
    return tl::make_unexpected(object_error(ErrorKind::kConfig, "AlreadyOwned",
                                            describe(child) + " is already owned by another " +
                                                string_at(*existing, "kind") + " controller " +
                                                string_at(*existing, "name")));
  }
  json& refs = owner_references(child);
  for (json& r : refs) {
    if (!same_owner(r, *ref)) continue;
    if (r == *ref) return false;
    r = std::move(*ref);
    return true;
  }
  refs.push_back(std::move(*ref));
  return true;
}

Result<bool> set_owner_reference(const json& owner, json& child) {
  auto ref = owner_reference(owner, child);
  if (!ref) return tl::make_unexpected(ref.error());
  json& refs = owner_references(child);
  for (json& r : refs) {
    if (!same_owner(r, *ref)) continue;
    for (const char* flag : {"controller", "blockOwnerDeletion"}) {
      if (r.contains(flag)) (*ref)[flag] = r[flag];
    }
    if (r == *ref) return false;
    r = std::move(*ref);
    return true;
  }
  refs.push_back(std::move(*ref));
  return true;
}

std::optional<json> controller_of(const json& child) {
  auto it = metadata_of(child).find("ownerReferences");
  if (it == metadata_of(child).end() || !it->is_array()) return std::nullopt;
  for (const json& ref : *it) {
    if (ref.is_object() && is_controller_ref(ref)) return ref;
  }
  return std::nullopt;
}

bool is_controlled_by(const json& child, const json& owner) {
  const std::string uid = string_at(metadata_of(owner), "uid");
  auto controller = controller_of(child);
  return controller && !uid.empty() && string_at(*controller, "uid") == uid;
}

Result<json> apply_owned(Client& client, json object, std::string field_manager) {
  if (!object.is_object()) {
    return tl::make_unexpected(make_error(ErrorKind::kDecode, "object to apply is not an object"));
  }
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    for (const char* field :
         {"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
          "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      meta->erase(field);
    }
  }
  object.erase("status");
  PatchOptions options;
  options.field_manager = std::move(field_manager);
  options.force = true;
  return client.apply(object, options);
}

Result<json> patch_status_apply(Client& client, const json& object, std::string field_manager) {
  auto gvk = GroupVersionKind::of(object);
  if (!gvk) return tl::make_unexpected(gvk.error());
  const json& meta = metadata_of(object);
  const std::string name = string_at(meta, "name");
  const std::string ns = string_at(meta, "namespace");
  json body{{"apiVersion", object["apiVersion"]},
            {"kind", object["kind"]},
            {"metadata", {{"name", name}}},
            {"status", object.contains("status") ? object["status"] : json::object()}};
  if (!ns.empty()) body["metadata"]["namespace"] = ns;
  PatchOptions options;
  options.field_manager = std::move(field_manager);
  options.force = true;
  return client.patch_status(*gvk, ns, name, PatchType::kApply, body, options);
}

}  // namespace cairn::kube
