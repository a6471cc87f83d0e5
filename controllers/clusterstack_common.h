// What the ClusterStack and ClusterStackRelease controllers share: the kinds they read, the
// condition types and reasons (the Go operator's strings, plus cairn's), the state both use
// (cache, feed hub, download pool, informers) and the rules both apply — which feed and
// credentials a stack uses, which ClusterClass a Cluster uses, who owns a release.
//
// Shared is created by Controllers::create (setup.cpp) and outlives both controllers. Its
// members are thread-safe (see their headers); the helper functions are pure or read only the
// informer caches and the API server.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "api/release_tag.h"
#include "api/types.h"
#include "controllers/feed_hub.h"
#include "controllers/setup.h"
#include "controllers/source_policy.h"
#include "controllers/worker_pool.h"
#include "kube/client.h"
#include "kube/controller.h"
#include "kube/informer.h"
#include "kube/manager.h"
#include "sources/cache.h"

namespace cairn::controllers {

inline const kube::GroupVersionKind kClusterStackKind{"clusterstack.x-k8s.io", "v1alpha1",
                                                      "ClusterStack"};
inline const kube::GroupVersionKind kClusterStackReleaseKind{"clusterstack.x-k8s.io", "v1alpha1",
                                                             "ClusterStackRelease"};
inline const kube::GroupVersionKind kClusterKind{"cluster.x-k8s.io", "v1beta1", "Cluster"};
inline const kube::GroupVersionKind kSecretKind{"", "v1", "Secret"};

inline constexpr std::string_view kReleaseFinalizer = "clusterstackrelease.clusterstack.x-k8s.io";

// Condition types (cso-reference.md §1.1, §1.2) and cairn's additions.
inline constexpr std::string_view kReady = "Ready";
inline constexpr std::string_view kAssetsClientAPIAvailable = "AssetsClientAPIAvailable";
inline constexpr std::string_view kReleasesSynced = "ReleasesSynced";
inline constexpr std::string_view kClusterStackReleasesSynced = "ClusterStackReleasesSynced";
inline constexpr std::string_view kClusterStackReleaseAvailable = "ClusterStackReleaseAvailable";
// cairn: every wanted release is ready (what Ready of a ClusterStack waits for).
inline constexpr std::string_view kClusterStackReleasesReady = "ClusterStackReleasesReady";
inline constexpr std::string_view kClusterStackReleaseDownloaded = "ClusterStackReleaseDownloaded";
inline constexpr std::string_view kProviderClusterStackReleaseReady =
    "ProviderClusterStackReleaseReady";
inline constexpr std::string_view kHelmChartApplied = "HelmChartApplied";

// Reasons.
inline constexpr std::string_view kFailedCreateAssetsClient = "FailedCreateAssetsClient";
inline constexpr std::string_view kSourceNotAllowed = "SourceNotAllowed";
inline constexpr std::string_view kInvalidSource = "InvalidSource";
inline constexpr std::string_view kSecretUnusable = "SecretUnusable";
inline constexpr std::string_view kNoSourceConfigured = "NoSourceConfigured";
inline constexpr std::string_view kFailedToSync = "FailedToSync";
inline constexpr std::string_view kReleasesNotListedYet = "ReleasesNotListedYet";
inline constexpr std::string_view kFailedToCreateOrUpdate = "FailedToCreateOrUpdate";
inline constexpr std::string_view kNoReadyRelease = "NoReadyRelease";
inline constexpr std::string_view kReleasesNotReady = "ClusterStackReleasesNotReady";
inline constexpr std::string_view kReleaseAssetsNotDownloadedYet = "ReleaseAssetsNotDownloadedYet";
inline constexpr std::string_view kIssueWithReleaseAssets = "IssueWithReleaseAssets";
inline constexpr std::string_view kProcessOngoing = "ProcessOngoing";
inline constexpr std::string_view kProviderModeNotSupported = "ProviderModeNotSupported";
inline constexpr std::string_view kFailedToApplyObjects = "FailedToApplyObjects";
inline constexpr std::string_view kObjectsApplyingOngoing = "ObjectsApplyingOngoing";
inline constexpr std::string_view kClusterStackNotFound = "ClusterStackNotFound";

inline constexpr std::string_view kSeverityError = "Error";
inline constexpr std::string_view kSeverityWarning = "Warning";
inline constexpr std::string_view kSeverityInfo = "Info";

struct Shared {
  kube::Manager* manager = nullptr;
  ControllersOptions options;
  std::unique_ptr<sources::Cache> cache;
  std::optional<SourcePolicy> policy;
  std::unique_ptr<WorkerPool> downloads;
  std::unique_ptr<FeedHub> hub;
  kube::Informer* stacks = nullptr;
  kube::Informer* releases = nullptr;
  kube::Informer* clusters = nullptr;
  std::filesystem::path keys_dir;  // SSH keys from Secrets, written 0600 for libgit2

  kube::Client& client() { return manager->client(); }
  kube::EventRecorder& events() { return manager->events(); }
};

// The feed a stack's releases come from, with its credentials and poll interval.
struct StackSource {
  sources::FeedUrl url;
  sources::Credentials credentials;
  std::chrono::milliseconds interval{0};
};

// Why a stack has no usable feed: the reason and message of its AssetsClientAPIAvailable
// condition.
struct SourceProblem {
  std::string reason;
  std::string message;
};

// spec.source (URL checked against the policy, credentials from its Secret, interval clamped
// to the minimum) or else the manager's default feed.
tl::expected<StackSource, SourceProblem> resolve_source(Shared& shared,
                                                        const api::ClusterStack& stack);

// The ClusterClass name a Cluster uses: spec.topology.class (v1beta1) or
// spec.topology.classRef.name (v1beta2); "" when it has no topology.
std::string cluster_class_of(const nlohmann::json& cluster);

// The names of the ClusterStacks (of this API group) in the object's ownerReferences.
std::vector<std::string> stack_owners(const nlohmann::json& object);

// The release tags (dash form) of `identity` that Clusters of namespace `ns` use.
std::vector<std::string> releases_in_use(const Shared& shared, const std::string& ns,
                                         const api::StackIdentity& identity);

// Updates pass when the spec changed (generation), deletion began, or on a periodic resync (same
// resourceVersion); status-only writes, including the controller's own, do not. Adds and
// deletes pass.
kube::Predicate spec_changed_or_resync();

// Members of JSON objects, or an empty value when absent or of another type.
const std::string& string_member(const nlohmann::json& object, std::string_view key);
const nlohmann::json& object_member(const nlohmann::json& object, std::string_view key);

// Sets a condition on `object` (kube::set_condition with severity only when False).
void put_condition(nlohmann::json& object, std::string_view type, bool ok,
                   std::string_view reason, std::string_view severity, std::string message,
                   std::chrono::system_clock::time_point now);

// Writes `object`'s status when it differs from `stored`'s (the /status subresource, with the
// stored resourceVersion, so a concurrent change gives a conflict). Returns whether it wrote.
kube::Result<bool> write_status_if_changed(Shared& shared, const nlohmann::json& stored,
                                           const nlohmann::json& object);

}  // namespace cairn::controllers
