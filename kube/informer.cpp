// Informer (kube/informer.h): the watcher thread (list, watch, backoff: the state machine) feeds
// a bounded queue of deltas; the informer thread applies them to the Cache and calls handlers.
#include "kube/informer.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "kube/detail/informer_backoff.h"
#include "kube/detail/informer_cache.h"

namespace cairn::kube {

namespace {

using SteadyClock = std::chrono::steady_clock;

// Watch events queued before the watcher waits for the informer thread to catch up.
constexpr std::size_t kQueueCapacity = 1024;
// A watch that delivered events or stayed open this long was healthy: when it ends or breaks,
// it is re-opened at once and the backoff starts again from its minimum.
constexpr std::chrono::seconds kHealthyWatch{10};
// How often a list restarts after its continue token expired (410) before it counts as failed.
constexpr int kMaxListRestarts = 3;
// Extra time beyond the requested watch timeout before a silent watch counts as dead.
constexpr std::chrono::seconds kWatchReadGrace{60};

using detail::meta_string;

class ClientListerWatcher final : public ListerWatcher {
 public:
  ClientListerWatcher(Client& client, GroupVersionKind gvk, std::string ns)
      : client_(client), gvk_(std::move(gvk)), ns_(std::move(ns)) {}

  Result<nlohmann::json> list(const ListOptions& options) override {
    return client_.list(gvk_, ns_, options);
  }
  Result<std::unique_ptr<WatchStream>> watch(const WatchOptions& options) override {
    return client_.watch(gvk_, ns_, options);
  }

 private:
  Client& client_;
  GroupVersionKind gvk_;
  std::string ns_;
};

// What the watcher hands to the informer thread.
struct Delta {
  enum class Kind { kUpsert, kDelete, kReplace, kAddHandler };
  Kind kind = Kind::kUpsert;
  ObjectPtr object;                               // kUpsert, kDelete
  std::vector<ObjectPtr> items;                   // kReplace: the complete new state
  std::shared_ptr<InformerEventHandler> handler;  // kAddHandler
};

}  // namespace

std::function<void(nlohmann::json& object)> strip_managed_fields() {
  return [](nlohmann::json& object) {
    if (!object.is_object()) return;
    auto meta = object.find("metadata");
    if (meta != object.end() && meta->is_object()) meta->erase("managedFields");
  };
}

const char* to_string(InformerState state) {
  switch (state) {
    case InformerState::kEmpty:
      return "Empty";
    case InformerState::kListing:
      return "Listing";
    case InformerState::kWatching:
      return "Watching";
    case InformerState::kBackoff:
      return "Backoff";
    case InformerState::kStopped:
      return "Stopped";
  }
  return "?";
}

const char* to_string(InformerInput input) {
  switch (input) {
    case InformerInput::kStart:
      return "Start";
    case InformerInput::kListed:
      return "Listed";
    case InformerInput::kListFailed:
      return "ListFailed";
    case InformerInput::kWatchEnded:
      return "WatchEnded";
    case InformerInput::kWatchFailed:
      return "WatchFailed";
    case InformerInput::kGone:
      return "Gone";
    case InformerInput::kRetryWatch:
      return "RetryWatch";
    case InformerInput::kRetryList:
      return "RetryList";
    case InformerInput::kStop:
      return "Stop";
  }
  return "?";
}

std::optional<InformerState> informer_transition(InformerState from, InformerInput input) {
  using S = InformerState;
  using I = InformerInput;
  struct Row {
    S from;
    I input;
    S to;
  };
  static constexpr Row kTable[] = {
      {S::kEmpty, I::kStart, S::kListing},          {S::kListing, I::kListed, S::kWatching},
      {S::kListing, I::kListFailed, S::kBackoff},   {S::kWatching, I::kWatchEnded, S::kWatching},
      {S::kWatching, I::kWatchFailed, S::kBackoff}, {S::kWatching, I::kGone, S::kListing},
      {S::kBackoff, I::kRetryWatch, S::kWatching},  {S::kBackoff, I::kRetryList, S::kListing},
  };
  if (input == I::kStop) {
    if (from == S::kStopped) return std::nullopt;
    return S::kStopped;
  }
  for (const Row& row : kTable) {
    if (row.from == from && row.input == input) return row.to;
  }
  return std::nullopt;
}

std::unique_ptr<ListerWatcher> client_lister_watcher(Client& client, GroupVersionKind gvk,
                                                     std::string ns) {
  return std::make_unique<ClientListerWatcher>(client, std::move(gvk), std::move(ns));
}

struct Informer::Impl {
  Impl(std::unique_ptr<ListerWatcher> src, InformerOptions opts)
      : source(std::move(src)),
        options(std::move(opts)),
        logger(options.logger.with("kind", options.gvk.kind)),
        writer(cache),
        backoff(options.min_backoff, options.max_backoff, std::random_device{}()),
        rng(std::random_device{}()) {
    writer.set_logger(logger);
  }

