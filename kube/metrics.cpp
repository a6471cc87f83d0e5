#include "kube/metrics.h"

#include <prometheus/family.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "kube/transport.h"

namespace cairn::kube {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

struct Metrics::Families {
  explicit Families(prometheus::Registry& r)
      : reconcile_total(BuildCounter()
                            .Name("controller_runtime_reconcile_total")
                            .Help("Total number of reconciliations per controller")
                            .Register(r)),
        reconcile_errors(BuildCounter()
                             .Name("controller_runtime_reconcile_errors_total")
                             .Help("Total number of reconciliation errors per controller")
                             .Register(r)),
        reconcile_time(BuildHistogram()
                           .Name("controller_runtime_reconcile_time_seconds")
                           .Help("Length of time per reconciliation per controller")
                           .Register(r)),
        max_concurrent(BuildGauge()
                           .Name("controller_runtime_max_concurrent_reconciles")
                           .Help("Maximum number of concurrent reconciles per controller")
                           .Register(r)),
        active_workers(BuildGauge()
                           .Name("controller_runtime_active_workers")
                           .Help("Number of currently used workers per controller")
                           .Register(r)),
        depth(BuildGauge().Name("workqueue_depth").Help("Current depth of workqueue").Register(r)),
        adds(BuildCounter()
                 .Name("workqueue_adds_total")
                 .Help("Total number of adds handled by workqueue")
                 .Register(r)),
        retries(BuildCounter()
                    .Name("workqueue_retries_total")
                    .Help("Total number of retries handled by workqueue")
                    .Register(r)),
        queue_duration(BuildHistogram()
                           .Name("workqueue_queue_duration_seconds")
                           .Help("How long in seconds an item stays in workqueue before being "
                                 "requested")
                           .Register(r)),
        work_duration(BuildHistogram()
                          .Name("workqueue_work_duration_seconds")
                          .Help("How long in seconds processing an item from workqueue takes")
                          .Register(r)),
        unfinished(BuildGauge()
                       .Name("workqueue_unfinished_work_seconds")
                       .Help("How many seconds of work has been done that is in progress and "
                             "hasn't been observed by work_duration. Large values indicate "
                             "stuck threads. One can deduce the number of stuck threads by "
                             "observing the rate at which this increases.")
                       .Register(r)),
        longest(BuildGauge()
                    .Name("workqueue_longest_running_processor_seconds")
                    .Help("How many seconds has the longest running processor for workqueue "
                          "been running")
                    .Register(r)),
        leader(BuildGauge()
                   .Name("leader_election_master_status")
                   .Help("Gauge of if the reporting system is master of the relevant lease, 0 "
                         "indicates backup, 1 indicates master. 'name' is the string used to "
                         "identify the lease. Please make sure to group by name.")
                   .Register(r)) {}

  prometheus::Family<prometheus::Counter>& reconcile_total;
  prometheus::Family<prometheus::Counter>& reconcile_errors;
  prometheus::Family<prometheus::Histogram>& reconcile_time;
  prometheus::Family<prometheus::Gauge>& max_concurrent;
  prometheus::Family<prometheus::Gauge>& active_workers;
  prometheus::Family<prometheus::Gauge>& depth;
  prometheus::Family<prometheus::Counter>& adds;
  prometheus::Family<prometheus::Counter>& retries;
  prometheus::Family<prometheus::Histogram>& queue_duration;
  prometheus::Family<prometheus::Histogram>& work_duration;
  prometheus::Family<prometheus::Gauge>& unfinished;
  prometheus::Family<prometheus::Gauge>& longest;
  prometheus::Family<prometheus::Gauge>& leader;
};

const prometheus::Histogram::BucketBoundaries& reconcile_time_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
      0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
      6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
  return buckets;
}

const prometheus::Histogram::BucketBoundaries& workqueue_duration_buckets() {
  // client-go: ExponentialBuckets(10e-9, 10, 10).
  static const prometheus::Histogram::BucketBoundaries buckets = [] {
    prometheus::Histogram::BucketBoundaries b;
    double v = 1e-8;
    for (int i = 0; i < 10; ++i, v *= 10) b.push_back(v);
    return b;
  }();
  return buckets;
}

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      families_(std::make_unique<Families>(*registry_)) {}

Metrics::~Metrics() = default;

Metrics& Metrics::global() {
  static auto* metrics = new Metrics();
  return *metrics;
}

WorkqueueMetrics Metrics::workqueue(const std::string& name) {
  const prometheus::Labels labels{{"name", name}};
  WorkqueueMetrics m;
  m.depth = &families_->depth.Add(labels);
  m.adds = &families_->adds.Add(labels);
  m.retries = &families_->retries.Add(labels);
  m.queue_duration = &families_->queue_duration.Add(labels, workqueue_duration_buckets());
  m.work_duration = &families_->work_duration.Add(labels, workqueue_duration_buckets());
  m.unfinished_work_seconds = &families_->unfinished.Add(labels);
  m.longest_running_processor_seconds = &families_->longest.Add(labels);
  return m;
}

ControllerMetrics Metrics::controller(const std::string& name) {
  auto result = [&](const char* r) -> prometheus::Counter* {
    return &families_->reconcile_total.Add({{"controller", name}, {"result", r}});
  };
  ControllerMetrics m;
  m.reconcile_success = result("success");
  m.reconcile_error = result("error");
  m.reconcile_requeue = result("requeue");
  m.reconcile_requeue_after = result("requeue_after");
  m.reconcile_errors = &families_->reconcile_errors.Add({{"controller", name}});
  m.reconcile_time =
      &families_->reconcile_time.Add({{"controller", name}}, reconcile_time_buckets());
  m.max_concurrent_reconciles = &families_->max_concurrent.Add({{"controller", name}});
  m.active_workers = &families_->active_workers.Add({{"controller", name}});
  return m;
}

prometheus::Gauge& Metrics::leader_election_status(const std::string& name) {
  return families_->leader.Add({{"name", name}});
}

std::shared_ptr<void> Metrics::add_request_source(const RequestMetrics& requests) {
  {
    std::lock_guard lock(sources_mu_);
    sources_.push_back(&requests);
  }
  const RequestMetrics* source = &requests;
  return std::shared_ptr<void>(nullptr, [this, source](void*) {
    std::lock_guard lock(sources_mu_);
    auto it = std::find(sources_.begin(), sources_.end(), source);
    if (it != sources_.end()) sources_.erase(it);
  });
}

std::string Metrics::text() const {
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  // rest_client_requests_total, summed over every registered transport.
  std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t> counts;
  {
    std::lock_guard lock(sources_mu_);
    for (const RequestMetrics* source : sources_) {
      for (const RequestCount& c : source->snapshot()) {
        counts[{c.code, c.method, c.host}] += c.count;
      }
    }
  }
  prometheus::MetricFamily rest;
  rest.name = "rest_client_requests_total";
  rest.help = "Number of HTTP requests, partitioned by status code, method, and host.";
  rest.type = prometheus::MetricType::Counter;
  for (const auto& [key, count] : counts) {
    prometheus::ClientMetric m;
    m.label = {
        {"code", std::get<0>(key)}, {"host", std::get<2>(key)}, {"method", std::get<1>(key)}};
    m.counter.value = static_cast<double>(count);
    rest.metric.push_back(std::move(m));
  }
  families.push_back(std::move(rest));
  std::sort(families.begin(), families.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace cairn::kube
