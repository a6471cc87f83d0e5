// WatchHub: the in-memory event history and the set of watch subscriptions.
//
// The store's writer publishes committed events in RV order; the hub appends them to a bounded
// history (evicting the oldest, which advances the oldest watchable RV) and delivers them to
// every matching subscriber's bounded queue. A subscriber whose queue is full is closed with
// Gone. Thread-safe: one mutex for the hub, one per subscriber (hub before subscriber).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/store.h"

namespace cairn::apiserver::detail {

// A committed change, as the hub keeps it.
struct HubEvent {
  EventType type = EventType::kAdded;  // kAdded, kModified or kDeleted
  std::int64_t rv = 0;
  std::string group, resource, namespace_, name;
  std::shared_ptr<const nlohmann::json> object;  // state at rv
  std::shared_ptr<const nlohmann::json> prev;    // state before (MODIFIED/DELETED); may be null
};

struct Subscriber {
  // Immutable after subscribe().
  ResourceRef resource;
  std::optional<std::string> namespace_;
  LabelSelector label_selector;
  FieldSelector field_selector;
  bool bookmarks = false;
  std::size_t capacity = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<WatchEvent> queue;
  std::int64_t from_rv = 0;           // events at or below are covered by the initial state
  std::int64_t progress_rv = 0;       // newest RV the hub has considered for this subscriber
  std::int64_t last_returned_rv = 0;  // newest RV handed out (event or bookmark)
  std::optional<Status> closed;
  std::shared_ptr<std::function<void()>> notify;

  bool matches(const nlohmann::json& object) const;
  // The event this subscriber sees for `e`, if any (selector transitions give ADDED/DELETED).
  std::optional<WatchEvent> filter(const HubEvent& e) const;
};

class WatchHub {
 public:
  WatchHub(std::size_t history_capacity, std::size_t queue_capacity);

  // Start-up: the history rebuilt from the database, events with RV > oldest_rv in order.
  void reset(std::int64_t oldest_rv, std::int64_t newest_rv, std::vector<HubEvent> events);

  // Appends committed events (RV order) and delivers them. Returns the events this pushed out
  // of the history, for the caller to free outside the hub's lock.
  std::vector<HubEvent> publish(std::vector<HubEvent> events);

  // Registers a subscriber receiving `initial` first, then the retained events after from_rv,
  // then live ones. Gone when from_rv is older than the history.
  Result<std::shared_ptr<Subscriber>> subscribe(const WatchOptions& options, std::int64_t from_rv,
                                                std::vector<WatchEvent> initial);
  void unsubscribe(const std::shared_ptr<Subscriber>& sub);
  void close_all(const Status& status);

  std::int64_t oldest_rv() const;
  std::int64_t newest_rv() const;

 private:
  mutable std::mutex mu_;
  std::size_t history_capacity_;
  std::size_t queue_capacity_;
  std::deque<HubEvent> history_;
  std::int64_t oldest_rv_ = 0;
  std::int64_t newest_rv_ = 0;
  bool shut_down_ = false;
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
};

}  // namespace cairn::apiserver::detail