  // ------------------------------------------------------------------ watcher thread

  void transition(InformerInput input) {
    const InformerState from = state.load();
    auto to = informer_transition(from, input);
    if (!to) {
      logger.error("invalid informer transition",
                   {{"state", to_string(from)}, {"input", to_string(input)}});
      return;
    }
    state.store(*to);
  }

  void run_watcher() {
    // What a backoff leads to: re-watch from `rv`, or list again.
    InformerInput after_backoff = InformerInput::kRetryList;
    for (;;) {
      if (stop_requested.load()) {
        transition(InformerInput::kStop);
        return;
      }
      switch (state.load()) {
        case InformerState::kListing: {
          const Outcome out = list();
          if (out == Outcome::kStopped) break;
          if (out == Outcome::kOk) {
            transition(InformerInput::kListed);
          } else {
            after_backoff = InformerInput::kRetryList;
            transition(InformerInput::kListFailed);
          }
          break;
        }
        case InformerState::kWatching: {
          const Outcome out = watch();
          if (out == Outcome::kStopped) break;
          if (out == Outcome::kEnded) {
            transition(InformerInput::kWatchEnded);
          } else if (out == Outcome::kFailed) {
            after_backoff = InformerInput::kRetryWatch;
            transition(InformerInput::kWatchFailed);
          } else {
            relists_after_gone.fetch_add(1);
            if (progressed_since_list) {
              logger.info("watch expired (410), relisting", {{"resourceVersion", rv}});
              transition(InformerInput::kGone);
            } else {
              // Gone again before any progress: relist only after a backoff, so that a server
              // whose history is shorter than our list-to-watch gap is not hammered.
              logger.info("watch expired (410) right after a list, relisting after a backoff",
                          {{"resourceVersion", rv}});
              after_backoff = InformerInput::kRetryList;
              transition(InformerInput::kWatchFailed);
            }
          }
          break;
        }
        case InformerState::kBackoff: {
          const std::chrono::milliseconds delay = backoff.next();
          logger.debug("backing off",
                       {{"delayMs", delay.count()}, {"failures", backoff.failures()}});
          if (wait_for_stop(delay)) break;
          transition(after_backoff);
          break;
        }
        case InformerState::kEmpty:
        case InformerState::kStopped:
          return;
      }
    }
  }

  enum class Outcome { kOk, kEnded, kFailed, kGone, kStopped };

  ObjectPtr make_object(nlohmann::json&& object) {
    if (object.is_object()) {
      // Items of built-in lists may omit apiVersion and kind; watch events carry them.
      if (!object.contains("apiVersion")) object["apiVersion"] = options.gvk.api_version();
      if (!object.contains("kind")) object["kind"] = options.gvk.kind;
    }
    if (options.transform) {
      try {
        options.transform(object);
      } catch (const std::exception& e) {
        logger.error("transform failed", {{"error", e.what()}});
      } catch (...) {
        logger.error("transform failed", {{"error", "unknown exception"}});
      }
    }
    return std::make_shared<const nlohmann::json>(std::move(object));
  }

