// FeedHub: shared release-feed pollers — subscriptions, the timer thread, lists on the worker
// pool, state changes, notifications, logs and metrics (feed_hub.h).
#include "controllers/feed_hub.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "sources/digest.h"

namespace cairn::controllers {
namespace {

constexpr std::size_t kLoggedTags = 10;
// When the pool still holds the previous list of a feed (it is between leaving our lock and
// leaving the pool), the timer tries again after this long.
constexpr std::chrono::milliseconds kResubmitDelay{10};
// The longest interval honoured: longer ones (a typo such as "10000h") are listed this often,
// which also keeps time-point arithmetic far from overflow.
constexpr std::chrono::milliseconds kMaxInterval = std::chrono::hours(24 * 30);

// A digest of every credential field, length-prefixed so that no two differing sets collide.
std::string credentials_digest(const sources::Credentials& c) {
  std::string text;
  for (const std::string* field : {&c.token, &c.username, &c.password, &c.ssh_private_key_file}) {
    text += std::to_string(field->size());
    text += ':';
    text += *field;
  }
  return sources::sha256_hex(text);
}

std::string feed_key(const sources::FeedUrl& url, const sources::Credentials& credentials) {
  return url.str() + " " + credentials_digest(credentials);
}

// The file-system and pool name of a feed: no URL characters, no credential digest.
std::string feed_id(const std::string& key) { return sources::sha256_hex(key).substr(0, 16); }

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

struct FeedHub::Entry {
  enum class Run { kIdle, kQueued, kRunning };

  std::string key;  // canonical URL + credentials digest
  std::string id;   // feed_id(key)
  sources::FeedUrl url;
  std::shared_ptr<sources::Feed> feed;
  std::map<std::string, std::chrono::milliseconds> subscribers;  // subscriber -> interval
  FeedState state;

  Run run = Run::kIdle;
  bool attempted = false;       // a list finished (either way)
  bool poll_requested = false;  // poll_now while idle or queued: due min_interval after start
  bool poll_after = false;      // poll_now while running: poll again after it
  TimePoint last_start{};
  TimePoint last_finish{};
  TimePoint not_before = TimePoint::min();  // rate-limit hold
};

FeedHub::FeedHub(FeedHubOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : kube::Clock::system()),
      pool_("feed-lists", options_.list_workers, options_.logger) {
  if (options_.min_interval < std::chrono::milliseconds(1)) {
    options_.min_interval = std::chrono::milliseconds(1);
  }
  if (options_.metrics != nullptr) {
    // Registered with the registry's default Merge behaviour: a second hub on one registry
    // gets the same families, so the gauge is moved by increments, never set.
    try {
      auto& lists = prometheus::BuildCounter()
                        .Name("cairn_feed_lists_total")
                        .Help("Lists of release feeds by the feed hub, by result")
                        .Register(options_.metrics->registry());
      lists_ok_metric_ = &lists.Add({{"result", "success"}});
      lists_error_metric_ = &lists.Add({{"result", "error"}});
      auto& feeds = prometheus::BuildGauge()
                        .Name("cairn_feeds")
                        .Help("Release feeds polled by the feed hub (feeds with subscribers)")
                        .Register(options_.metrics->registry());
      feeds_metric_ = &feeds.Add({});
    } catch (const std::exception& e) {
      lists_ok_metric_ = lists_error_metric_ = nullptr;
      feeds_metric_ = nullptr;
      options_.logger.warn("feed hub metrics not registered", {{"error", e.what()}});
    }
  }
  timer_ = std::thread([this] { run_timer(); });
}

FeedHub::~FeedHub() { stop(); }

void FeedHub::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  pool_.stop();
  std::lock_guard<std::mutex> lock(mu_);
  if (feeds_metric_ != nullptr) feeds_metric_->Decrement(static_cast<double>(feeds_.size()));
  feeds_.clear();
  subscribers_.clear();
}

sources::Result<FeedState> FeedHub::subscribe(const std::string& subscriber,
                                              const sources::FeedUrl& url,
                                              const sources::Credentials& credentials,
                                              std::chrono::milliseconds interval) {
  const std::string key = feed_key(url, credentials);
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_) {
    return sources::make_error(sources::ErrorKind::kConfig,
                               "feed " + url.str() + ": the feed hub is stopping");
  }
  if (auto sub = subscribers_.find(subscriber); sub != subscribers_.end() && sub->second != key) {
    remove_subscriber_locked(subscriber);
  }
  auto it = feeds_.find(key);
  if (it == feeds_.end()) {
    auto feed = open_locked(url, credentials, key);
    if (!feed) return tl::unexpected(feed.error());
    auto entry = std::make_shared<Entry>();
    entry->key = key;
    entry->id = feed_id(key);
    entry->url = url;
    entry->feed = std::move(*feed);
    it = feeds_.emplace(key, std::move(entry)).first;
    if (feeds_metric_ != nullptr) feeds_metric_->Increment();
  }
  it->second->subscribers[subscriber] = interval;
  subscribers_[subscriber] = key;
  FeedState state = it->second->state;
  lock.unlock();
  cv_.notify_all();  // a new feed is due now; a shorter interval may be due sooner
  return state;
}

