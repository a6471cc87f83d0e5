// Metrics: the Prometheus families of cairn's controller runtime, with the names and labels
// people know from controller-runtime and client-go, on prometheus-cpp metric types. We render
// the text exposition format ourselves (ProbeServer serves it on /metrics).
//
//   controller_runtime_reconcile_total{controller,result}      result:
//   success|error|requeue|requeue_after controller_runtime_reconcile_errors_total{controller}
//   controller_runtime_reconcile_time_seconds{controller}      histogram
//   controller_runtime_max_concurrent_reconciles{controller}
//   controller_runtime_active_workers{controller}
//   workqueue_depth{name}  workqueue_adds_total{name}  workqueue_retries_total{name}
//   workqueue_queue_duration_seconds{name}  workqueue_work_duration_seconds{name}   histograms
//   workqueue_unfinished_work_seconds{name}  workqueue_longest_running_processor_seconds{name}
//   rest_client_requests_total{code,method,host}   from every registered Transport
//   leader_election_master_status{name}            1 while this process leads, else 0
//
// A `Metrics` owns one registry. `Metrics::global()` is the process-wide instance that the
// manager serves; tests create their own. Handles returned by the accessors stay valid for
// the life of the Metrics object; asking twice for the same label values returns the same
// series.
//
// Thread-safety: all methods and all returned metric handles are thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::kube {

class RequestMetrics;

struct WorkqueueMetrics {
  prometheus::Gauge* depth = nullptr;
  prometheus::Counter* adds = nullptr;
  prometheus::Counter* retries = nullptr;
  prometheus::Histogram* queue_duration = nullptr;  // seconds from add to get
  prometheus::Histogram* work_duration = nullptr;   // seconds from get to done
  prometheus::Gauge* unfinished_work_seconds = nullptr;
  prometheus::Gauge* longest_running_processor_seconds = nullptr;
};

struct ControllerMetrics {
  prometheus::Counter* reconcile_success = nullptr;        // result="success"
  prometheus::Counter* reconcile_error = nullptr;          // result="error"
  prometheus::Counter* reconcile_requeue = nullptr;        // result="requeue"
  prometheus::Counter* reconcile_requeue_after = nullptr;  // result="requeue_after"
  prometheus::Counter* reconcile_errors = nullptr;         // reconcile_errors_total
  prometheus::Histogram* reconcile_time = nullptr;
  prometheus::Gauge* max_concurrent_reconciles = nullptr;
  prometheus::Gauge* active_workers = nullptr;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  static Metrics& global();

  WorkqueueMetrics workqueue(const std::string& name);
  ControllerMetrics controller(const std::string& name);
  prometheus::Gauge& leader_election_status(const std::string& name);

  // Counts of `requests` appear as rest_client_requests_total until the returned handle is
  // destroyed (`requests` must outlive the handle). Several sources are summed per label set.
  std::shared_ptr<void> add_request_source(const RequestMetrics& requests);

  // The registry, for extra application metrics.
  prometheus::Registry& registry() { return *registry_; }

  // Everything in the Prometheus text exposition format 0.0.4.
  std::string text() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  struct Families;
  std::unique_ptr<Families> families_;
  mutable std::mutex sources_mu_;
  std::vector<const RequestMetrics*> sources_;
};

// Bucket boundaries, as controller-runtime and client-go use them.
const prometheus::Histogram::BucketBoundaries& reconcile_time_buckets();
const prometheus::Histogram::BucketBoundaries& workqueue_duration_buckets();  // 1e-8 .. 1e1 s

}  // namespace cairn::kube
