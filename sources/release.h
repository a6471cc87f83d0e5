// The content rules of one cluster-stack release (cso-reference.md §2.2): metadata.yaml,
// clusteraddon.yaml, node-images.yaml and the chart files, checked the way the Go operator reads
// them plus the checks it lacked (exact chart names, metadata version equal to the tag's).
//
// Parsers take untrusted text and return kInvalidRelease errors that name the file and the key
// ("metadata.yaml: versions.kubernetes: ..."). Plain values and stateless functions;
// thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/release_tag.h"
#include "api/version.h"
#include "sources/error.h"

namespace cairn::sources {

// metadata.yaml. apiVersion is read but not checked (the Go operator ignores it).
struct ReleaseMetadata {
  std::string api_version;
  api::Version cluster_stack;               // versions.clusterStack (dot form)
  api::KubernetesPatchVersion kubernetes;   // versions.kubernetes, e.g. v1.27.3
  api::Version cluster_addon;               // versions.components.clusterAddon
  std::optional<api::Version> node_image;   // versions.components.nodeImage
};
Result<ReleaseMetadata> parse_metadata(std::string_view yaml);

// clusteraddon.yaml (multi-stage addon mode).
struct AddonCondition {
  nlohmann::json objects = nlohmann::json::array();  // [{key, apiVersion, kind, name, namespace}]
  std::string conditions;                            // CEL expression
};
struct AddonStage {
  std::string name;    // a directory of the addon archive
  std::string action;  // "apply" or "delete"
  std::optional<AddonCondition> wait_for_pre_condition, wait_for_post_condition;
};
struct AddonConfig {
  std::string api_version, cluster_addon_version;
  std::map<std::string, std::vector<AddonStage>> addon_stages;  // hook name -> ordered stages
};
Result<AddonConfig> parse_clusteraddon(std::string_view yaml);

// node-images.yaml: provider-specific; only its shape (a YAML mapping) is checked here. Returned
// as JSON for the provider that reads it.
Result<nlohmann::json> parse_node_images(std::string_view yaml);

// Where the parts of an unpacked release are, relative to its directory.
struct ReleaseLayout {
  api::ReleaseTag tag;
  ReleaseMetadata metadata;
  std::string cluster_class_chart;   // "<stack>-cluster-class-<ver>.tgz" or a chart directory
  std::string cluster_addon_chart;   // "<stack>-cluster-addon-<addon ver>.tgz" or a directory
  std::optional<AddonConfig> addon_config;   // clusteraddon.yaml present: multi-stage mode
  bool has_cluster_addon_values = false;     // cluster-addon-values.yaml present
  std::optional<nlohmann::json> node_images;  // node-images.yaml, when present
};

// Checks the release directory `dir` of release `tag`: metadata.yaml present and valid, its
// clusterStack equal to the tag's version, the cluster-class chart and the addon chart named
// exactly (as a .tgz file, or as a directory of that name without ".tgz" that holds Chart.yaml;
// `...-cluster-class-v1.tgz` never matches `v10`), cluster-addon-values.yaml present unless
// clusteraddon.yaml is, every clusteraddon.yaml stage a directory of the unpacked addon chart
// when that is already unpacked, node-images.yaml well-formed when present.
Result<ReleaseLayout> validate_release(const std::filesystem::path& dir,
                                       const api::ReleaseTag& tag);

}  // namespace cairn::sources
