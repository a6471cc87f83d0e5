// The table of Cluster API kinds and the permissive CRDs built from it; see capi_crds.h.
#include "controllers/capi_crds.h"

#include <algorithm>
#include <cctype>

namespace cairn::controllers {
namespace {

using nlohmann::json;

constexpr std::string_view kClusterGroup = "cluster.x-k8s.io";
constexpr std::string_view kControlPlaneGroup = "controlplane.cluster.x-k8s.io";
constexpr std::string_view kBootstrapGroup = "bootstrap.cluster.x-k8s.io";
constexpr std::string_view kAddonsGroup = "addons.cluster.x-k8s.io";
constexpr std::string_view kInfrastructureGroup = "infrastructure.cluster.x-k8s.io";
constexpr std::string_view kOrcGroup = "openstack.k-orc.cloud";

// Versions of the kinds served in one version only.
std::vector<CapiVersion> only(std::string_view version) {
  return {CapiVersion{.name = version, .storage = true, .columns = {}}};
}

// cluster.x-k8s.io kinds: v1beta1 is what cluster stacks render and what is stored; v1beta2
// (Cluster API 1.11+) is served as well so that newer manifests apply.
std::vector<CapiVersion> core_versions(std::vector<CapiPrinterColumn> v1beta1_columns = {},
                                       std::vector<CapiPrinterColumn> v1beta2_columns = {}) {
  return {CapiVersion{.name = "v1beta1", .storage = true, .columns = std::move(v1beta1_columns)},
          CapiVersion{.name = "v1beta2", .storage = false, .columns = std::move(v1beta2_columns)}};
}

// The OpenStack provider kinds: older cluster stacks render v1alpha7, newer ones v1beta1
// (CAPO's storage version, so ours too).
std::vector<CapiVersion> openstack_versions() {
  return {CapiVersion{.name = "v1beta1", .storage = true, .columns = {}},
          CapiVersion{.name = "v1alpha7", .storage = false, .columns = {}}};
}

// Cluster's columns as Cluster API prints them; only the class path differs between versions.
std::vector<CapiPrinterColumn> cluster_columns(std::string_view class_path) {
  return {
      CapiPrinterColumn{.name = "ClusterClass",
                        .type = "string",
                        .json_path = class_path,
                        .description = "ClusterClass of this Cluster"},
      CapiPrinterColumn{.name = "Phase",
                        .type = "string",
                        .json_path = ".status.phase",
                        .description = "Cluster status such as Pending, Provisioning, "
                                       "Provisioned, Deleting or Failed"},
      CapiPrinterColumn{.name = "Age",
                        .type = "date",
                        .json_path = ".metadata.creationTimestamp",
                        .description = "Time since the Cluster was created"},
      CapiPrinterColumn{.name = "Version",
                        .type = "string",
                        .json_path = ".spec.topology.version",
                        .description = "Kubernetes version of the Cluster"},
  };
}

CapiKind make_kind(std::string_view group, std::string_view kind, std::string_view plural,
                   std::vector<CapiVersion> versions,
                   std::vector<std::string_view> short_names = {}) {
  CapiKind k;
  k.group = group;
  k.kind = kind;
  k.plural = plural;
  k.versions = std::move(versions);
  k.short_names = std::move(short_names);
  return k;
}

std::vector<CapiKind> build_kinds() {
  std::vector<CapiKind> kinds;
  kinds.push_back(make_kind(kClusterGroup, "Cluster", "clusters",
                            core_versions(cluster_columns(".spec.topology.class"),
                                          cluster_columns(".spec.topology.classRef.name")),
                            {"cl"}));
  kinds.push_back(
      make_kind(kClusterGroup, "ClusterClass", "clusterclasses", core_versions(), {"cc"}));
  kinds.push_back(
      make_kind(kClusterGroup, "MachineDeployment", "machinedeployments", core_versions(), {"md"}));

  kinds.push_back(make_kind(kControlPlaneGroup, "KubeadmControlPlane", "kubeadmcontrolplanes",
                            only("v1beta1"), {"kcp"}));
  kinds.push_back(make_kind(kControlPlaneGroup, "KubeadmControlPlaneTemplate",
                            "kubeadmcontrolplanetemplates", only("v1beta1")));
  kinds.push_back(make_kind(kBootstrapGroup, "KubeadmConfig", "kubeadmconfigs", only("v1beta1")));
  kinds.push_back(make_kind(kBootstrapGroup, "KubeadmConfigTemplate", "kubeadmconfigtemplates",
                            only("v1beta1")));
  kinds.push_back(
      make_kind(kAddonsGroup, "ClusterResourceSet", "clusterresourcesets", only("v1beta1")));

  kinds.push_back(
      make_kind(kInfrastructureGroup, "DockerCluster", "dockerclusters", only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "DockerClusterTemplate", "dockerclustertemplates",
                            only("v1beta1")));
  kinds.push_back(
      make_kind(kInfrastructureGroup, "DockerMachine", "dockermachines", only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "DockerMachineTemplate", "dockermachinetemplates",
                            only("v1beta1")));

  kinds.push_back(make_kind(kInfrastructureGroup, "OpenStackCluster", "openstackclusters",
                            openstack_versions()));
  kinds.push_back(make_kind(kInfrastructureGroup, "OpenStackClusterTemplate",
                            "openstackclustertemplates", openstack_versions()));
  kinds.push_back(make_kind(kInfrastructureGroup, "OpenStackMachine", "openstackmachines",
                            openstack_versions()));
  kinds.push_back(make_kind(kInfrastructureGroup, "OpenStackMachineTemplate",
                            "openstackmachinetemplates", openstack_versions()));

  kinds.push_back(
      make_kind(kInfrastructureGroup, "HetznerCluster", "hetznerclusters", only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "HetznerClusterTemplate",
                            "hetznerclustertemplates", only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "HCloudMachineTemplate", "hcloudmachinetemplates",
                            only("v1beta1")));

  kinds.push_back(
      make_kind(kInfrastructureGroup, "Metal3Cluster", "metal3clusters", only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "Metal3ClusterTemplate", "metal3clustertemplates",
                            only("v1beta1")));
  kinds.push_back(make_kind(kInfrastructureGroup, "Metal3MachineTemplate", "metal3machinetemplates",
                            only("v1beta1")));

  kinds.push_back(make_kind(kOrcGroup, "Image", "images", only("v1alpha1")));
  return kinds;
}

// A field that keeps whatever it is given.
json preserved_object(std::string_view description) {
  return json{{"description", description},
              {"type", "object"},
              {"x-kubernetes-preserve-unknown-fields", true}};
}

json version_schema(const CapiKind& kind) {
  const std::string description =
      std::string(kind.kind) + " of " + std::string(kind.group) +
      ", stored as written: cairn serves it for cluster stacks without validating it.";
  return json{{"description", description},
              {"type", "object"},
              {"properties",
               {{"apiVersion", {{"type", "string"}}},
                {"kind", {{"type", "string"}}},
                {"metadata", {{"type", "object"}}},
                {"spec", preserved_object("Desired state, as the provider defines it.")},
                {"status", preserved_object("Observed state, as the provider reports it.")}}}};
}

json version_entry(const CapiKind& kind, const CapiVersion& version) {
  json entry{{"name", version.name},
             {"served", true},
             {"storage", version.storage},
             {"schema", {{"openAPIV3Schema", version_schema(kind)}}},
             {"subresources", {{"status", json::object()}}}};
  if (!version.columns.empty()) {
    json columns = json::array();
    for (const CapiPrinterColumn& c : version.columns) {
      columns.push_back(json{{"name", c.name},
                             {"type", c.type},
                             {"jsonPath", c.json_path},
                             {"description", c.description}});
    }
    entry["additionalPrinterColumns"] = std::move(columns);
  }
  return entry;
}

}  // namespace

std::string CapiKind::singular() const {
  std::string out(kind);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string CapiKind::list_kind() const { return std::string(kind) + "List"; }

std::string CapiKind::crd_name() const { return std::string(plural) + "." + std::string(group); }

std::string_view CapiKind::storage_version() const {
  for (const CapiVersion& v : versions) {
    if (v.storage) return v.name;
  }
  return {};
}

const std::vector<CapiKind>& capi_kinds() {
  static const std::vector<CapiKind> kinds = build_kinds();
  return kinds;
}

json capi_crd(const CapiKind& kind) {
  json names{{"plural", kind.plural},
             {"singular", kind.singular()},
             {"kind", kind.kind},
             {"listKind", kind.list_kind()},
             {"categories", json::array({kCapiCategory})}};
  if (!kind.short_names.empty()) names["shortNames"] = kind.short_names;
  json versions = json::array();
  for (const CapiVersion& v : kind.versions) versions.push_back(version_entry(kind, v));
  return json{
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata",
       {{"name", kind.crd_name()}, {"labels", {{"app.kubernetes.io/managed-by", "cairn"}}}}},
      {"spec",
       {{"group", kind.group},
        {"names", std::move(names)},
        {"scope", kind.namespaced ? "Namespaced" : "Cluster"},
        {"versions", std::move(versions)},
        {"conversion", {{"strategy", "None"}}}}}};
}

std::vector<json> capi_crds() {
  std::vector<json> out;
  out.reserve(capi_kinds().size());
  for (const CapiKind& kind : capi_kinds()) out.push_back(capi_crd(kind));
  return out;
}

}  // namespace cairn::controllers
