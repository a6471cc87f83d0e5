// WorkQueue: the rate-limited work queue of cairn's controller runtime, with the semantics of
// client-go's workqueue.TypedRateLimitingInterface[string].
//
//   * De-duplication. A key is either absent, queued (ready to get), or processing. Adding a
//     queued key does nothing; adding a processing key marks it dirty and it is queued again
//     when the worker calls done(). So a key is handed to at most one worker at a time, and
//     every add() that happens after a get() of that key leads to another get().
//   * FIFO, in two lanes. Ready keys are handed out in the order they became ready, every key
//     of the front lane (add) before any of the background lane (add_background: periodic
//     resyncs, where nothing changed). An add() of a key pending in the background lane moves
//     it to the end of the front lane, so a change is never stuck behind a resync wave of
//     thousands of objects.
//   * Delays. add_after() holds a key until its ready time (real time, steady_clock), then
//     add()s it. A key waits at most once: a sooner add_after() moves it earlier, a later one is
//     ignored. As in client-go, add() does not cancel a waiting add_after() of the same key.
//   * Rate limiting. add_rate_limited() delays by ItemRateLimiter::when(key): per-key
//     exponential backoff combined with an overall token bucket; forget() resets a key's backoff
//     (call it when a key was processed successfully).
//   * Shutdown. After shut_down() every add is ignored, queued and delayed keys are dropped
//     and get() returns nullopt at once, also to blocked callers (client-go hands out the
//     queued rest first; here a stopping controller finishes its current work and nothing
//     more, and whoever runs next lists everything again anyway). A key re-added while it was
//     processing is dropped at its done(). shut_down_with_drain() does the same, then waits
//     until every key handed out is done().
//
// A worker loop:
//
//   while (std::optional<std::string> key = queue.get()) {
//     if (process(*key)) queue.forget(*key); else queue.add_rate_limited(*key);
//     queue.done(*key);
//   }
//
// Metrics (when WorkQueueOptions::name is non-empty), as client-go reports them, labelled
// name=<name>:
//   workqueue_depth                    keys added and not yet handed out (a key re-added while
//                                      processing counts from its add)
//   workqueue_adds_total               adds that were not already pending
//   workqueue_retries_total            add_rate_limited calls
//   workqueue_queue_duration_seconds   add to get
//   workqueue_work_duration_seconds    get to done
//   workqueue_unfinished_work_seconds, workqueue_longest_running_processor_seconds
//                                      updated on every get() and done() and every 500 ms (real
//                                      time) while keys are processing
// Durations are measured with the queue's Clock, like the rate limiter, so tests can check them
// exactly.
//
// Ownership: a WorkQueue owns one timer thread (delayed adds, periodic metrics), joined by the
// destructor. The Clock and Metrics passed in must outlive the queue. Every thread blocked in
// get() or shut_down_with_drain() must have returned before the queue is destroyed.
//
// Thread-safety: ItemRateLimiter and WorkQueue are thread-safe; every method may be called from
// any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "kube/clock.h"
#include "kube/metrics.h"

namespace cairn::kube {

// Per-item exponential backoff (base * 2^failures, capped) combined with an overall token
// bucket (qps, burst): the delay of a rate-limited add is the max of the two (client-go's
// DefaultControllerRateLimiter: 5 ms -> 1000 s, 10 qps, burst 100).
struct QueueRateLimits {
  std::chrono::nanoseconds base_delay{std::chrono::milliseconds(5)};
  std::chrono::nanoseconds max_delay{std::chrono::seconds(1000)};
  double qps = 10;  // <= 0 disables the bucket; at least one token a year
  int burst = 100;  // < 1 is taken as 1
};

// The rate limiter behind WorkQueue::add_rate_limited, usable on its own.
//
// when(key) records one failure of `key` and returns how long to wait before retrying it:
// max(base_delay * 2^(failures before this one), capped at max_delay; the token bucket's
// delay). The bucket starts full with `burst` tokens and refills at `qps` per second of
// clock time; every when() takes one token, borrowing from the future when the bucket is empty
// (golang.org/x/time/rate's Reserve), so with the bucket drained successive delays grow by
// 1/qps. All arithmetic is in integer nanoseconds of the Clock and saturates instead of
// overflowing, so the delays are exact and testable with a fake clock.
//
// Thread-safe. `clock` must outlive the limiter.
class ItemRateLimiter {
 public:
  ItemRateLimiter(QueueRateLimits limits, Clock& clock);
  ItemRateLimiter(const ItemRateLimiter&) = delete;
  ItemRateLimiter& operator=(const ItemRateLimiter&) = delete;

  // Records a failure of `key`; returns the delay before its retry (>= 0).
  std::chrono::nanoseconds when(const std::string& key);
  // Clears the failures of `key` (its next when() returns base_delay again, bucket allowing).
  // The bucket is shared by all keys and not affected.
  void forget(const std::string& key);
  // Failures recorded for `key` since it was last forgotten.
  int num_requeues(const std::string& key) const;

