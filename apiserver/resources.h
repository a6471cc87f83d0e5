// Resources served by the embedded API server: what each (group, version, resource) is, and the
// registry of them (the built-in kinds plus the custom resources of established CRDs).
//
// A ResourceInfo is everything the request handler, discovery, OpenAPI, Table output, the patch
// and apply code and the controllers need to know about one served resource in one version.
// The Registry holds them; it is safe to use from any thread (lookups return shared_ptr
// snapshots, so a CRD update never invalidates an info a request is using).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/status.h"
#include "apiserver/store.h"

namespace cairn::apiserver {

// One column of Table output: a CRD's additionalPrinterColumns entry or a built-in column.
struct PrinterColumn {
  std::string name;
  std::string type;  // integer | number | string | boolean | date
  std::string format;
  std::string description;
  int priority = 0;
  std::string json_path;  // kubectl JSONPath without braces, e.g. .status.replicas
};

// A CRD's scale subresource.
struct ScaleSubresource {
  std::string spec_replicas_path;    // e.g. .spec.replicas
  std::string status_replicas_path;  // e.g. .status.replicas
  std::string label_selector_path;   // optional
};

struct ResourceInfo {
  std::string group;     // "" for the core group
  std::string version;   // the version this entry serves
  std::string resource;  // plural, lower case: "configmaps"
  std::string singular;  // "configmap"
  std::string kind;      // "ConfigMap"
  std::string list_kind; // "ConfigMapList"
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool namespaced = true;
  // Discovery verbs of the main resource, e.g. create delete deletecollection get list patch
  // update watch.
  std::vector<std::string> verbs;
  // Subresources served besides the main resource: "status", "scale", "finalize" (namespaces).
  bool has_status = false;
  std::optional<ScaleSubresource> scale;
  std::vector<std::string> extra_subresources;  // e.g. {"finalize"} for namespaces
  GenerationPolicy generation = GenerationPolicy::kNone;

  // Custom resources: served from a CRD (name `crd_name`), stored in `storage_version`.
  bool custom = false;
  std::string crd_name;
  std::string storage_version;  // version objects are stored as (built-ins: == version)
  bool deprecated = false;
  std::string deprecation_warning;

  // Field selector labels besides metadata.name / metadata.namespace.
  std::vector<std::string> field_labels;

  // Table columns. Empty for a CRD without additionalPrinterColumns (then Name + Age) and for
  // built-ins that use the default set.
  std::vector<PrinterColumn> columns;

  // The structural schema of the object (OpenAPI v3, a CRD's openAPIV3Schema with the
  // x-kubernetes-* extensions). For built-ins a partial schema describing at least the lists
  // that strategic merge patch and server-side apply must treat as maps or sets
  // (x-kubernetes-patch-merge-key, x-kubernetes-patch-strategy, x-kubernetes-list-type,
  // x-kubernetes-list-map-keys). Null when nothing is known.
  std::shared_ptr<const nlohmann::json> schema;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "configmaps" or "widgets.example.com": how kube names the resource in messages.
  std::string qualified_resource() const {
    return group.empty() ? resource : resource + "." + group;
  }
  // "ConfigMap" or "Widget.example.com": how kube names the kind in Invalid messages.
  std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
  ResourceRef ref() const { return {group, resource}; }
};

// A group as discovery lists it: versions in preference order (the first is preferred).
struct GroupInfo {
  std::string name;  // "" for the core group
  std::vector<std::string> versions;
};

// The schema of metadata shared by every kind (ObjectMeta): ownerReferences merge by uid,
// finalizers are a set, managedFields atomic, labels/annotations granular maps.
const nlohmann::json& object_meta_schema();

class Registry {
 public:
  Registry();  // starts with every built-in kind (resources_builtin.cpp)
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  std::shared_ptr<const ResourceInfo> find(std::string_view group, std::string_view version,
                                           std::string_view resource) const;
  std::shared_ptr<const ResourceInfo> find_kind(std::string_view group, std::string_view version,
                                                std::string_view kind) const;
  // Every served resource (all groups and versions), in discovery order.
  std::vector<std::shared_ptr<const ResourceInfo>> all() const;
  // Groups in discovery order: the core group first, then built-in groups, then CRD groups.
  std::vector<GroupInfo> groups() const;
  // The entries of one group version, or empty when it is not served.
  std::vector<std::shared_ptr<const ResourceInfo>> group_version(std::string_view group,
                                                                 std::string_view version) const;

  // Installs or replaces the resources served for CRD `crd_name` (one entry per served version,
  // in preference order). Conflict when the plural, kind, or a short name of the same group is
  // already served by a different CRD or a built-in; the old entries are kept then.
  Result<void> set_crd(const std::string& crd_name, std::vector<ResourceInfo> versions);
  void remove_crd(const std::string& crd_name);

  // Increases on every change; caches of discovery and OpenAPI documents key on it.
  std::uint64_t generation() const;

 private:
  struct State;
  mutable std::mutex mu_;
  std::shared_ptr<const State> state_;
};

}  // namespace cairn::apiserver