  // A complete (paged) list, queued as one kReplace delta.
  Outcome list() {
    ListOptions list_options;
    list_options.label_selector = options.label_selector;
    list_options.field_selector = options.field_selector;
    list_options.limit = options.page_size;
    std::vector<ObjectPtr> items;
    std::string list_rv;
    int restarts = 0;
    for (bool complete = false; !complete;) {
      items.clear();
      list_options.continue_token.clear();
      for (;;) {
        if (stop_requested.load()) return Outcome::kStopped;
        auto page = source->list(list_options);
        if (!page) {
          if (stop_requested.load()) return Outcome::kStopped;
          if (is_gone(page.error()) && !list_options.continue_token.empty() &&
              restarts < kMaxListRestarts) {
            ++restarts;
            logger.info("list continue token expired, listing again");
            break;
          }
          logger.warn("list failed", {{"error", page.error().to_string()}});
          return Outcome::kFailed;
        }
        nlohmann::json& body = *page;
        if (list_options.continue_token.empty()) list_rv = meta_string(body, "resourceVersion");
        auto found = body.find("items");
        if (found != body.end() && found->is_array()) {
          items.reserve(items.size() + found->size());
          for (auto& item : *found) items.push_back(make_object(std::move(item)));
        }
        std::string token = meta_string(body, "continue");
        if (token.empty()) {
          complete = true;
          break;
        }
        list_options.continue_token = std::move(token);
      }
    }
    const std::size_t count = items.size();
    Delta delta;
    delta.kind = Delta::Kind::kReplace;
    delta.items = std::move(items);
    lists.fetch_add(1);
    if (!push(std::move(delta))) return Outcome::kStopped;
    rv = list_rv;
    progressed_since_list = false;
    logger.debug("listed", {{"objects", count}, {"resourceVersion", rv}});
    return Outcome::kOk;
  }

  // One watch from `rv`, until it ends, breaks or is cancelled.
  Outcome watch() {
    WatchOptions watch_options;
    watch_options.label_selector = options.label_selector;
    watch_options.field_selector = options.field_selector;
    watch_options.resource_version = rv;
    watch_options.allow_bookmarks = true;
    const auto min_timeout = std::min(options.min_watch_timeout, options.max_watch_timeout);
    std::uniform_int_distribution<std::int64_t> timeout_dist(min_timeout.count(),
                                                             options.max_watch_timeout.count());
    const std::chrono::seconds timeout(timeout_dist(rng));
    watch_options.timeout_seconds = static_cast<int>(timeout.count());
    watch_options.read_timeout = timeout + kWatchReadGrace;

    auto opened = source->watch(watch_options);
    if (!opened) {
      if (stop_requested.load()) return Outcome::kStopped;
      if (is_gone(opened.error())) return Outcome::kGone;
      logger.info("watch failed", {{"error", opened.error().to_string()}, {"resourceVersion", rv}});
      return Outcome::kFailed;
    }
    std::unique_ptr<WatchStream> stream = std::move(*opened);
    {
      std::lock_guard lock(mu);
      if (stopping) return Outcome::kStopped;
      open_watch = stream.get();
    }
    watches.fetch_add(1);
    const auto opened_at = SteadyClock::now();
    bool delivered = false;
    Outcome outcome = Outcome::kEnded;
    for (;;) {
      auto next = stream->next();
      if (!next) {
        const Error& e = next.error();
        if (stop_requested.load()) {
          outcome = Outcome::kStopped;
        } else if (is_gone(e)) {
          outcome = Outcome::kGone;
        } else if (e.kind == ErrorKind::kApi || e.kind == ErrorKind::kDecode) {
          logger.info("watch error", {{"error", e.to_string()}, {"resourceVersion", rv}});
          outcome = Outcome::kFailed;
        } else {
          const bool healthy = delivered || SteadyClock::now() - opened_at >= kHealthyWatch;
          logger.debug("watch broke", {{"error", e.to_string()}, {"resourceVersion", rv}});
          outcome = healthy ? Outcome::kEnded : Outcome::kFailed;
        }
        break;
      }
      if (!*next) {
        const bool healthy = delivered || SteadyClock::now() - opened_at >= kHealthyWatch;
        outcome = healthy ? Outcome::kEnded : Outcome::kFailed;
        break;
      }
      WatchEvent& event = **next;
      delivered = true;
      std::string event_rv = event.resource_version();
      if (!event_rv.empty()) rv = std::move(event_rv);
      if (event.type == EventType::kBookmark) continue;
      Delta delta;
      delta.kind = event.type == EventType::kDeleted ? Delta::Kind::kDelete : Delta::Kind::kUpsert;
      delta.object = make_object(std::move(event.object));
      if (!push(std::move(delta))) {
        outcome = Outcome::kStopped;
        break;
      }
      progressed_since_list = true;
    }
    {
      std::lock_guard lock(mu);
      open_watch = nullptr;
    }
    if (outcome == Outcome::kEnded) backoff.reset();
    return outcome;
  }