void FeedHub::unsubscribe(const std::string& subscriber) {
  std::lock_guard<std::mutex> lock(mu_);
  remove_subscriber_locked(subscriber);
}

void FeedHub::remove_subscriber_locked(const std::string& subscriber) {
  auto sub = subscribers_.find(subscriber);
  if (sub == subscribers_.end()) return;
  auto it = feeds_.find(sub->second);
  subscribers_.erase(sub);
  if (it == feeds_.end()) return;
  it->second->subscribers.erase(subscriber);
  if (!it->second->subscribers.empty()) return;
  // A list in flight keeps its Entry alive and notices that it was dropped.
  feeds_.erase(it);
  if (feeds_metric_ != nullptr) feeds_metric_->Decrement();
}

sources::Result<std::shared_ptr<sources::Feed>> FeedHub::feed(
    const sources::FeedUrl& url, const sources::Credentials& credentials) {
  const std::string key = feed_key(url, credentials);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = feeds_.find(key); it != feeds_.end()) return it->second->feed;
  return open_locked(url, credentials, key);
}

sources::Result<std::shared_ptr<sources::Feed>> FeedHub::open_locked(
    const sources::FeedUrl& url, const sources::Credentials& credentials, const std::string& key) {
  for (auto it = open_feeds_.begin(); it != open_feeds_.end();) {
    it = it->second.expired() ? open_feeds_.erase(it) : std::next(it);
  }
  if (auto it = open_feeds_.find(key); it != open_feeds_.end()) {
    if (auto feed = it->second.lock()) return feed;
  }
  sources::FeedOptions feed_options = options_.feed_options;
  feed_options.credentials = credentials;
  if (!options_.work_dir.empty()) feed_options.work_dir = options_.work_dir / feed_id(key);
  auto opened = sources::open_feed(url, std::move(feed_options));
  if (!opened) return tl::unexpected(opened.error());
  std::shared_ptr<sources::Feed> feed(std::move(*opened));
  open_feeds_[key] = feed;
  return feed;
}

std::size_t FeedHub::poll_now(const std::function<bool(const sources::FeedUrl&)>& match) {
  std::size_t matched = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, entry] : feeds_) {
      if (!match(entry->url)) continue;
      ++matched;
      switch (entry->run) {
        case Entry::Run::kIdle:
          entry->poll_requested = true;
          break;
        case Entry::Run::kQueued:
          break;  // its list has not started: it sees the release
        case Entry::Run::kRunning:
          entry->poll_after = true;
          break;
      }
    }
  }
  if (matched > 0) cv_.notify_all();
  return matched;
}

FeedHub::Stats FeedHub::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.feeds = feeds_.size();
  s.subscribers = subscribers_.size();
  s.lists = lists_;
  s.list_errors = list_errors_;
  return s;
}

std::optional<FeedHub::TimePoint> FeedHub::due_locked(const Entry& entry) const {
  if (entry.run != Entry::Run::kIdle) return std::nullopt;
  if (!entry.attempted) return entry.not_before;  // a new feed: at once
  std::chrono::milliseconds interval = std::chrono::milliseconds::max();
  for (const auto& [subscriber, wanted] : entry.subscribers) interval = std::min(interval, wanted);
  interval =
      std::clamp(interval, options_.min_interval, std::max(kMaxInterval, options_.min_interval));
  TimePoint due = entry.last_finish + interval;
  if (entry.poll_requested) due = std::min(due, entry.last_start + options_.min_interval);
  return std::max(due, entry.not_before);
}

