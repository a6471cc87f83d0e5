#include "apiserver/controller_lifecycle.h"

#include <algorithm>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "apiserver/detail/go_text.h"
#include "apiserver/validation.h"
#include "apiserver/validation_internal.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace {

// Conflicts re-run a delete from the start; this bounds a pathological writer race.
constexpr int kMaxAttempts = 16;

const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

std::string meta_string(const json& obj, const char* key) {
  const json& v = member(member(obj, "metadata"), key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::vector<std::string> finalizers_of(const json& obj) {
  std::vector<std::string> out;
  for (const json& f : member(member(obj, "metadata"), "finalizers")) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

bool is_namespace(const ObjectKey& key) {
  return key.group.empty() && key.resource == "namespaces";
}

bool deleting(const json& obj) {
  return member(member(obj, "metadata"), "deletionTimestamp").is_string();
}

// kube's BeforeDelete precondition check (Conflict named by the Kind).
Result<void> check_preconditions(const ResourceInfo& info, const json& obj,
                                 const DeletePreconditions& pre) {
  const std::string name = meta_string(obj, "name");
  auto conflict = [&](const std::string& detail) {
    StatusDetails d;
    d.name = name;
    d.group = info.group;
    d.kind = info.kind;
    return tl::unexpected(Status{StatusCode::kConflict,
                                 "Operation cannot be fulfilled on " + info.qualified_kind() +
                                     " \"" + name + "\": " + detail,
                                 std::move(d)});
  };
  const std::string uid = meta_string(obj, "uid");
  if (pre.uid && *pre.uid != uid) {
    return conflict("the UID in the precondition (" + *pre.uid +
                    ") does not match the UID in record (" + uid +
                    "). The object might have been deleted and then recreated");
  }
  const std::string rv = meta_string(obj, "resourceVersion");
  if (pre.resource_version && *pre.resource_version != rv) {
    return conflict("the ResourceVersion in the precondition (" + *pre.resource_version +
                    ") does not match the ResourceVersion in record (" + rv +
                    "). The object might have been modified");
  }
  return {};
}

enum class Policy { kDefault, kBackground, kForeground, kOrphan };

// The kind's default when no policy is given: Jobs of batch/v1 orphan, everything else deletes
// dependents.
bool orphans_by_default(const ResourceInfo& info) {
  return !info.custom && info.group == "batch" && info.version == "v1" && info.resource == "jobs";
}

// deletionFinalizersForGarbageCollection: the finalizers the object should have after the
// DELETE (an explicit policy wins over the finalizers present, which win over the default).
std::vector<std::string> gc_finalizers(const ResourceInfo& info, const json& obj, Policy policy) {
  const std::vector<std::string> current = finalizers_of(obj);
  bool orphan = false;
  bool foreground = false;
  switch (policy) {
    case Policy::kOrphan: orphan = true; break;
    case Policy::kForeground: foreground = true; break;
    case Policy::kBackground: break;
    case Policy::kDefault: {
      bool decided = false;
      for (const std::string& f : current) {
        if (f == kFinalizerOrphan || f == kFinalizerForeground) {
          orphan = f == kFinalizerOrphan;
          foreground = f == kFinalizerForeground;
          decided = true;
          break;
        }
      }
      if (!decided) orphan = orphans_by_default(info);
      break;
    }
  }
  std::vector<std::string> out;
  for (const std::string& f : current) {
    if (f != kFinalizerOrphan && f != kFinalizerForeground) out.push_back(f);
  }
  if (orphan) out.push_back(kFinalizerOrphan);
  if (foreground) out.push_back(kFinalizerForeground);
  return out;
}

// Namespaces: shouldHaveOrphanFinalizer / shouldHaveDeleteDependentsFinalizer (no default).
std::vector<std::string> namespace_finalizers(const json& obj, Policy policy) {
  std::vector<std::string> current = finalizers_of(obj);
  if (policy == Policy::kDefault) return current;
  std::vector<std::string> out;
  for (const std::string& f : current) {
    if (f != kFinalizerOrphan && f != kFinalizerForeground) out.push_back(f);
  }
  if (policy == Policy::kOrphan) out.push_back(kFinalizerOrphan);
  if (policy == Policy::kForeground) out.push_back(kFinalizerForeground);
  return out;
}

void set_finalizers(json& obj, const std::vector<std::string>& finalizers) {
  json& md = obj["metadata"];
  if (finalizers.empty()) {
    md.erase("finalizers");
  } else {
    md["finalizers"] = finalizers;
  }
}

// markAsDeleting (generation: see the header).
void mark_as_deleting(json& obj, const std::string& now) {
  json& md = obj["metadata"];
  if (!md["deletionTimestamp"].is_string()) md["deletionTimestamp"] = now;
  md["deletionGracePeriodSeconds"] = 0;
}

// The namespace's first DELETE: Terminating.
void mark_namespace_terminating(json& obj, Policy policy, const std::string& now) {
  json& md = obj["metadata"];
  if (!md["deletionTimestamp"].is_string()) md["deletionTimestamp"] = now;
  if (!obj["status"].is_object()) obj["status"] = json::object();
  obj["status"]["phase"] = "Terminating";
  const std::vector<std::string> f = namespace_finalizers(obj, policy);
  if (f != finalizers_of(obj)) set_finalizers(obj, f);
}

bool spec_finalizers_empty(const json& obj) {
  const json& f = member(member(obj, "spec"), "finalizers");
  return !f.is_array() || f.empty();
}

// What a DELETE does to the current object: update it (and keep it) or remove it.
struct Plan {
  bool remove = false;
  json updated;  // when !remove
};

Plan plan_delete(const ResourceInfo& info, const ObjectKey& key, const json& cur, Policy policy,
                 const std::string& now) {
  Plan plan;
  if (is_namespace(key)) {
    if (!deleting(cur)) {
      plan.updated = cur;
      mark_namespace_terminating(plan.updated, policy, now);
      return plan;
    }
    if (!spec_finalizers_empty(cur)) {
      plan.updated = cur;
      return plan;
    }
  }
  const std::vector<std::string> current = finalizers_of(cur);
  const std::vector<std::string> next = gc_finalizers(info, cur, policy);
  if (next.empty()) {
    plan.remove = true;
    return plan;
  }
  plan.updated = cur;
  if (next != current) set_finalizers(plan.updated, next);
  mark_as_deleting(plan.updated, now);
  return plan;
}

Result<Policy> parse_policy(const std::string& p) {
  if (p.empty()) return Policy::kDefault;
  if (p == "Background") return Policy::kBackground;
  if (p == "Foreground") return Policy::kForeground;
  if (p == "Orphan") return Policy::kOrphan;
  StatusDetails d;
  d.group = "meta.k8s.io";
  d.kind = "DeleteOptions";
  StatusCause cause = detail::not_supported("propagationPolicy", go::quote(p),
                                            {"Foreground", "Background", "Orphan", "nil"});
  std::string message = "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: " +
                        cause.message;
  d.causes.push_back(std::move(cause));
  return tl::unexpected(Status{StatusCode::kInvalid, std::move(message), std::move(d)});
}

}  // namespace

Result<DeleteOutcome> delete_object(Store& store, const ResourceInfo& info, const ObjectKey& key,
                                    const DeleteRequest& request) {
  auto policy = parse_policy(request.propagation_policy);
  if (!policy) return tl::unexpected(policy.error());
  const WriteOptions wo{info.generation};
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto cur = store.get(key);
    if (!cur) return tl::unexpected(cur.error());
    if (auto ok = check_preconditions(info, *cur, request.preconditions); !ok) {
      return tl::unexpected(ok.error());
    }
    const std::string now = rfc3339_now();
    Plan plan = plan_delete(info, key, *cur, *policy, now);
    if (request.dry_run) {
      return DeleteOutcome{plan.remove, plan.remove ? *cur : plan.updated};
    }
    if (!plan.remove) {
      // Re-plan on the object current at write time; a plan that turns into a removal there
      // (a finalizer went away meanwhile) restarts the loop.
      bool now_remove = false;
      auto written = store.update_with(
          key,
          [&](const json& latest) -> Result<json> {
            if (auto ok = check_preconditions(info, latest, request.preconditions); !ok) {
              return tl::unexpected(ok.error());
            }
            Plan p = plan_delete(info, key, latest, *policy, now);
            if (p.remove) {
              now_remove = true;
              return tl::unexpected(Status{StatusCode::kConflict, "re-plan"});
            }
            return std::move(p.updated);
          },
          wo);
      if (!written) {
        if (now_remove) continue;
        return tl::unexpected(written.error());
      }
      return DeleteOutcome{false, std::move(*written)};
    }
    DeletePreconditions pre = request.preconditions;
    pre.uid = meta_string(*cur, "uid");
    pre.resource_version = meta_string(*cur, "resourceVersion");
    auto removed = store.remove(key, pre);
    if (!removed) {
      // The object changed between the read and the removal: decide again.
      if (removed.error().code == StatusCode::kConflict) continue;
      return tl::unexpected(removed.error());
    }
    return DeleteOutcome{true, std::move(*removed)};
  }
  return tl::unexpected(Status{StatusCode::kConflict,
                               "Operation cannot be fulfilled on " + info.qualified_resource() +
                                   " \"" + key.name +
                                   "\": the object has been modified; please apply your changes "
                                   "to the latest version and try again"});
}

Result<std::optional<json>> finish_deletion_if_ready(Store& store, const ObjectKey& key,
                                                     const json& written) {
  json latest_state;  // after a conflict: the object read again
  const json* cur = &written;
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (!deleting(*cur) || !finalizers_of(*cur).empty()) return std::optional<json>();
    if (is_namespace(key) && !spec_finalizers_empty(*cur)) return std::optional<json>();
    DeletePreconditions pre;
    pre.uid = meta_string(*cur, "uid");
    pre.resource_version = meta_string(*cur, "resourceVersion");
    auto removed = store.remove(key, pre);
    if (removed) return std::optional<json>(std::move(*removed));
    if (removed.error().code == StatusCode::kNotFound) return std::optional<json>();
    if (removed.error().code != StatusCode::kConflict) return tl::unexpected(removed.error());
    auto latest = store.get(key);
    if (!latest) {
      if (latest.error().code == StatusCode::kNotFound) return std::optional<json>();
      return tl::unexpected(latest.error());
    }
    // A different object of the same name is not ours to remove.
    if (meta_string(*latest, "uid") != pre.uid) return std::optional<json>();
    latest_state = std::move(*latest);
    cur = &latest_state;
  }
  return std::optional<json>();
}

}  // namespace cairn::apiserver
