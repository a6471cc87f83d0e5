#include "kube/events.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "kube/detail/text.h"

namespace cairn::kube {
namespace {

using nlohmann::json;

const GroupVersionKind kEvent{"", "v1", "Event"};
constexpr std::chrono::milliseconds kFirstBackoff{100};

std::string string_field(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string hostname() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) return "";
  return std::string(host.data());
}

// Which object an event is about: its uid when known, else its full reference.
std::string object_key(const json& involved) {
  const std::string uid = string_field(involved, "uid");
  if (!uid.empty()) return uid;
  return string_field(involved, "apiVersion") + '\x1f' + string_field(involved, "kind") + '\x1f' +
         string_field(involved, "namespace") + '\x1f' + string_field(involved, "name");
}

bool transient(const Error& e) {
  return is_transport_error(e) || is_server_error(e) || is_too_many_requests(e) || is_timeout(e);
}

}  // namespace

EventRecorder::EventRecorder(Client& client, EventRecorderConfig config)
    : client_(client),
      config_(std::move(config)),
      clock_(config_.clock != nullptr ? *config_.clock : Clock::system()),
      log_(config_.logger.with("eventSource", config_.component)) {
  if (config_.host.empty()) config_.host = hostname();
  if (config_.max_attempts < 1) config_.max_attempts = 1;
  thread_ = std::thread([this] { run(); });
}

EventRecorder::~EventRecorder() { stop(); }

bool EventRecorder::record(const json& object, std::string_view type, std::string_view reason,
                           std::string_view message) {
  if (type != kEventTypeNormal && type != kEventTypeWarning) {
    log_.warn("event has an unsupported type, dropping it",
              {{"type", std::string(type)}, {"reason", std::string(reason)}});
    return false;
  }
  static const json kNoMetadata = json::object();
  const json& metadata =
      object.is_object() && object.contains("metadata") ? object["metadata"] : kNoMetadata;
  json involved{{"apiVersion", string_field(object, "apiVersion")},
                {"kind", string_field(object, "kind")},
                {"name", string_field(metadata, "name")}};
  for (const char* key : {"namespace", "uid", "resourceVersion"}) {
    std::string value = string_field(metadata, key);
    if (!value.empty()) involved[key] = std::move(value);
  }
  if (involved["name"].get_ref<const std::string&>().empty() ||
      involved["kind"].get_ref<const std::string&>().empty()) {
    log_.warn("event about an object without kind or name, dropping it",
              {{"reason", std::string(reason)}});
    return false;
  }

  Pending pending{involved,          std::string(type), std::string(reason), std::string(message),
                  clock_.wall_now(), clock_.now()};
  const char* refused = nullptr;
  {
    std::lock_guard lock(mu_);
    if (stop_requested_) {
      refused = "event recorder is stopped, dropping event";
    } else if (queue_.size() >= config_.queue_size) {
      refused = "event queue is full, dropping event";
    } else if (!allow(object_key(involved), pending.seen)) {
      refused = "object exceeded its event rate, dropping event";
    }
    if (refused == nullptr) {
      queue_.push_back(std::move(pending));
    } else {
      ++dropped_;
    }
  }
  if (refused != nullptr) {
    log_.warn(refused, {{"kind", involved["kind"]},
                        {"name", involved["name"]},
                        {"namespace", involved.value("namespace", "")},
                        {"reason", std::string(reason)}});
    return false;
  }
  cv_.notify_all();
  return true;
}

bool EventRecorder::allow(const std::string& key, std::chrono::steady_clock::time_point now) {
  if (config_.spam_burst <= 0) return true;
  const double burst = config_.spam_burst;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    bucket_lru_.push_front(key);
    it = buckets_.emplace(key, Bucket{burst, now, bucket_lru_.begin()}).first;
    while (buckets_.size() > std::max<std::size_t>(config_.cache_size, 1)) {
      buckets_.erase(bucket_lru_.back());
      bucket_lru_.pop_back();
    }
  } else {
    Bucket& b = it->second;
    if (now > b.last && config_.spam_refill.count() > 0) {
      const double refill = std::chrono::duration<double>(now - b.last) /
                            std::chrono::duration<double>(config_.spam_refill);
      b.tokens = std::min(burst, b.tokens + refill);
    }
    b.last = std::max(b.last, now);
    bucket_lru_.splice(bucket_lru_.begin(), bucket_lru_, b.lru);
  }
  Bucket& b = it->second;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

bool EventRecorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

void EventRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
  std::lock_guard join_lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

