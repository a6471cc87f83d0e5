// EventRecorder: records core/v1 Events about objects, as client-go's record.EventRecorder does.
//
// An Event names the involved object (apiVersion, kind, namespace, name, uid, resourceVersion)
// and carries a CamelCase reason, a message, type Normal|Warning, source.component/host,
// reportingComponent/Instance, firstTimestamp/lastTimestamp and count. It is created in the
// object's namespace ("default" for cluster-scoped objects) under the name
// `<object name>.<hex nanoseconds>`.
//
// - Aggregation: a repeat of the same (object uid, type, reason, message, component) within
//   `aggregation_window` (10 minutes) of its last occurrence PATCHes the existing Event (merge
//   patch of count and lastTimestamp) instead of creating another. When the patch finds the
//   Event gone, a new one is created. The aggregation cache is bounded (LRU).
// - Spam filter: a token bucket per involved object (25 burst, one token per 5 minutes, as
//   client-go) drops events of objects that produce too many. Its cache is bounded (LRU).
// - Recording never blocks: record() checks the spam filter, stamps the time (from the Clock)
//   and appends to a bounded queue; when the queue is full the event is dropped with a log
//   line. One background thread drains the queue and talks to the API server, retrying a failed
//   write a few times when the failure is transient (transport errors, 429, 5xx).
//
// Ownership and thread-safety: the recorder borrows the Client and Clock (which must outlive
// it) and owns its thread, which runs from construction until stop() (the destructor stops).
// record(), flush(), stop() and dropped() may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "kube/client.h"
#include "kube/clock.h"
#include "kube/log.h"

namespace cairn::kube {

inline constexpr std::string_view kEventTypeNormal = "Normal";
inline constexpr std::string_view kEventTypeWarning = "Warning";

struct EventRecorderConfig {
  std::string component = "cairn";  // source.component and reportingComponent
  std::string host;                 // source.host and reportingInstance; "" = the hostname
  std::size_t queue_size = 1000;    // pending events before record() drops
  std::chrono::milliseconds aggregation_window{std::chrono::minutes(10)};
  int spam_burst = 25;  // events per object before the filter drops; <= 0 disables the filter
  std::chrono::milliseconds spam_refill{std::chrono::minutes(5)};  // one token per period
  std::size_t cache_size = 4096;  // entries of the aggregation and spam caches each
  int max_attempts = 3;           // writes per event when failures are transient
  Clock* clock = nullptr;         // nullptr = Clock::system()
  Logger logger = Logger::root();
};

class EventRecorder {
 public:
  // Starts the draining thread.
  EventRecorder(Client& client, EventRecorderConfig config);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Queues an event about `object` (which needs kind and metadata.name). `type` is "Normal" or
  // "Warning"; other types, objects without a name, spam and a full queue drop the event (with
  // a log line) and return false. Never blocks on the network.
  bool record(const nlohmann::json& object, std::string_view type, std::string_view reason,
              std::string_view message);
  bool normal(const nlohmann::json& object, std::string_view reason, std::string_view message) {
    return record(object, kEventTypeNormal, reason, message);
  }
  bool warning(const nlohmann::json& object, std::string_view reason, std::string_view message) {
    return record(object, kEventTypeWarning, reason, message);
  }

  // Waits until every event queued so far has been written (or given up); false on timeout.
  bool flush(std::chrono::milliseconds timeout);
  // Stops the thread after the event in flight, dropping what is still queued, and joins it.
  // Idempotent; record() afterwards drops.
  void stop();

  // Events dropped so far because the queue was full, the object was spamming, or the recorder
  // was stopped.
  std::uint64_t dropped() const;

 private:
  struct Pending {
    nlohmann::json involved;  // the involvedObject reference
    std::string type, reason, message;
    std::chrono::system_clock::time_point time;
    std::chrono::steady_clock::time_point seen;
  };
  struct Aggregate {
    std::string name, ns;
    std::int64_t count = 0;
    std::chrono::steady_clock::time_point last_seen;
    std::list<std::uint64_t>::iterator lru;
  };
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
    std::list<std::string>::iterator lru;
  };

  void run();
  void write(const Pending& event);
  Result<nlohmann::json> create_event(const Pending& event, const std::string& ns,
                                      std::string& name_out);
  bool allow(const std::string& object_key, std::chrono::steady_clock::time_point now);
  std::string event_name(const std::string& object_name, std::chrono::system_clock::time_point t);
  // Calls `op` up to max_attempts times while it fails transiently and the recorder runs.
  Result<nlohmann::json> with_retries(const std::function<Result<nlohmann::json>()>& op);

  Client& client_;
  EventRecorderConfig config_;
  Clock& clock_;
  Logger log_;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work arrived or stop requested
  std::condition_variable idle_cv_;  // queue drained
  std::deque<Pending> queue_;
  bool busy_ = false;  // the thread is writing an event
  bool stop_requested_ = false;
  std::uint64_t dropped_ = 0;
  std::unordered_map<std::string, Bucket> buckets_;  // by object; guarded by mu_
  std::list<std::string> bucket_lru_;                // most recent first; guarded by mu_
  std::mutex join_mu_;
  std::thread thread_;

  // Owned by the draining thread.
  // By a 64-bit hash of (object, type, reason, message, component): the full key of every
  // cached event would cost several hundred bytes each, twice. Two different events colliding
  // (odds about 1e-12 with a full cache) would only count one in the other's Event.
  std::unordered_map<std::uint64_t, Aggregate> aggregates_;
  std::list<std::uint64_t> aggregate_lru_;  // most recent first
  std::int64_t last_name_nanos_ = 0;
};

}  // namespace cairn::kube
