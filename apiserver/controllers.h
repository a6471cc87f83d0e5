// The control loops a real cluster runs next to kube-apiserver (kube-controller-manager's
// namespace and garbage-collector controllers, apiextensions' CRD finalizer), for the objects of
// the embedded API server:
//
// - Namespace lifecycle: a Terminating namespace's namespaced objects of every served resource
//   (custom resources included) are deleted (Background propagation, honouring their
//   finalizers); the namespace's status carries kube's five deletion conditions
//   (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
//   NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining)
//   while content remains; once it is empty "kubernetes" leaves spec.finalizers (the /finalize
//   semantics) and the namespace is removed when no metadata finalizer is left.
// - Garbage collection by ownerReferences: a dependent none of whose owners exists any more
//   (owner absent, or present with another uid) is deleted (cascading, with the propagation its
//   own finalizers ask for); references to absent owners of a dependent that still has a live
//   owner are removed instead. Owners with finalizer "orphan": the references to them are
//   removed from the dependents, then the finalizer. Owners with "foregroundDeletion": their
//   dependents are deleted (in foreground), and the finalizer is removed once no dependent with
//   blockOwnerDeletion=true is left. A cluster-scoped dependent's reference to a namespaced kind,
//   and references to kinds that are not served, never make a dependent collectable.
// - CRD cleanup: a deleted CRD with finalizer customresourcecleanup.apiextensions.k8s.io gets
//   condition Terminating=True (InstanceDeletionInProgress), all its custom resources are deleted
//   in every namespace, then Terminating=False (InstanceDeletionCompleted), the finalizer is
//   removed, the CRD disappears and Registry::remove_crd drops its resources.
//
// Event-driven: one thread keeps a list+watch of every served resource (resources of new CRDs are
// picked up when Registry::generation() changes), an index of owner uid -> dependents built from
// it, and a work queue of objects to look at. Every decision is made on a fresh read from the
// Store, and writes go through the Store directly (delete_object / finish_deletion_if_ready /
// update_with). The initial lists double as the start-up scan (owners deleted while the server
// was down); a full GC scan repeats every gc_full_scan_interval. Failed or waiting items are
// retried with exponential backoff (100 ms doubling to 5 s); the thread sleeps otherwise.
//
// Thread-safety: start() and stop() may be called from any thread (not concurrently with each
// other). The Store and Registry must outlive the Controllers.
#pragma once

#include <chrono>
#include <memory>

#include "apiserver/resources.h"
#include "apiserver/store.h"

namespace cairn::apiserver {

struct ControllerOptions {
  std::chrono::milliseconds gc_full_scan_interval{std::chrono::seconds(60)};
};

class Controllers {
 public:
  Controllers(Store& store, Registry& registry, ControllerOptions options = {});
  ~Controllers();  // stop()
  Controllers(const Controllers&) = delete;
  Controllers& operator=(const Controllers&) = delete;

  // Starts the controller thread; a no-op when it runs already.
  void start();
  // Stops promptly (an item being processed finishes its current Store call) and joins the
  // thread. start() may be called again afterwards.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::apiserver