  // Queues a delta for the informer thread, waiting while the queue is full. False once stopping.
  bool push(Delta delta) {
    std::unique_lock lock(mu);
    space_cv.wait(lock, [this] { return stopping || queued_events < kQueueCapacity; });
    if (stopping) return false;
    queue.push_back(std::move(delta));
    ++queued_events;
    work_cv.notify_one();
    return true;
  }

  // Waits `delay` unless stop() comes first; true when stopping.
  bool wait_for_stop(std::chrono::milliseconds delay) {
    std::unique_lock lock(mu);
    stop_cv.wait_for(lock, delay, [this] { return stopping; });
    return stopping;
  }

  // ------------------------------------------------------------------ informer thread

  void run_processor() {
    std::deque<Delta> batch;
    for (;;) {
      {
        std::unique_lock lock(mu);
        auto ready = [this] { return stopping || !queue.empty(); };
        if (next_resync) {
          work_cv.wait_until(lock, *next_resync, ready);
        } else {
          work_cv.wait(lock, ready);
        }
        if (stopping) return;
        batch.swap(queue);
        queued_events = 0;
        space_cv.notify_one();
      }
      for (Delta& delta : batch) {
        if (stop_requested.load()) return;
        apply(delta);
      }
      batch.clear();
      if (next_resync && SteadyClock::now() >= *next_resync) {
        resync();
        next_resync = SteadyClock::now() + options.resync_period;
      }
    }
  }

  void apply(Delta& delta) {
    switch (delta.kind) {
      case Delta::Kind::kUpsert:
        upsert(std::move(delta.object));
        events.fetch_add(1, std::memory_order_relaxed);
        break;
      case Delta::Kind::kDelete:
        remove(std::move(delta.object));
        events.fetch_add(1, std::memory_order_relaxed);
        break;
      case Delta::Kind::kReplace:
        replace(std::move(delta.items));
        if (!synced.load()) {
          {
            std::lock_guard lock(mu);
            synced.store(true);
          }
          sync_cv.notify_all();
          if (options.resync_period.count() > 0) {
            next_resync = SteadyClock::now() + options.resync_period;
          }
          logger.info("informer synced", {{"objects", cache.size()}});
        }
        break;
      case Delta::Kind::kAddHandler:
        if (synced.load()) {
          for (const ObjectPtr& object : cache.list()) call_add(*delta.handler, object);
        }
        handlers.push_back(std::move(delta.handler));
        break;
    }
  }

