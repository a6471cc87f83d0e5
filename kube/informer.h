// Informer: a list+watch cache of one kind, with indexes and event handlers (spec
// ../../shared/design/kube-api.md §11 and §20 item 4; modelled on client-go's SharedInformer and
// kube-rs' watcher).
//
// An Informer lists the kind (paged), then watches from the list's resourceVersion with
// bookmarks. A watch that ends or breaks after it was healthy (it delivered an event, or stayed
// open 10 s) is re-opened at once from the last resourceVersion seen; one that could not be
// opened, failed quickly or got an error status is retried after an exponential backoff with
// jitter. 410 Gone (as HTTP status or as a watch ERROR event) makes it list again (after a
// backoff when no event arrived since the previous list); the new list is diffed against the
// cache so that handlers see only what changed. Its life is the explicit state machine
// `informer_transition` below (empty -> listing -> watching; 410 -> relist; other errors ->
// backoff -> re-watch).
//
// Two threads per started informer: the *watcher* talks to the API server and queues what it
// read (bounded: a slow handler slows the watch down, and a server that drops slow watchers makes
// it relist); the *informer thread* applies the queue to the Cache and calls the handlers, in
// order, after the cache was updated, and also runs the periodic resync. Handlers see each
// change of an object exactly once and in resourceVersion order, across reconnects, server
// restarts and relists (changes made while the informer was not watching may arrive coalesced).
//
// Memory: each object is parsed once and kept once (ObjectPtr, shared with handlers and callers);
// indexes hold pointers to keys, never copies of objects.
//
// Ownership and thread-safety: the Client (or ListerWatcher) must outlive the Informer. The
// Cache and every Informer method are thread-safe, except add_index(), which must precede
// start(). Objects handed out are immutable and may be kept after the informer is gone.
#pragma once

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/client.h"
#include "kube/error.h"
#include "kube/log.h"

namespace cairn::kube {

// A cached object. Immutable; shared between the cache, handlers and readers.
using ObjectPtr = std::shared_ptr<const nlohmann::json>;

// The identity of an object within one kind: namespace and name ("" namespace for
// cluster-scoped objects). Ordered by namespace, then name.
struct ObjectKey {
  std::string ns;
  std::string name;

  // "ns/name", or "name" for cluster-scoped objects.
  std::string str() const;
  // metadata.namespace and metadata.name of `object` (each "" when absent).
  static ObjectKey of(const nlohmann::json& object);
  // Inverse of str(): the text before the first '/' is the namespace.
  static ObjectKey parse(std::string_view key);
  auto operator<=>(const ObjectKey&) const = default;
};

// A parsed Kubernetes label selector (kube syntax: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
// `k notin (a)`, `k`, `!k`, comma-separated and ANDed; spaces allowed around operators). The
// empty selector matches everything. Immutable value; thread-safe.
class LabelSelector {
 public:
  LabelSelector() = default;
  // kConfig error naming the offending text when `text` is not a valid selector.
  static Result<LabelSelector> parse(std::string_view text);
  // `labels` is an object of string values (metadata.labels); null or absent = no labels.
  bool matches(const nlohmann::json& labels) const;
  // Matches the labels of `object` (metadata.labels).
  bool matches_object(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }

 private:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;  // one for = and !=, the set for in / notin
  };
  friend class SelectorParser;
  std::vector<Requirement> requirements_;
};

// Values under which an object is indexed (e.g. every owner uid). Must be a pure function of the
// object (the cache recomputes it to unindex an object); an exception is logged and treated as
// no values.
using IndexFunc = std::function<std::vector<std::string>(const nlohmann::json& object)>;

// Built-in indexes (always present).
inline constexpr const char* kIndexNamespace = "namespace";  // metadata.namespace ("" = cluster)
inline constexpr const char* kIndexOwnerUid = "owner-uid";   // every ownerReferences[].uid
inline constexpr const char* kIndexLabel = "label";          // "key=value" per label

