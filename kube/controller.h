// Controller: the reconcile loop of one kind, wired like controller-runtime's builder.
//
//   auto c = ControllerBuilder(manager, "clusterstack")
//                .for_kind(kClusterStack, {predicates::generation_changed()})
//                .owns(kClusterStackRelease)
//                .watches(kCluster, map_cluster_to_stacks)
//                .concurrency(2)
//                .complete(reconcile);
//
// Events of the primary kind enqueue the object's key; events of owned kinds enqueue the key of
// their *controller* owner (an ownerReference with controller: true whose apiVersion group and
// kind are the primary's); extra watches enqueue what their map function returns. Predicates
// filter events before they are enqueued (all must pass). The work queue de-duplicates keys and
// hands a key to one worker at a time, so a reconcile function never runs twice concurrently
// for the same object. Keys of periodic resyncs go to the queue's background lane: a change is
// reconciled before any pending resync (WorkQueue::add_background).
//
// The reconcile function returns an action: done (forget the key's backoff), requeue (rate
// limited), requeue after d (exactly d, backoff forgotten), or an error (logged, counted in
// controller_runtime_reconcile_errors_total, retried with per-key exponential backoff). A
// thrown exception is caught and treated as an error. Every reconcile gets a logger carrying
// `controller`, `namespace`, `name` and `reconcileID`, and is timed in
// controller_runtime_reconcile_time_seconds.
//
// Lifecycle: the manager starts the informers at once and the workers when it becomes leader
// (or at once without leader election); on shutdown intake stops first, in-flight reconciles
// get until the manager's deadline to finish.
//
// Thread-safety: the builder is used by one thread before Manager::run(); reconcile functions
// run on the controller's worker threads (`concurrency` of them).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <tl/expected.hpp>
#include <vector>

#include "kube/client.h"
#include "kube/informer.h"
#include "kube/log.h"
#include "kube/metrics.h"
#include "kube/workqueue.h"

namespace cairn::kube {

class Manager;

// What a reconcile asks for next.
struct ReconcileResult {
  bool requeue = false;                        // again, rate limited
  std::chrono::milliseconds requeue_after{0};  // > 0: again after exactly this long

  static ReconcileResult done() { return {}; }
  static ReconcileResult again() { return {true, std::chrono::milliseconds(0)}; }
  static ReconcileResult after(std::chrono::milliseconds d) { return {false, d}; }
};

// An error message; the key is retried with backoff (a requeue_after is ignored, as in
// controller-runtime).
using ReconcileOutcome = tl::expected<ReconcileResult, std::string>;

struct ReconcileContext {
  std::string controller;
  ObjectKey key;
  std::string reconcile_id;  // random, 32 hex digits, also in every log line
  Logger logger = Logger::root();
  const std::atomic<bool>* stopping = nullptr;  // true once shutdown began: finish up quickly

  bool shutting_down() const { return stopping != nullptr && stopping->load(); }
};

using ReconcileFunc = std::function<ReconcileOutcome(ReconcileContext& ctx)>;

enum class WatchEventType { kAdd, kUpdate, kDelete };

// One informer event as predicates and map functions see it (old_object only for updates).
struct ObjectEvent {
  WatchEventType type = WatchEventType::kAdd;
  ObjectPtr old_object;
  ObjectPtr object;
};

using Predicate = std::function<bool(const ObjectEvent& event)>;
using MapFunc = std::function<std::vector<ObjectKey>(const nlohmann::json& object)>;

namespace predicates {
// Updates pass only when metadata.generation changed (status-only writes are filtered);
// adds and deletes pass.
Predicate generation_changed();
// Updates pass only when metadata.resourceVersion changed (filters periodic resyncs).
Predicate resource_version_changed();
// Events of objects whose labels match `selector` (kube syntax); kConfig error when malformed.
Result<Predicate> label_selector(const std::string& selector);
// Updates pass when the labels or annotations changed.
Predicate labels_or_annotations_changed();
Predicate any_of(std::vector<Predicate> predicates);
}  // namespace predicates

class Controller {
 public:
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  WorkQueue& queue() { return *queue_; }
  // Starts the workers (idempotent).
  void start_workers();
  // Stops intake; workers finish their current reconcile. Waits up to `deadline` for them,
  // then abandons the rest (their results are dropped). Returns false when it had to abandon.
  bool stop(std::chrono::steady_clock::time_point deadline);

 private:
  friend class ControllerBuilder;
  friend class Manager;
  Controller() = default;
  void enqueue(const ObjectKey& key) { queue_->add(key.str()); }
  void worker();
  void reconcile_one(const std::string& key);

  std::string name_;
  int concurrency_ = 1;
  ReconcileFunc reconcile_;
  std::unique_ptr<WorkQueue> queue_;
  ControllerMetrics metrics_;
  Logger logger_ = Logger::root();
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
  std::vector<std::thread> workers_;
  bool started_ = false;
};

struct ControllerOptions {
  int concurrency = 0;  // 0 = ManagerOptions::concurrency
  QueueRateLimits rate_limits;
};

class ControllerBuilder {
 public:
  ControllerBuilder(Manager& manager, std::string name);
  ControllerBuilder& for_kind(GroupVersionKind gvk, std::vector<Predicate> predicates = {});
  ControllerBuilder& owns(GroupVersionKind gvk, std::vector<Predicate> predicates = {});
  ControllerBuilder& watches(GroupVersionKind gvk, MapFunc map,
                             std::vector<Predicate> predicates = {});
  ControllerBuilder& concurrency(int workers);
  ControllerBuilder& rate_limits(QueueRateLimits limits);
  // Registers the controller with the manager (which owns it). kConfig error when no primary
  // kind was given, the name is taken, or an informer cannot be set up.
  Result<Controller*> complete(ReconcileFunc reconcile);

 private:
  struct Watch {
    GroupVersionKind gvk;
    enum { kPrimary, kOwned, kMapped } role;
    MapFunc map;
    std::vector<Predicate> predicates;
  };
  Manager& manager_;
  std::string name_;
  std::vector<Watch> watches_;
  ControllerOptions options_;
};

}  // namespace cairn::kube
