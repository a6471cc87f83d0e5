// ClusterStackReleaseController: downloads one release, renders its ClusterClass chart and
// applies the objects into the release's namespace (cso-reference.md §3.2, §3.6, with the Go
// operator's faults fixed).
//
// Reconcile:
//   1. Finalizer kReleaseFinalizer on every live release.
//   2. The release's assets: from the cache when present and intact, else downloaded and
//      verified (sources::Cache::get) on the download pool — never on the reconcile worker. One
//      download per feed and tag however many releases (namespaces) wait for it; they are all
//      re-queued when it ends. Failures are retried with backoff (5 s doubling to 5 min, or the
//      feed's rate-limit time): ClusterStackReleaseDownloaded False with reason
//      ReleaseAssetsNotDownloadedYet (retriable: transport, rate limit, I/O) or
//      IssueWithReleaseAssets (broken metadata, hostile archive, digest mismatch, no such
//      release); nothing is applied.
//   3. status.kubernetesVersion from metadata.yaml; ProviderClusterStackReleaseReady True for
//      noProvider stacks (provider mode is refused with ProviderModeNotSupported for now).
//   4. The ClusterClass chart is rendered (release name <provider>-<name>-<major>-<minor>, the
//      release's namespace, the Kubernetes version of metadata.yaml) and every object applied
//      with server-side apply on every reconcile (Applier: drift corrected, objects the render
//      no longer produces pruned), each recorded in status.resources. HelmChartApplied True
//      and status.ready true once all are synced (ready never turns back to false, as in Go);
//      a partial apply is FailedToApplyObjects / ObjectsApplyingOngoing and retried in 20 s.
//   5. Deletion: waits while a Cluster of the namespace uses the release's ClusterClass, then
//      deletes every object in status.resources (also when the ClusterStack is gone), then
//      removes the finalizer. A release whose assets never downloaded has no objects, so it is
//      deleted at once.
// Triggers: the release (spec, deletion, resync), Clusters changing their class (for waiting
// deletions), the end of a download.
//
// Thread-safety: reconcile runs on the controller's workers; downloads on the shared pool.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controllers/clusterstack_common.h"
#include "kube/controller.h"

namespace cairn::controllers {

class ClusterStackReleaseController {
 public:
  explicit ClusterStackReleaseController(Shared& shared) : shared_(shared) {}
  kube::Result<void> setup();

 private:
  // The state of one release download (per feed and tag), shared by every waiting release.
  struct Download {
    std::set<std::string> waiters;  // release keys to re-queue when it ends
    bool running = false;           // submitted to the pool and not finished
    std::optional<sources::Error> error;  // of the last attempt
    int failures = 0;
    std::chrono::steady_clock::time_point retry_at{};
  };

  kube::ReconcileOutcome reconcile(kube::ReconcileContext& ctx);
  void run_download(const std::string& id, const StackSource& source, const std::string& tag);

  Shared& shared_;
  kube::Controller* controller_ = nullptr;
  std::mutex mu_;
  std::map<std::string, Download> downloads_;  // by feed key + "/" + tag
  // Numbers every submitted attempt: a pool key is never reused, because the task of a finished
  // attempt may still be leaving the pool when the next one for the same release is submitted.
  std::uint64_t attempts_ = 0;
};

}  // namespace cairn::controllers