namespace detail {
class CacheWriter;
}

// The read side of an informer: the objects of the watched kind by key, plus indexes.
// Thread-safe (a reader-writer lock; the informer thread is the only writer). Results are
// snapshots: they do not change when the cache does.
class Cache {
 public:
  Cache();
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The object under `key`; nullptr when absent.
  ObjectPtr get(const ObjectKey& key) const;
  // The objects of namespace `ns` ("" = all objects), sorted by key.
  std::vector<ObjectPtr> list(const std::string& ns = "") const;
  // Those of list(ns) whose labels match `label_selector`; kConfig error when it does not parse.
  Result<std::vector<ObjectPtr>> list(const std::string& ns,
                                      const std::string& label_selector) const;
  std::vector<ObjectPtr> list(const std::string& ns, const LabelSelector& selector) const;
  // The objects indexed under `value` by index `index`, sorted by key; empty for an unknown
  // index. By kIndexNamespace, "" gives the cluster-scoped objects.
  std::vector<ObjectPtr> by_index(const std::string& index, const std::string& value) const;
  // The keys indexed under `value` by `index`, sorted.
  std::vector<ObjectKey> keys_by_index(const std::string& index, const std::string& value) const;
  // Every key, sorted.
  std::vector<ObjectKey> keys() const;
  std::size_t size() const;

 private:
  friend class detail::CacheWriter;

  // Orders index postings by the key they point to (keys live in `objects_`, whose nodes are
  // stable until erased).
  struct KeyPtrLess {
    using is_transparent = void;
    bool operator()(const ObjectKey* a, const ObjectKey* b) const { return *a < *b; }
  };
  using Postings = std::set<const ObjectKey*, KeyPtrLess>;
  struct Index {
    IndexFunc func;
    std::unordered_map<std::string, Postings> values;
  };

  // Calls visit(entry of objects_) for every object indexed under (index, value), in key
  // order; the caller holds mu_.
  template <class Visit>
  void visit_index(const std::string& index, const std::string& value, Visit visit) const;

  mutable std::shared_mutex mu_;
  std::map<ObjectKey, ObjectPtr> objects_;
  // Extra indexes by name (kIndexNamespace is served from `objects_`, which is ordered by
  // namespace first, so it costs no memory).
  std::map<std::string, Index, std::less<>> indexes_;
  Logger logger_ = Logger::root();
};

// Callbacks for cache changes; each may be empty. They run on the informer thread, one at a
// time, in order, after the cache was updated; an exception is caught and logged.
struct InformerEventHandler {
  std::function<void(const ObjectPtr& object)> on_add;
  // A change (old and new differ in resourceVersion), or a periodic resync (the same pointer
  // twice).
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& object)> on_update;
  // The object's final state (from the DELETED event), or the last state the cache had when
  // the deletion was noticed by a relist.
  std::function<void(const ObjectPtr& last_known)> on_delete;
};

// A transform that removes metadata.managedFields (most controllers never read it, and it is
// often the larger part of a small object).
std::function<void(nlohmann::json& object)> strip_managed_fields();

struct InformerOptions {
  GroupVersionKind gvk;
  std::string ns;  // "" = all namespaces (or a cluster-scoped kind)
  std::string label_selector;
  std::string field_selector;
  std::chrono::milliseconds resync_period{0};  // 0 = no periodic resync
  std::int64_t page_size = 500;                // list page size (limit); 0 = unpaged
  // Backoff after errors (failed list, a watch that could not be opened or failed quickly):
  // doubles from min to max per consecutive failure, each wait drawn from [d/2, d].
  std::chrono::milliseconds min_backoff{800};
  std::chrono::milliseconds max_backoff{30000};
  // Each watch asks the server to end it after a random time in [min, max] (timeoutSeconds).
  std::chrono::seconds min_watch_timeout{300};
  std::chrono::seconds max_watch_timeout{600};
  // Applied to every object before it is cached (list items and watch events). The default drops
  // metadata.managedFields, which controllers do not read and which is most of the memory a
  // small object takes (bench/informer_bench: ~1.7 KiB RSS per ConfigMap); set it to nullptr to
  // cache objects exactly as served. Must not throw.
  std::function<void(nlohmann::json& object)> transform = strip_managed_fields();
  Logger logger = Logger::root();
};