  static bool same_uid(const nlohmann::json& a, const nlohmann::json& b) {
    const std::string& ua = meta_string(a, "uid");
    const std::string& ub = meta_string(b, "uid");
    return ua.empty() || ub.empty() || ua == ub;
  }

  // Applies the new state of one object: add, update when its resourceVersion changed (an equal
  // one is a duplicate), or delete + add when its uid changed (deleted and recreated).
  void upsert(ObjectPtr object, const ObjectKey* known_key = nullptr) {
    const ObjectKey key = known_key != nullptr ? *known_key : ObjectKey::of(*object);
    ObjectPtr old = cache.get(key);
    if (!old) {
      writer.put(key, object);
      notify_add(object);
      return;
    }
    if (!same_uid(*old, *object)) {
      writer.remove(key);
      notify_delete(old);
      writer.put(key, object);
      notify_add(object);
      return;
    }
    if (meta_string(*old, "resourceVersion") == meta_string(*object, "resourceVersion")) return;
    writer.put(key, object);
    notify_update(old, object);
  }

  // A DELETED event: the handlers get the event's object (the final state).
  void remove(ObjectPtr object) {
    if (!writer.remove(ObjectKey::of(*object))) return;
    notify_delete(object);
  }

  // A list result: diffed against the cache, so that only changes reach the handlers.
  void replace(std::vector<ObjectPtr> items) {
    std::vector<std::pair<ObjectKey, ObjectPtr>> incoming;
    incoming.reserve(items.size());
    for (ObjectPtr& object : items) {
      ObjectKey key = ObjectKey::of(*object);
      incoming.emplace_back(std::move(key), std::move(object));
    }
    items.clear();
    items.shrink_to_fit();
    std::sort(incoming.begin(), incoming.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    // Keys that are gone (cache keys are sorted, like `incoming`).
    std::size_t i = 0;
    for (const ObjectKey& key : cache.keys()) {
      while (i < incoming.size() && incoming[i].first < key) ++i;
      if (i < incoming.size() && incoming[i].first == key) continue;
      if (ObjectPtr old = writer.remove(key)) notify_delete(old);
    }
    for (auto& [key, object] : incoming) upsert(std::move(object), &key);
  }

  void resync() {
    for (const ObjectPtr& object : cache.list()) {
      for (const auto& handler : handlers) call_update(*handler, object, object);
    }
  }

  void notify_add(const ObjectPtr& object) {
    for (const auto& handler : handlers) call_add(*handler, object);
  }
  void notify_update(const ObjectPtr& old_object, const ObjectPtr& object) {
    for (const auto& handler : handlers) call_update(*handler, old_object, object);
  }
  void notify_delete(const ObjectPtr& object) {
    for (const auto& handler : handlers) {
      if (handler->on_delete) guarded("on_delete", [&] { handler->on_delete(object); });
    }
  }
  void call_add(const InformerEventHandler& handler, const ObjectPtr& object) {
    if (handler.on_add) guarded("on_add", [&] { handler.on_add(object); });
  }
  void call_update(const InformerEventHandler& handler, const ObjectPtr& old_object,
                   const ObjectPtr& object) {
    if (handler.on_update) guarded("on_update", [&] { handler.on_update(old_object, object); });
  }

  template <class F>
  void guarded(const char* what, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      logger.error("event handler failed", {{"handler", what}, {"error", e.what()}});
    } catch (...) {
      logger.error("event handler failed", {{"handler", what}, {"error", "unknown exception"}});
    }
  }

  // ------------------------------------------------------------------ state

  std::unique_ptr<ListerWatcher> source;
  InformerOptions options;
  Logger logger;
  Cache cache;
  detail::CacheWriter writer;

