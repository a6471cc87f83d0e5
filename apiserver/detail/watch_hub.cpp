#include "apiserver/detail/watch_hub.h"

#include <algorithm>
#include <utility>

namespace cairn::apiserver::detail {
namespace {

// Pushes under the subscriber's lock; returns the notify callback to run after unlocking.
std::shared_ptr<std::function<void()>> deliver(Subscriber& s, const HubEvent& e) {
  std::lock_guard lock(s.mu);
  if (s.closed || e.rv <= s.from_rv) return nullptr;
  s.progress_rv = e.rv;
  auto ev = s.filter(e);
  if (!ev) return s.bookmarks ? s.notify : nullptr;
  if (s.queue.size() >= s.capacity) {
    // The client cannot keep up: drop what it has not read and make it relist.
    s.queue.clear();
    s.closed = Status{StatusCode::kGone,
                      "watch closed: the client did not keep up with events (more than " +
                          std::to_string(s.capacity) + " pending); relist"};
  } else {
    s.queue.push_back(std::move(*ev));
  }
  s.cv.notify_all();
  return s.notify;
}

void run(const std::vector<std::shared_ptr<std::function<void()>>>& callbacks) {
  for (const auto& cb : callbacks) {
    if (cb && *cb) (*cb)();
  }
}

}  // namespace

bool Subscriber::matches(const nlohmann::json& object) const {
  return label_selector.matches_object(object) && field_selector.matches_object(object);
}

std::optional<WatchEvent> Subscriber::filter(const HubEvent& e) const {
  if (e.group != resource.group || e.resource != resource.resource) return std::nullopt;
  if (namespace_ && *namespace_ != e.namespace_) return std::nullopt;
  WatchEvent out{e.type, e.rv, e.object};
  if (label_selector.empty() && field_selector.empty()) return out;
  const bool now = matches(*e.object);
  if (e.type != EventType::kModified) {
    if (!now) return std::nullopt;
    return out;
  }
  const bool before = e.prev ? matches(*e.prev) : now;
  if (now && before) return out;
  if (now) {
    out.type = EventType::kAdded;  // started to match
    return out;
  }
  if (before) {
    out.type = EventType::kDeleted;  // stopped matching: kube sends the new state as DELETED
    return out;
  }
  return std::nullopt;
}

WatchHub::WatchHub(std::size_t history_capacity, std::size_t queue_capacity)
    : history_capacity_(std::max<std::size_t>(history_capacity, 1)),
      queue_capacity_(std::max<std::size_t>(queue_capacity, 1)) {}

void WatchHub::reset(std::int64_t oldest_rv, std::int64_t newest_rv, std::vector<HubEvent> events) {
  std::lock_guard lock(mu_);
  history_.clear();
  oldest_rv_ = oldest_rv;
  newest_rv_ = newest_rv;
  for (auto& e : events) history_.push_back(std::move(e));
  while (history_.size() > history_capacity_) {
    oldest_rv_ = history_.front().rv;
    history_.pop_front();
  }
}

std::vector<HubEvent> WatchHub::publish(std::vector<HubEvent> events) {
  std::vector<std::shared_ptr<std::function<void()>>> callbacks;
  std::vector<HubEvent> evicted;
  {
    std::lock_guard lock(mu_);
    for (auto& e : events) {
      newest_rv_ = e.rv;
      for (const auto& sub : subscribers_) {
        if (auto cb = deliver(*sub, e)) callbacks.push_back(std::move(cb));
      }
      history_.push_back(std::move(e));
      if (history_.size() > history_capacity_) {
        oldest_rv_ = history_.front().rv;
        evicted.push_back(std::move(history_.front()));
        history_.pop_front();
      }
    }
    std::erase_if(subscribers_, [](const std::shared_ptr<Subscriber>& s) {
      std::lock_guard sl(s->mu);
      return s->closed.has_value();
    });
  }
  std::sort(callbacks.begin(), callbacks.end());
  callbacks.erase(std::unique(callbacks.begin(), callbacks.end()), callbacks.end());
  run(callbacks);
  return evicted;
}

Result<std::shared_ptr<Subscriber>> WatchHub::subscribe(const WatchOptions& options,
                                                        std::int64_t from_rv,
                                                        std::vector<WatchEvent> initial) {
  auto sub = std::make_shared<Subscriber>();
  sub->resource = options.resource;
  sub->namespace_ = options.namespace_;
  sub->label_selector = options.label_selector;
  sub->field_selector = options.field_selector;
  sub->bookmarks = options.allow_bookmarks;
  sub->from_rv = from_rv;
  sub->progress_rv = from_rv;
  std::lock_guard lock(mu_);
  if (shut_down_) return error(StatusCode::kUnavailable, "the store is shutting down");
  if (from_rv < oldest_rv_) {
    return error(StatusCode::kGone, "too old resource version: " + std::to_string(from_rv) + " (" +
                                        std::to_string(oldest_rv_) + ")");
  }
  // A bookmark is due once something after from_rv has passed, or right after an initial
  // state (its events carry older RVs than the snapshot).
  sub->last_returned_rv = initial.empty() ? from_rv : 0;
  for (auto& ev : initial) sub->queue.push_back(std::move(ev));
  // Retained events after from_rv (history is in RV order: binary search the start).
  auto it = std::upper_bound(history_.begin(), history_.end(), from_rv,
                             [](std::int64_t rv, const HubEvent& e) { return rv < e.rv; });
  for (; it != history_.end(); ++it) {
    sub->progress_rv = it->rv;
    if (auto ev = sub->filter(*it)) sub->queue.push_back(std::move(*ev));
  }
  // The initial burst may exceed the bound; live events get queue_capacity_ on top of it.
  sub->capacity = sub->queue.size() + queue_capacity_;
  subscribers_.push_back(sub);
  return sub;
}

void WatchHub::unsubscribe(const std::shared_ptr<Subscriber>& sub) {
  std::lock_guard lock(mu_);
  std::erase(subscribers_, sub);
}

void WatchHub::close_all(const Status& status) {
  std::vector<std::shared_ptr<std::function<void()>>> callbacks;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    for (const auto& sub : subscribers_) {
      std::lock_guard sl(sub->mu);
      if (!sub->closed) sub->closed = status;
      sub->cv.notify_all();
      callbacks.push_back(sub->notify);
    }
    subscribers_.clear();
  }
  run(callbacks);
}

