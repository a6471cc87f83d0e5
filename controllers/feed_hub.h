// FeedHub: one poller per release feed, shared by every ClusterStack that uses the feed, so N
// stacks on one feed cost one (conditional) list per interval instead of N.
//
// A subscriber ("namespace/name" of a ClusterStack) subscribes to one feed at a time, named by
// URL and credentials. Feeds are keyed by the canonical URL (FeedUrl::str()) plus a SHA-256
// digest of the credentials: stacks that reach one URL with different credentials get different
// Feed objects, so one stack's ETag, token or cached Git objects never serve another's request.
// A feed without subscribers is dropped.
//
// Scheduling: a new feed is listed at once; afterwards every min(interval of its subscribers),
// counted from the end of the previous list, never shorter than `min_interval` (also the
// least time between the starts of two lists of one feed, webhook-triggered ones included). A
// failed list is retried at the same interval, except that a rate-limited error that names a
// retry time (sources::Error::retry_at) holds every list of that feed, poll_now's too, until
// then. Intervals above 30 days count as 30 days. One timer thread sleeps until the next feed is
// due (woken by subscribe, poll_now and stop) and hands lists to a WorkerPool (key "list <feed
// id>", `list_workers` threads): a feed is never listed twice at once, and lists never run on the
// caller's thread.
//
// After a list whose outcome changed a feed's FeedState (first success, another tag set, an
// error that appeared, changed its message or cleared) `notify` is called on a pool thread with
// the feed's subscribers; the controller enqueues them and reads the state in its reconcile
// (subscribe returns it). Logs: info when a feed's tags change, warn when a list error appears
// or changes (repeats of one error at debug); they name the feed by URL, never credentials.
// Metrics (when `metrics` is set): cairn_feed_lists_total{result="success"|"error"} and the
// gauge cairn_feeds (summed over the hubs sharing a registry).
//
// Ownership: the hub owns its Feeds (shared with callers of feed()), its timer thread and its
// pool. `metrics`, `clock` and whatever `notify` refers to must outlive the hub. The destructor
// stops the timer, drops queued lists and joins the pool after the running lists return (a Git
// list has no timeout in libgit2 1.5, so it can take as long as the remote); no notify is made
// while stopping. Thread-safe: every method may be called from any thread, but not from
// `notify` or a `poll_now` matcher, which run under the hub's lock or on its threads and must
// be quick.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controllers/worker_pool.h"
#include "kube/clock.h"
#include "kube/log.h"
#include "kube/metrics.h"
#include "sources/error.h"
#include "sources/feed.h"
#include "sources/feed_url.h"

namespace cairn::controllers {

// What the hub knows about one feed.
struct FeedState {
  bool listed = false;                  // a list() succeeded at least once
  std::vector<std::string> tags;        // of the last successful list (all tags, unfiltered)
  std::optional<sources::Error> error;  // set when the LAST attempt failed (tags stay)
  std::chrono::system_clock::time_point last_success;  // zero (epoch) when never
};

struct FeedHubOptions {
  // Copied per feed; `credentials` replaced by the subscriber's, `work_dir` by work_dir/<id>.
  sources::FeedOptions feed_options;
  // Each feed's FeedOptions::work_dir is work_dir/<id> (16 hex digits of the feed key's
  // SHA-256). Empty: the feeds choose (a directory under the system temp directory).
  std::filesystem::path work_dir;
  int list_workers = 4;
  std::chrono::milliseconds min_interval{1000};
  // Called on a hub thread after a list that changed the feed's state, with the subscribers of
  // that feed. Must be quick (the controller enqueues the keys) and must not call the hub.
  std::function<void(const std::vector<std::string>& subscribers)> notify;
  kube::Logger logger = kube::Logger::root();
  kube::Metrics* metrics = nullptr;  // optional
  kube::Clock* clock = nullptr;      // nullptr: kube::Clock::system()
};

class FeedHub {
 public:
  explicit FeedHub(FeedHubOptions options);
  ~FeedHub();  // stops: joins its threads (see above)
  FeedHub(const FeedHub&) = delete;
  FeedHub& operator=(const FeedHub&) = delete;

  // Adds or updates the subscription of `subscriber`: a subscriber has one feed at a time, so a
  // new URL or new credentials move it (a feed left without subscribers is dropped). A new feed
  // is listed at once, asynchronously; a shorter interval takes effect at once. Returns the
  // feed's current state. Error: open_feed failed (e.g. a kConfig error); the subscriber then
  // has no feed at all (its old one no longer applies).
  sources::Result<FeedState> subscribe(const std::string& subscriber, const sources::FeedUrl& url,
                                       const sources::Credentials& credentials,
                                       std::chrono::milliseconds interval);
  void unsubscribe(const std::string& subscriber);

  // The shared Feed object of (url, credentials) for fetching releases: the one the poller
  // lists with while the feed is subscribed; otherwise opened on demand and kept as long as a
  // caller holds it (a second call meanwhile returns the same object).
  sources::Result<std::shared_ptr<sources::Feed>> feed(const sources::FeedUrl& url,
                                                       const sources::Credentials& credentials);

  // Webhook: schedules an immediate list (subject to min_interval and a rate-limit hold) of
  // every subscribed feed `match` accepts; returns how many feeds matched. A list already queued
  // is not doubled; a feed whose list is running is listed once more after it, because that list
  // may have started before the release was published. `match` runs under the hub's lock.
  std::size_t poll_now(const std::function<bool(const sources::FeedUrl&)>& match);

  struct Stats {
    std::size_t feeds = 0;  // feeds with subscribers
    std::size_t subscribers = 0;
    std::uint64_t lists = 0;        // lists completed since the hub started
    std::uint64_t list_errors = 0;  // of which failed
  };
  Stats stats() const;

 private:
  struct Entry;
  using TimePoint = std::chrono::steady_clock::time_point;

  void run_timer();
  void list_feed(const std::shared_ptr<Entry>& entry);
  std::optional<TimePoint> due_locked(const Entry& entry) const;
  void remove_subscriber_locked(const std::string& subscriber);
  sources::Result<std::shared_ptr<sources::Feed>> open_locked(
      const sources::FeedUrl& url, const sources::Credentials& credentials, const std::string& key);
  void stop();

  FeedHubOptions options_;
  kube::Clock& clock_;
  prometheus::Counter* lists_ok_metric_ = nullptr;
  prometheus::Counter* lists_error_metric_ = nullptr;
  prometheus::Gauge* feeds_metric_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // wakes the timer thread
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<Entry>> feeds_;  // subscribed feeds, by feed key
  std::map<std::string, std::string> subscribers_;       // subscriber -> feed key
  // Every Feed object handed out or listed with, by feed key: one object per key while used.
  std::map<std::string, std::weak_ptr<sources::Feed>> open_feeds_;
  std::uint64_t lists_ = 0;
  std::uint64_t list_errors_ = 0;

  WorkerPool pool_;  // after the state its tasks use; stopped explicitly in stop()
  std::thread timer_;
};

}  // namespace cairn::controllers
