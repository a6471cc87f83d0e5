// Release tags, ClusterClass names and chart asset names of cluster stacks (cso-reference.md §2).
//
//   stack identity   <provider>-<name>-<maj>-<min>                  docker-ferrol-1-27
//   release tag      <stack>-<version dash form> docker-ferrol-1-27-v0-sha-hipstsw
//                    = ClusterStackRelease name, OCI tag, cache directory
//   ClusterClass     <stack>-<version dot form> docker-ferrol-1-27-v0-sha.hipstsw chart assets
//   <stack>-cluster-class-<version dot form>.tgz    docker-ferrol-1-27-cluster-class-v3.tgz
//                    <stack>-cluster-addon-<addon version dot form>.tgz
//
// A tag has 5 dash-separated parts (stable) or 7 (channel and patch); a class name 5 or 6. Provider
// and name are lower-case letters and digits (no '-', which separates the parts; no upper case or
// '_', which object names cannot hold). Everything else is rejected with a reason: feeds contain
// other tags (e.g. `openstack-scs-v5`), and auto-subscribe must skip them, not guess.
//
// Chart assets are matched by exact file name. The Go operator looked for a substring, so the
// v1 chart lookup could pick `...-cluster-class-v10.tgz`.
//
// Plain values; thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "api/result.h"
#include "api/version.h"

namespace cairn::api {

// <provider>-<name>-<maj>-<min>: what a ClusterStack names and every release of it shares.
struct StackIdentity {
  std::string provider;
  std::string name;
  KubernetesVersion kubernetes;

  // Checks provider and name (lower-case letters and digits, non-empty).
  static Result<StackIdentity> make(std::string_view provider, std::string_view name,
                                    KubernetesVersion kubernetes);

  std::string str() const;  // "docker-ferrol-1-27"; also the Helm release name of the class chart

  friend bool operator==(const StackIdentity&, const StackIdentity&) = default;
};

// One release of a stack: an identity and a cluster stack version.
struct ReleaseTag {
  StackIdentity stack;
  Version version;

  // Parses a release tag / ClusterStackRelease name (dash form).
  static Result<ReleaseTag> parse(std::string_view tag);
  // Parses a ClusterClass name (dot form), e.g. Cluster.spec.topology.class.
  static Result<ReleaseTag> parse_cluster_class(std::string_view class_name);

  std::string tag() const;                  // dash form; the ClusterStackRelease name
  std::string cluster_class() const;        // dot form; the ClusterClass name
  std::string cluster_class_asset() const;  // "<stack>-cluster-class-<version dot>.tgz"
  // The addon chart of this release; its version comes from metadata.yaml components.clusterAddon.
  std::string cluster_addon_asset(const Version& addon_version) const;

  friend bool operator==(const ReleaseTag&, const ReleaseTag&) = default;
};

// The ClusterStackRelease name for a ClusterClass name (dot form to dash form, validated).
Result<std::string> release_name_for_class(std::string_view class_name);

enum class ChartKind { kClusterClass, kClusterAddon };

// A parsed chart asset file name.
struct ChartAsset {
  StackIdentity stack;
  ChartKind kind = ChartKind::kClusterClass;
  Version version;

  // Parses "<stack>-cluster-class-<ver>.tgz" / "<stack>-cluster-addon-<ver>.tgz" (dot form).
  static Result<ChartAsset> parse(std::string_view file_name);
  std::string file_name() const;

  friend bool operator==(const ChartAsset&, const ChartAsset&) = default;
};

// True iff file_name is exactly the asset name of that chart (never a prefix or substring match).
bool is_cluster_class_asset(std::string_view file_name, const ReleaseTag& release);
bool is_cluster_addon_asset(std::string_view file_name, const ReleaseTag& release,
                            const Version& addon_version);

}  // namespace cairn::api
