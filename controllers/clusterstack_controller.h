// ClusterStackController: turns a ClusterStack into one ClusterStackRelease per wanted release
// and garbage-collects the releases nothing needs any more (cso-reference.md §3.1, with its
// faults fixed).
//
// Wanted: every version of spec.versions, plus — with autoSubscribe — the newest release of the
// stack's feed (same provider, name, Kubernetes minor line and channel). Kept besides the
// wanted: the newest ready release (until a newer one is ready) and every release whose
// ClusterClass a Cluster of the namespace uses (spec.topology.class, or classRef.name of
// Cluster API v1beta2), compared as parsed release tags so that hash-channel releases
// (v0-sha.<hash>) are protected too. Everything else the stack owns is deleted.
//
// Releases are created with a controller reference to the stack (garbage-collected with it);
// releases the Go operator created (owner reference without the controller flag) are
// recognised as the stack's. A release of the same name owned by another ClusterStack is not
// taken over: ClusterStackReleasesSynced turns False naming the other owner.
//
// Feeds: the stack subscribes to its feed in the FeedHub (one poller per feed and credentials,
// shared by all stacks); the hub re-queues the stack when the feed's tags change. Triggers:
// the stack's spec (generation), its releases' status and deletion, Clusters of the namespace
// changing their class, feed changes.
//
// Status as the Go operator reports it (summary, usableVersions, latestRelease, conditions)
// plus ClusterStackReleasesReady and the summary Ready. Written only when it changed, so a
// stack in steady state causes no API writes.
//
// Thread-safety: reconcile runs on the controller's workers; one key at a time.
#pragma once

#include "controllers/clusterstack_common.h"
#include "kube/controller.h"

namespace cairn::controllers {

class ClusterStackController {
 public:
  explicit ClusterStackController(Shared& shared) : shared_(shared) {}
  // Registers the controller with the manager.
  kube::Result<void> setup();
  // Re-queues stacks (called by the feed hub when their feed changed).
  void enqueue(const std::vector<std::string>& keys);

 private:
  struct Pass;  // one reconcile's state
  kube::ReconcileOutcome reconcile(kube::ReconcileContext& ctx);
  void read_feed(Pass& p);
  void collect(Pass& p);
  void create_wanted(Pass& p);
  static void set_status(Pass& p);

  Shared& shared_;
  kube::Controller* controller_ = nullptr;
};

}  // namespace cairn::controllers
