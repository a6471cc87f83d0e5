// Permissive CustomResourceDefinitions (apiextensions.k8s.io/v1) for the Cluster API kinds that
// cluster stacks render, so that `cairn up` can apply ClusterClass charts to its embedded API
// server without any Cluster API provider installed.
//
// "Permissive": each version's schema is an object whose `spec` and `status` keep every field
// (x-kubernetes-preserve-unknown-fields), so whatever a chart renders is stored as written;
// nothing is validated, defaulted or pruned below spec and status. Every CRD is Namespaced, has
// the status subresource, category `cluster-api`, the kind's real plural, singular
// (lower-case kind) and listKind (kind + "List"), and the short names Cluster API uses where
// cairn users are likely to type them (cl, cc, md, kcp).
//
// Versions: kinds served in two versions (cluster.x-k8s.io v1beta1 + v1beta2; the OpenStack
// kinds v1alpha7 + v1beta1) use conversion strategy None, which cairn's API server supports:
// an object is stored as written and only its apiVersion changes when it is read in the other
// version. The schemas of those versions differ in reality (v1beta2 Clusters name their class in
// spec.topology.classRef.name, v1beta1 ones in spec.topology.class), so a reader must expect
// either shape. Printer columns are per version and follow each version's real field paths.
//
// Pure functions over a static table; the table is immutable after its first use and every
// function is thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::controllers {

// One additionalPrinterColumn of a CRD version.
struct CapiPrinterColumn {
  std::string_view name;
  std::string_view type;  // "string", "integer", "date", ...
  std::string_view json_path;
  std::string_view description;
};

// One version a CRD serves.
struct CapiVersion {
  std::string_view name;  // "v1beta1"
  bool storage = false;   // exactly one version of a kind is the storage version
  std::vector<CapiPrinterColumn> columns;
};

// One Cluster API kind and how its CRD serves it.
struct CapiKind {
  std::string_view group;             // "cluster.x-k8s.io"
  std::string_view kind;              // "ClusterClass"
  std::string_view plural;            // "clusterclasses"
  std::vector<CapiVersion> versions;  // all served
  std::vector<std::string_view> short_names;
  bool namespaced = true;

  std::string singular() const;   // lower-case kind: "clusterclass"
  std::string list_kind() const;  // "ClusterClassList"
  std::string crd_name() const;   // "<plural>.<group>"
  std::string_view storage_version() const;
};

// The category every CRD here is listed under (`kubectl get cluster-api`).
inline constexpr std::string_view kCapiCategory = "cluster-api";

// Every kind, grouped by API group: cluster.x-k8s.io, controlplane, bootstrap, addons,
// infrastructure (Docker, OpenStack, Hetzner, Metal3), openstack.k-orc.cloud.
const std::vector<CapiKind>& capi_kinds();

// The CRD of one kind, as `kubectl apply` would send it: no status, no server-set metadata,
// label app.kubernetes.io/managed-by=cairn.
nlohmann::json capi_crd(const CapiKind& kind);

// One CRD per entry of capi_kinds(), in the same order.
std::vector<nlohmann::json> capi_crds();

}  // namespace cairn::controllers