 private:
  const QueueRateLimits limits_;
  Clock& clock_;
  const std::int64_t interval_ns_;  // 1/qps in ns; 0 = no bucket
  const std::int64_t window_ns_;    // burst * interval: how far the bucket may run ahead
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
  // The bucket as a virtual schedule (GCRA): the clock time (ns) at which the bucket would be
  // full again; a take is free while it is no more than window_ns_ ahead of now.
  std::int64_t full_at_ns_;
};

struct WorkQueueOptions {
  std::string name;  // metrics label; "" = no metrics
  QueueRateLimits limits;
  Clock* clock = nullptr;      // nullptr = Clock::system(); for the rate limiter and metrics
  Metrics* metrics = nullptr;  // nullptr = Metrics::global() when name != ""
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options);
  // shut_down() and joins the timer thread.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` unless it is already queued; a key being processed is queued again when
  // done(). Ignored after shut_down.
  void add(const std::string& key);
  // Like add(), in the background lane: handed out only when no add()ed key is ready. A key
  // already pending (in either lane) stays where it is.
  void add_background(const std::string& key);
  // add(key) once `delay` has passed (at once when delay <= 0). When `key` is already waiting,
  // the earlier ready time wins. Ignored after shut_down.
  void add_after(const std::string& key, std::chrono::nanoseconds delay);
  // add_after(key, rate_limiter().when(key)); counts in workqueue_retries_total. Ignored (no
  // failure recorded) after shut_down.
  void add_rate_limited(const std::string& key);
  // Resets the backoff of `key` (ItemRateLimiter::forget).
  void forget(const std::string& key);
  int num_requeues(const std::string& key) const;

  // Blocks until a key is ready and hands it out; the caller must call done(key) when finished.
  // nullopt once the queue is shut down.
  std::optional<std::string> get();
  // Marks `key` (from get()) finished; queues it again if it was added meanwhile. A key that
  // is not being processed is ignored.
  void done(const std::string& key);

  // Stops intake; get() returns nullopt at once (blocked callers are woken); queued and
  // delayed keys are dropped. Keys already handed out may still be done(). Idempotent.
  void shut_down();
  // shut_down(), then waits until every key handed out has been done() (or until a plain
  // shut_down() is called meanwhile, which cancels the wait).
  void shut_down_with_drain();
  // The same with a deadline; returns true when all in-flight keys were done() in time.
  bool shut_down_with_drain(std::chrono::steady_clock::time_point deadline);
  bool shutting_down() const;

  // Keys ready to get (both lanes).
  std::size_t len() const;
  // Keys held by add_after / add_rate_limited, not yet ready.
  std::size_t waiting() const;
  // Keys handed out by get() and not yet done().
  std::size_t processing() const;

  ItemRateLimiter& rate_limiter() { return limiter_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  using WaitingMap = std::multimap<TimePoint, std::string>;

  void add_locked(const std::string& key, bool background = false);
  // Forgets dirty `key` without handing it out (shutdown); the caller removes it from queue_.
  void drop_locked(const std::string& key);
  void begin_shut_down_locked(bool drain);
  void update_unfinished_locked();
  void timer_loop();

  Clock& clock_;
  ItemRateLimiter limiter_;
  std::optional<WorkqueueMetrics> metrics_;

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;       // getters: a key was queued or shutdown began
  std::condition_variable drained_cv_;     // drainers: processing became empty or drain cancelled
  std::condition_variable timer_cv_;       // timer thread: earlier ready time, work began, stop
  std::deque<std::string> queue_;          // ready keys, FIFO; each also in dirty_
  // The background lane: ready keys, FIFO, each also in dirty_, with the entry of each key so
  // that an add() can move it to queue_.
  std::list<std::string> background_;
  std::unordered_map<std::string, std::list<std::string>::iterator> background_index_;
  // Keys re-added while processing by add_background only: done() queues them in background_.
  std::unordered_set<std::string> background_dirty_;
  std::unordered_set<std::string> dirty_;  // keys to be processed (queued or re-added)
  // Keys handed out, with the Clock time of their get() (for work_duration).
  std::unordered_map<std::string, TimePoint> processing_;
  std::unordered_map<std::string, TimePoint> added_at_;  // Clock time of add, for queue_duration
  // Delayed keys ordered by real ready time (equal times keep insertion order), and the entry
  // of each key so a sooner add_after can move it.
  WaitingMap waiting_;
  std::unordered_map<std::string, WaitingMap::iterator> waiting_index_;
  bool shutting_down_ = false;
  bool drain_ = false;
  bool stop_timer_ = false;
  std::thread timer_;
};

}  // namespace cairn::kube