std::int64_t WatchHub::oldest_rv() const {
  std::lock_guard lock(mu_);
  return oldest_rv_;
}

std::int64_t WatchHub::newest_rv() const {
  std::lock_guard lock(mu_);
  return newest_rv_;
}

}  // namespace cairn::apiserver::detail

// ------------------------------------------------------------------ Watch

namespace cairn::apiserver {

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::kAdded: return "ADDED";
    case EventType::kModified: return "MODIFIED";
    case EventType::kDeleted: return "DELETED";
    case EventType::kBookmark: return "BOOKMARK";
    case EventType::kError: return "ERROR";
  }
  return "ERROR";
}

Watch::Watch(std::shared_ptr<detail::WatchHub> hub, std::shared_ptr<detail::Subscriber> sub)
    : hub_(std::move(hub)), sub_(std::move(sub)) {}

Watch::~Watch() { close(); }

void Watch::close() {
  hub_->unsubscribe(sub_);
  std::lock_guard lock(sub_->mu);
  if (!sub_->closed) sub_->closed = Status{StatusCode::kUnavailable, "watch closed"};
  sub_->queue.clear();
  sub_->cv.notify_all();
}

Result<std::optional<WatchEvent>> Watch::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(sub_->mu);
  auto ready = [&] { return !sub_->queue.empty() || sub_->closed; };
  // A zero timeout never sleeps (waiting for a past deadline still costs a system call).
  if (timeout.count() > 0) sub_->cv.wait_for(lock, timeout, ready);
  if (!sub_->queue.empty()) {
    WatchEvent ev = std::move(sub_->queue.front());
    sub_->queue.pop_front();
    sub_->last_returned_rv = std::max(sub_->last_returned_rv, ev.resource_version);
    return ev;
  }
  if (sub_->closed) return tl::unexpected(*sub_->closed);
  return std::optional<WatchEvent>();
}

Result<std::optional<WatchEvent>> Watch::try_next() { return next(std::chrono::milliseconds(0)); }

std::optional<WatchEvent> Watch::bookmark() {
  std::lock_guard lock(sub_->mu);
  if (!sub_->bookmarks || sub_->closed || !sub_->queue.empty()) return std::nullopt;
  if (sub_->progress_rv <= sub_->last_returned_rv) return std::nullopt;
  sub_->last_returned_rv = sub_->progress_rv;
  auto obj = std::make_shared<const nlohmann::json>(nlohmann::json{
      {"metadata", {{"resourceVersion", std::to_string(sub_->progress_rv)}}}});
  return WatchEvent{EventType::kBookmark, sub_->progress_rv, std::move(obj)};
}

void Watch::set_notify(std::function<void()> notify) {
  auto cb = std::make_shared<std::function<void()>>(std::move(notify));
  std::lock_guard lock(sub_->mu);
  sub_->notify = std::move(cb);
}

}  // namespace cairn::apiserver