std::uint64_t EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void EventRecorder::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_requested_ || !queue_.empty(); });
    if (stop_requested_) break;
    Pending event = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    write(event);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  if (!queue_.empty()) {
    dropped_ += queue_.size();
    const auto discarded = queue_.size();
    queue_.clear();
    lock.unlock();
    log_.warn("event recorder stopped with events pending, dropping them", {{"count", discarded}});
    lock.lock();
  }
  idle_cv_.notify_all();
}

Result<json> EventRecorder::with_retries(const std::function<Result<json>()>& op) {
  auto backoff = kFirstBackoff;
  for (int attempt = 1;; ++attempt) {
    Result<json> result = op();
    if (result || !transient(result.error()) || attempt >= config_.max_attempts) return result;
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, backoff, [this] { return stop_requested_; })) return result;
    backoff *= 2;
  }
}

std::string EventRecorder::event_name(const std::string& object_name,
                                      std::chrono::system_clock::time_point t) {
  std::int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  if (nanos <= last_name_nanos_) nanos = last_name_nanos_ + 1;  // unique within this recorder
  last_name_nanos_ = nanos;
  std::array<char, 24> hex{};
  std::snprintf(hex.data(), hex.size(), "%llx", static_cast<unsigned long long>(nanos));
  return object_name + "." + hex.data();
}

Result<json> EventRecorder::create_event(const Pending& event, const std::string& ns,
                                         std::string& name_out) {
  name_out = event_name(event.involved["name"].get<std::string>(), event.time);
  const std::string ts = detail::format_rfc3339(event.time, 0);
  json body{{"apiVersion", "v1"},
            {"kind", "Event"},
            {"metadata", {{"name", name_out}, {"namespace", ns}}},
            {"involvedObject", event.involved},
            {"reason", event.reason},
            {"message", event.message},
            {"type", event.type},
            {"source", {{"component", config_.component}, {"host", config_.host}}},
            {"firstTimestamp", ts},
            {"lastTimestamp", ts},
            {"count", 1},
            {"reportingComponent", config_.component},
            {"reportingInstance", config_.host}};
  auto created = with_retries([&] { return client_.create(body); });
  // A retried create whose first attempt reached the server finds its own Event.
  if (!created && is_already_exists(created.error())) return body;
  return created;
}

void EventRecorder::write(const Pending& event) {
  const std::string ns = event.involved.contains("namespace")
                             ? event.involved["namespace"].get<std::string>()
                             : std::string("default");
  const std::uint64_t key =
      std::hash<std::string>{}(object_key(event.involved) + '\x1f' + event.type + '\x1f' +
                               event.reason + '\x1f' + event.message + '\x1f' + config_.component);
  const LogFields context{{"kind", event.involved["kind"]},
                          {"name", event.involved["name"]},
                          {"namespace", ns},
                          {"reason", event.reason}};

  auto it = aggregates_.find(key);
  if (it != aggregates_.end() && event.seen - it->second.last_seen <= config_.aggregation_window) {
    Aggregate& agg = it->second;
    const std::int64_t count = agg.count + 1;
    const json patch{{"count", count}, {"lastTimestamp", detail::format_rfc3339(event.time, 0)}};
    auto patched = with_retries(
        [&] { return client_.patch(kEvent, agg.ns, agg.name, PatchType::kMerge, patch); });
    if (patched) {
      agg.count = patched->value("count", count);
      agg.last_seen = event.seen;
      aggregate_lru_.splice(aggregate_lru_.begin(), aggregate_lru_, agg.lru);
      return;
    }
    if (!is_not_found(patched.error())) {
      LogFields f = context;
      f.push_back({"error", patched.error().to_string()});
      log_.warn("cannot update event", f);
      return;
    }
    aggregate_lru_.erase(agg.lru);
    aggregates_.erase(it);
  } else if (it != aggregates_.end()) {
    aggregate_lru_.erase(it->second.lru);
    aggregates_.erase(it);
  }

  std::string name;
  auto created = create_event(event, ns, name);
  if (!created) {
    LogFields f = context;
    f.push_back({"error", created.error().to_string()});
    log_.warn("cannot create event", f);
    return;
  }
  aggregate_lru_.push_front(key);
  aggregates_.emplace(key, Aggregate{name, ns, 1, event.seen, aggregate_lru_.begin()});
  // Bounded, and entries past the aggregation window (which can never aggregate again) go too.
  while (!aggregate_lru_.empty() &&
         (aggregates_.size() > std::max<std::size_t>(config_.cache_size, 1) ||
          event.seen - aggregates_.at(aggregate_lru_.back()).last_seen >
              config_.aggregation_window)) {
    aggregates_.erase(aggregate_lru_.back());
    aggregate_lru_.pop_back();
  }
}

}  // namespace cairn::kube
