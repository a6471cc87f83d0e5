#include "kube/workqueue.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <utility>

namespace cairn::kube {
namespace {

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();
// How often the timer thread refreshes the unfinished-work gauges while keys are processing.
constexpr auto kMetricsPeriod = std::chrono::milliseconds(500);
// The timer thread never waits longer than this in one go, which keeps far-away ready times
// away from the edge cases of converting huge deadlines.
constexpr auto kMaxTimerWait = std::chrono::hours(1);
// The longest token interval (a rate below one token a year is taken as one a year), which
// keeps burst * interval and the bucket's schedule far from overflowing.
constexpr std::int64_t kMaxIntervalNs = std::int64_t{365} * 24 * 3600 * 1'000'000'000;

// a + b for b >= 0, saturating at the maximum.
std::int64_t add_sat(std::int64_t a, std::int64_t b) { return a > kMaxNs - b ? kMaxNs : a + b; }

// a * b for a, b >= 0, saturating at the maximum.
std::int64_t mul_sat(std::int64_t a, std::int64_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kMaxNs / b ? kMaxNs : a * b;
}

std::int64_t interval_ns(double qps) {
  if (!(qps > 0)) return 0;
  const double ns = 1e9 / qps;
  if (ns >= static_cast<double>(kMaxIntervalNs)) return kMaxIntervalNs;
  // A rate above 2e9/s rounds to 0, i.e. no limit, which is what it amounts to anyway.
  return std::llround(ns);
}

double seconds(steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

ItemRateLimiter::ItemRateLimiter(QueueRateLimits limits, Clock& clock)
    : limits_(limits),
      clock_(clock),
      interval_ns_(interval_ns(limits.qps)),
      window_ns_(mul_sat(interval_ns_, std::max(limits.burst, 1))),
      full_at_ns_(nanoseconds(clock.now().time_since_epoch()).count()) {}

std::chrono::nanoseconds ItemRateLimiter::when(const std::string& key) {
  std::lock_guard lock(mu_);
  int& failures = failures_[key];
  const int exp = failures;
  if (failures < INT_MAX) ++failures;

  // base * 2^exp, capped: base << exp exceeds the cap exactly when base > cap >> exp.
  const std::int64_t base = std::max<std::int64_t>(limits_.base_delay.count(), 0);
  const std::int64_t cap = std::max<std::int64_t>(limits_.max_delay.count(), 0);
  std::int64_t backoff = 0;
  if (base > 0) backoff = (exp >= 63 || base > (cap >> exp)) ? cap : base << exp;

  std::int64_t bucket = 0;
  if (interval_ns_ > 0) {
    // Taking a token moves the time the bucket is full again one interval later; a take is
    // free while that time is at most `burst` intervals ahead, otherwise it waits the excess.
    const std::int64_t now = nanoseconds(clock_.now().time_since_epoch()).count();
    full_at_ns_ = add_sat(std::max(full_at_ns_, now), interval_ns_);
    bucket = std::max<std::int64_t>(full_at_ns_ - now - window_ns_, 0);
  }
  return nanoseconds(std::max(backoff, bucket));
}

void ItemRateLimiter::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

int ItemRateLimiter::num_requeues(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

WorkQueue::WorkQueue(WorkQueueOptions options)
    : clock_(options.clock != nullptr ? *options.clock : Clock::system()),
      limiter_(options.limits, clock_) {
  if (!options.name.empty()) {
    Metrics& metrics = options.metrics != nullptr ? *options.metrics : Metrics::global();
    metrics_ = metrics.workqueue(options.name);
  }
  timer_ = std::thread([this] { timer_loop(); });
}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard lock(mu_);
    begin_shut_down_locked(false);
    stop_timer_ = true;
    timer_cv_.notify_one();
  }
  timer_.join();
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  add_locked(key);
}

void WorkQueue::add_background(const std::string& key) {
  std::lock_guard lock(mu_);
  add_locked(key, true);
}

void WorkQueue::add_locked(const std::string& key, bool background) {
  if (shutting_down_) return;
  if (!dirty_.insert(key).second) {  // already queued, or re-added while processing
    if (background) return;
    background_dirty_.erase(key);
    if (auto it = background_index_.find(key); it != background_index_.end()) {
      background_.erase(it->second);
      background_index_.erase(it);
      queue_.push_back(key);
    }
    return;
  }
  if (metrics_) {
    metrics_->adds->Increment();
    metrics_->depth->Increment();
    added_at_.emplace(key, clock_.now());
  }
  if (processing_.count(key) != 0) {  // done() queues it
    if (background) background_dirty_.insert(key);
    return;
  }
  if (background) {
    background_index_.emplace(key, background_.insert(background_.end(), key));
  } else {
    queue_.push_back(key);
  }
  ready_cv_.notify_one();
}

void WorkQueue::add_after(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return;
  if (delay.count() <= 0) {
    add_locked(key);
    return;
  }
  const TimePoint now = steady_clock::now();
  const TimePoint ready = delay >= TimePoint::max() - now ? TimePoint::max() : now + delay;
  auto known = waiting_index_.find(key);
  if (known != waiting_index_.end()) {
    if (ready >= known->second->first) return;  // the earlier ready time wins
    waiting_.erase(known->second);
    waiting_index_.erase(known);
  }
  auto it = waiting_.emplace(ready, key);
  waiting_index_.emplace(key, it);
  if (it == waiting_.begin()) timer_cv_.notify_one();
}

void WorkQueue::add_rate_limited(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return;
  }
  const std::chrono::nanoseconds delay = limiter_.when(key);
  if (metrics_) metrics_->retries->Increment();
  add_after(key, delay);
}

void WorkQueue::forget(const std::string& key) { limiter_.forget(key); }

int WorkQueue::num_requeues(const std::string& key) const { return limiter_.num_requeues(key); }

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  ready_cv_.wait(lock,
                 [this] { return shutting_down_ || !queue_.empty() || !background_.empty(); });
  if (shutting_down_) return std::nullopt;
  std::string key;
  if (!queue_.empty()) {
    key = std::move(queue_.front());
    queue_.pop_front();
  } else {
    key = std::move(background_.front());
    background_.pop_front();
    background_index_.erase(key);
  }
  dirty_.erase(key);
  const bool was_idle = processing_.empty();
  const TimePoint now = metrics_ ? clock_.now() : TimePoint{};
  processing_.emplace(key, now);
  if (metrics_) {
    metrics_->depth->Decrement();
    auto added = added_at_.find(key);
    if (added != added_at_.end()) {
      metrics_->queue_duration->Observe(seconds(now - added->second));
      added_at_.erase(added);
    }
    update_unfinished_locked();
    if (was_idle) timer_cv_.notify_one();  // start the periodic gauge updates
  }
  return key;
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  if (metrics_) metrics_->work_duration->Observe(seconds(clock_.now() - it->second));
  processing_.erase(it);
  if (dirty_.count(key) != 0) {
    const bool background = background_dirty_.erase(key) != 0;
    if (shutting_down_) {
      drop_locked(key);
    } else if (background) {
      background_index_.emplace(key, background_.insert(background_.end(), key));
      ready_cv_.notify_one();
    } else {
      queue_.push_back(key);
      ready_cv_.notify_one();
    }
  }
  if (processing_.empty()) drained_cv_.notify_all();
  if (metrics_) update_unfinished_locked();
}