// The informer's life. kEmpty: not started. kListing: listing (again). kWatching: watching, or
// about to re-open a watch. kBackoff: waiting after an error. kStopped: stop() was called
// (terminal).
enum class InformerState { kEmpty, kListing, kWatching, kBackoff, kStopped };

// What happens to an informer.
enum class InformerInput {
  kStart,        // start()
  kListed,       // the list completed
  kListFailed,   // the list failed (not 410 on a continue token, which restarts the list)
  kWatchEnded,   // the watch ended or broke after it was healthy: re-open it at once
  kWatchFailed,  // the watch could not be opened or failed quickly: back off
  kGone,         // 410 from the watch: relist
  kRetryWatch,   // the backoff elapsed and the last resourceVersion is usable
  kRetryList,    // the backoff elapsed and a (re)list is needed
  kStop,         // stop()
};

const char* to_string(InformerState state);
const char* to_string(InformerInput input);

// The transition table: the next state, or nullopt when `input` cannot happen in `from`.
std::optional<InformerState> informer_transition(InformerState from, InformerInput input);

// Where an informer lists and watches. The default (client_lister_watcher) uses a Client; tests
// and benchmarks may substitute another. Called from the watcher thread only; the returned
// WatchStream's cancel() may be called from any thread.
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // One page of the collection (a <Kind>List object).
  virtual Result<nlohmann::json> list(const ListOptions& options) = 0;
  virtual Result<std::unique_ptr<WatchStream>> watch(const WatchOptions& options) = 0;
};

// Lists and watches `gvk` in `ns` ("" = all) through `client`, which must outlive it.
std::unique_ptr<ListerWatcher> client_lister_watcher(Client& client, GroupVersionKind gvk,
                                                     std::string ns);

class Informer {
 public:
  // Lists and watches options.gvk in options.ns through `client`, which must outlive it.
  Informer(Client& client, InformerOptions options);
  // Lists and watches through `source` (options.ns is not used to build requests).
  Informer(std::unique_ptr<ListerWatcher> source, InformerOptions options);
  ~Informer();  // stop()
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Adds an index; call before start(). Replaces an index of the same name (also a built-in
  // one, except kIndexNamespace).
  void add_index(std::string name, IndexFunc func);
  // Adds a handler, at any time. One added after the cache synced first gets the cached
  // objects as adds (on the informer thread, in order with later events).
  void add_handler(InformerEventHandler handler);
  // Starts the watcher and informer threads. At most once.
  void start();
  // Cancels the open watch (or the backoff wait), joins both threads; queued but unprocessed
  // events are dropped. Idempotent; the informer cannot be started again. A list request in
  // flight is waited for (bounded by the request timeout). Not from a handler (it joins the
  // thread that runs them).
  void stop();

  // True once the first list was applied to the cache and its handler calls made.
  bool has_synced() const;
  // Waits up to `timeout` for has_synced(); false on timeout or when stopped first.
  bool wait_for_sync(std::chrono::milliseconds timeout) const;
  const Cache& cache() const;
  InformerState state() const;
  const InformerOptions& options() const;

  struct Stats {
    std::uint64_t lists = 0;               // completed lists (all pages)
    std::uint64_t watches = 0;             // watches opened
    std::uint64_t relists_after_gone = 0;  // 410s that led to a relist
    std::uint64_t events = 0;              // watch events (add/modify/delete) applied to the cache
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::kube