void FeedHub::run_timer() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const TimePoint now = clock_.now();
    std::optional<TimePoint> next;
    for (auto& [key, entry] : feeds_) {
      auto due = due_locked(*entry);
      if (!due) continue;
      if (*due <= now) {
        std::shared_ptr<Entry> e = entry;
        if (pool_.submit("list " + entry->id, [this, e] { list_feed(e); })) {
          entry->run = Entry::Run::kQueued;
          continue;
        }
        due = now + kResubmitDelay;
      }
      if (!next || *due < *next) next = *due;
    }
    if (next) {
      cv_.wait_for(lock, *next - now);
    } else {
      cv_.wait(lock);
    }
  }
}

void FeedHub::list_feed(const std::shared_ptr<Entry>& entry) {
  std::shared_ptr<sources::Feed> feed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entry->run = Entry::Run::kRunning;
    entry->poll_requested = false;
    entry->last_start = clock_.now();
    feed = entry->feed;
  }
  const auto result = feed->list();

  std::vector<std::string> notify;
  std::vector<std::string> added;
  std::size_t removed = 0;
  std::size_t tag_count = 0;
  bool tags_changed = false;
  bool recovered = false;
  bool error_changed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++lists_;
    if (!result) ++list_errors_;
    entry->attempted = true;
    entry->last_finish = clock_.now();
    entry->run = Entry::Run::kIdle;
    entry->poll_requested = entry->poll_after;
    entry->poll_after = false;
    entry->not_before = TimePoint::min();
    FeedState& state = entry->state;
    if (result) {
      const auto before = sorted(state.tags);
      const auto after = sorted(result->tags);
      tags_changed = !state.listed || before != after;
      if (tags_changed) {
        std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                            std::back_inserter(added));
        removed = before.size() + added.size() - after.size();
      }
      recovered = state.error.has_value();
      tag_count = result->tags.size();
      state.listed = true;
      state.tags = result->tags;
      state.error.reset();
      state.last_success = clock_.wall_now();
    } else {
      const sources::Error& e = result.error();
      error_changed =
          !state.error || state.error->kind != e.kind || state.error->message != e.message;
      state.error = e;
      if (e.kind == sources::ErrorKind::kRateLimited && e.retry_at) {
        const auto wait = *e.retry_at - clock_.wall_now();
        if (wait > decltype(wait)::zero()) {
          entry->not_before =
              entry->last_finish + std::chrono::duration_cast<std::chrono::nanoseconds>(wait);
        }
      }
    }
    auto current = feeds_.find(entry->key);
    if ((tags_changed || recovered || error_changed) && !stopping_ && current != feeds_.end() &&
        current->second == entry) {
      for (const auto& [subscriber, interval] : entry->subscribers) notify.push_back(subscriber);
    }
  }
  cv_.notify_all();  // the feed is idle again: the timer computes its next list

  if (result) {
    if (lists_ok_metric_ != nullptr) lists_ok_metric_->Increment();
    if (tags_changed) {
      nlohmann::json shown = nlohmann::json::array();
      for (std::size_t i = 0; i < added.size() && i < kLoggedTags; ++i) shown.push_back(added[i]);
      kube::LogFields fields = {{"feed", entry->url.str()},
                                {"tags", tag_count},
                                {"added", std::move(shown)},
                                {"addedCount", added.size()}};
      if (removed > 0) fields.push_back({"removedCount", removed});
      options_.logger.info("release feed tags changed", fields);
    }
    if (recovered) options_.logger.info("release feed listed again", {{"feed", entry->url.str()}});
  } else {
    if (lists_error_metric_ != nullptr) lists_error_metric_->Increment();
    const kube::LogFields fields = {
        {"feed", entry->url.str()},
        {"reason", std::string(sources::kind_name(result.error().kind))},
        {"error", result.error().message}};
    if (error_changed) {
      options_.logger.warn("release feed list failed", fields);
    } else {
      options_.logger.debug("release feed list failed again", fields);
    }
  }
  if (!notify.empty() && options_.notify) options_.notify(notify);
}

}  // namespace cairn::controllers