void WorkQueue::begin_shut_down_locked(bool drain) {
  shutting_down_ = true;
  drain_ = drain;
  for (const std::string& key : queue_) drop_locked(key);
  queue_.clear();
  for (const std::string& key : background_) drop_locked(key);
  background_.clear();
  background_index_.clear();
  waiting_.clear();
  waiting_index_.clear();
  ready_cv_.notify_all();
  drained_cv_.notify_all();  // a plain shut_down cancels a drain in progress
  timer_cv_.notify_one();
}

void WorkQueue::drop_locked(const std::string& key) {
  dirty_.erase(key);
  background_dirty_.erase(key);
  added_at_.erase(key);
  if (metrics_) metrics_->depth->Decrement();
}

void WorkQueue::shut_down() {
  std::lock_guard lock(mu_);
  begin_shut_down_locked(false);
}

void WorkQueue::shut_down_with_drain() {
  std::unique_lock lock(mu_);
  begin_shut_down_locked(true);
  drained_cv_.wait(lock, [this] { return processing_.empty() || !drain_; });
}

bool WorkQueue::shut_down_with_drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  begin_shut_down_locked(true);
  drained_cv_.wait_until(lock, deadline, [this] { return processing_.empty() || !drain_; });
  return processing_.empty();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard lock(mu_);
  return shutting_down_;
}

std::size_t WorkQueue::len() const {
  std::lock_guard lock(mu_);
  return queue_.size() + background_.size();
}

std::size_t WorkQueue::waiting() const {
  std::lock_guard lock(mu_);
  return waiting_.size();
}

std::size_t WorkQueue::processing() const {
  std::lock_guard lock(mu_);
  return processing_.size();
}

void WorkQueue::update_unfinished_locked() {
  const TimePoint now = clock_.now();
  double total = 0;
  double longest = 0;
  for (const auto& [key, started] : processing_) {
    const double running = seconds(now - started);
    total += running;
    longest = std::max(longest, running);
  }
  metrics_->unfinished_work_seconds->Set(total);
  metrics_->longest_running_processor_seconds->Set(longest);
}

void WorkQueue::timer_loop() {
  std::unique_lock lock(mu_);
  TimePoint next_metrics_update{};
  while (!stop_timer_) {
    const TimePoint now = steady_clock::now();
    while (!waiting_.empty() && waiting_.begin()->first <= now) {
      auto node = waiting_.extract(waiting_.begin());
      waiting_index_.erase(node.mapped());
      add_locked(node.mapped());
    }
    TimePoint deadline = now + kMaxTimerWait;
    if (!waiting_.empty()) deadline = std::min(deadline, waiting_.begin()->first);
    if (metrics_ && !processing_.empty()) {
      if (now >= next_metrics_update) {
        update_unfinished_locked();
        next_metrics_update = now + kMetricsPeriod;
      }
      deadline = std::min(deadline, next_metrics_update);
    }
    timer_cv_.wait_until(lock, deadline);
  }
}

}  // namespace cairn::kube