  std::atomic<InformerState> state{InformerState::kEmpty};
  std::atomic<bool> synced{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint64_t> lists{0};
  std::atomic<std::uint64_t> watches{0};
  std::atomic<std::uint64_t> relists_after_gone{0};
  std::atomic<std::uint64_t> events{0};

  // Guards the queue, the flags below and open_watch.
  std::mutex mu;
  std::condition_variable work_cv;   // informer thread: queue not empty, or stopping
  std::condition_variable space_cv;  // watcher: queue has room, or stopping
  std::condition_variable stop_cv;   // backoff waits: stopping
  std::condition_variable sync_cv;   // wait_for_sync: synced, or stopping
  std::deque<Delta> queue;
  std::size_t queued_events = 0;
  bool started = false;
  bool stopping = false;
  bool processor_running = false;
  WatchStream* open_watch = nullptr;

  std::mutex join_mu;  // serialises stop()
  std::thread watcher_thread;
  std::thread processor_thread;

  // Watcher thread only.
  std::string rv;
  bool progressed_since_list = false;
  detail::Backoff backoff;
  std::mt19937 rng;

  // Informer thread only once started (before: under mu).
  std::vector<std::shared_ptr<InformerEventHandler>> handlers;
  std::optional<SteadyClock::time_point> next_resync;
};

Informer::Informer(Client& client, InformerOptions options) {
  auto source = client_lister_watcher(client, options.gvk, options.ns);
  impl_ = std::make_unique<Impl>(std::move(source), std::move(options));
}

Informer::Informer(std::unique_ptr<ListerWatcher> source, InformerOptions options)
    : impl_(std::make_unique<Impl>(std::move(source), std::move(options))) {}

Informer::~Informer() { stop(); }

void Informer::add_index(std::string name, IndexFunc func) {
  impl_->writer.add_index(std::move(name), std::move(func));
}

void Informer::add_handler(InformerEventHandler handler) {
  auto shared = std::make_shared<InformerEventHandler>(std::move(handler));
  std::lock_guard lock(impl_->mu);
  if (!impl_->processor_running) {
    impl_->handlers.push_back(std::move(shared));
    return;
  }
  Delta delta;
  delta.kind = Delta::Kind::kAddHandler;
  delta.handler = std::move(shared);
  impl_->queue.push_back(std::move(delta));
  impl_->work_cv.notify_one();
}

void Informer::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopping) return;
  impl_->started = true;
  impl_->processor_running = true;
  impl_->transition(InformerInput::kStart);
  impl_->processor_thread = std::thread([impl = impl_.get()] { impl->run_processor(); });
  impl_->watcher_thread = std::thread([impl = impl_.get()] { impl->run_watcher(); });
}

void Informer::stop() {
  std::lock_guard join_lock(impl_->join_mu);
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
    impl_->stop_requested.store(true);
    if (impl_->open_watch != nullptr) impl_->open_watch->cancel();
  }
  impl_->work_cv.notify_all();
  impl_->space_cv.notify_all();
  impl_->stop_cv.notify_all();
  impl_->sync_cv.notify_all();
  if (impl_->watcher_thread.joinable()) impl_->watcher_thread.join();
  if (impl_->processor_thread.joinable()) impl_->processor_thread.join();
  std::lock_guard lock(impl_->mu);
  impl_->processor_running = false;
  impl_->queue.clear();
  if (impl_->state.load() != InformerState::kStopped) impl_->transition(InformerInput::kStop);
}

bool Informer::has_synced() const { return impl_->synced.load(); }

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  impl_->sync_cv.wait_for(lock, timeout,
                          [this] { return impl_->synced.load() || impl_->stopping; });
  return impl_->synced.load();
}

const Cache& Informer::cache() const { return impl_->cache; }

InformerState Informer::state() const { return impl_->state.load(); }

const InformerOptions& Informer::options() const { return impl_->options; }

Informer::Stats Informer::stats() const {
  Stats s;
  s.lists = impl_->lists.load();
  s.watches = impl_->watches.load();
  s.relists_after_gone = impl_->relists_after_gone.load();
  s.events = impl_->events.load();
  return s;
}

}  // namespace cairn::kube
