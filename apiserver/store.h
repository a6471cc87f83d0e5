// Store: the durable object store of the embedded API server, with watch.
//
// Objects are JSON documents keyed by (group, resource, namespace, name); cluster-scoped objects
// use namespace "". Every write gets the next value of one global, monotonically increasing
// resourceVersion (RV), which is persisted and never reused, also across restarts.
//
// Durability. SQLite in WAL mode under `data_dir`: a write returns only after its transaction
// is committed and the WAL fdatasync'ed, so an acknowledged write survives kill -9 and power
// loss. SQLite runs with synchronous=NORMAL (it syncs around checkpoints, so that a checkpoint
// never loses a commit) and a sync thread fsyncs the WAL after each commit, which is what
// synchronous=FULL would do inside COMMIT, but without holding up the writer meanwhile.
//
// Group commit. All writes run on one writer thread that drains a queue: the writes waiting at
// that moment share one transaction (one failing write does not affect the others) and one
// fsync. The writer runs at most one commit ahead of the disk: while the sync thread fsyncs
// commit N, the writer commits N+1, and N+2 gathers in the queue. A commit becomes visible to
// readers and watchers, and its writes are acknowledged, only once it is durable (readers read
// at the newest durable RV). Callers block on a future for their own result. If an fsync
// fails, the writes it covered fail, and so does every later write until a restart.
//
// MVCC. The `kv` table keeps one row per write (kine-style: rv, key, created/deleted flags,
// value). Reads at a snapshot RV pick the newest row per key at or below it, so list pages
// joined by a continue token all see the state of the first page. Rows superseded before the
// compaction point are deleted by compaction (every `compaction_interval`, like etcd's 5
// minutes, or compact() explicitly); continue tokens from before it get 410 Gone.
//
// Key index. The (group, resource, namespace, name, RV) index that gets and lists read lives in
// a second SQLite database (`cairn-index.db`, WAL mode, never fsynced) attached to every
// connection and written in the same transactions. `kv` rows are appended in RV order, so a
// commit dirties a few pages of the store's WAL; index entries land wherever their names sort,
// one page per write, and keeping those pages out of the synced WAL makes each fdatasync a
// fraction as long. The index is derived data: open() rebuilds it from `kv` every time, so a
// crash or power loss can leave it stale or torn without losing anything.
//
// Watch. An in-memory history of the last `watch_history` events (rebuilt from the table on
// start-up, so it never reaches back further than the retained rows; a fresh store starts at
// RV kInitialResourceVersion so that `resourceVersion=1` is always too old) feeds subscriptions.
// Writers never block on watchers: each subscription has a bounded queue, and one that
// overflows is closed with 410 so that its client relists.
//
// Thread-safety: all public methods of Store and Watch are safe to call from any thread. Store
// owns its SQLite connections and its writer thread; a Watch holds a shared reference to the
// event hub and may outlive the Store (it is then closed).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "apiserver/selector.h"
#include "apiserver/status.h"

namespace cairn::apiserver {

namespace detail {
class WatchHub;
struct Subscriber;
class StoreImpl;
}  // namespace detail

// The RV of a freshly created store; history never reaches back to 1.
inline constexpr std::int64_t kInitialResourceVersion = 1000;

// A resource type: group ("" for the core group) and plural resource name.
struct ResourceRef {
  std::string group;
  std::string resource;
};

struct ObjectKey {
  std::string group;
  std::string resource;
  std::string namespace_;  // "" for cluster-scoped objects
  std::string name;
};

// How metadata.generation is maintained.
enum class GenerationPolicy {
  kNone,  // never set (ConfigMap, Secret, ...)
  // With kSpec and kAllButMetadata, the write that first sets metadata.deletionTimestamp also
  // adds 1 (as kube-apiserver does when it marks an object for deletion).
  kSpec,            // 1 on create; +1 when anything but metadata and status changes
  kAllButMetadata,  // 1 on create; +1 when anything but metadata changes (CRs without /status)
};

struct WriteOptions {
  GenerationPolicy generation = GenerationPolicy::kSpec;
};

// What a write committed: the object as stored, shared with the watch history rather than
// copied, and its compact JSON text, byte for byte what the store holds (and what
// `object->dump()` prints), so that a response need not print it again.
struct Committed {
  std::shared_ptr<const nlohmann::json> object;
  std::string text;
};

struct DeletePreconditions {
  std::optional<std::string> uid;
  std::optional<std::string> resource_version;
};

struct ListOptions {
  ListOptions() = default;
  explicit ListOptions(ResourceRef r, std::optional<std::string> ns = std::nullopt)
      : resource(std::move(r)), namespace_(std::move(ns)) {}

  ResourceRef resource;
  std::optional<std::string> namespace_;  // unset = all namespaces
  LabelSelector label_selector;
  FieldSelector field_selector;
  std::int64_t limit = 0;      // 0 = no limit
  std::string continue_token;  // from a previous page
  // Return each object as its stored JSON text (ListResult::raw_items) instead of a parsed
  // tree: a list served as JSON is then copied, never parsed and printed again.
  bool raw = false;
};

struct ListResult {
  std::int64_t resource_version = 0;   // the snapshot every page of this list reads
  std::vector<nlohmann::json> items;   // ordered by (namespace, name); empty when raw
  std::vector<std::string> raw_items;  // the same as compact JSON text, when ListOptions::raw
  std::string continue_token;          // "" when this is the last page
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark, kError };

std::string_view to_string(EventType type);  // "ADDED", "MODIFIED", ...

struct WatchEvent {
  EventType type = EventType::kAdded;
  std::int64_t resource_version = 0;
  // The object at that RV (DELETED: the last state, carrying the deletion's RV; BOOKMARK:
  // {"metadata":{"resourceVersion":"N"}}).
  std::shared_ptr<const nlohmann::json> object;
};

struct WatchOptions {
  WatchOptions() = default;
  explicit WatchOptions(ResourceRef r, std::optional<std::string> ns = std::nullopt)
      : resource(std::move(r)), namespace_(std::move(ns)) {}

  ResourceRef resource;
  std::optional<std::string> namespace_;  // unset = all namespaces
  LabelSelector label_selector;
  FieldSelector field_selector;
  // Kubernetes' `resourceVersion` parameter: "" (unset) or "0" = synthetic ADDED events for the
  // current state, then changes; "N" = only changes after N (410 Gone when N is too old).
  std::string resource_version;
  bool allow_bookmarks = false;
};

// One watch subscription. Events come in RV order. After a close (by close(), the store
// shutting down, or queue overflow) next() drains nothing more and returns the close status.
class Watch {
 public:
  ~Watch();
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // The next event, waiting up to `timeout`. nullopt on timeout. An unexpected Status when the
  // watch was closed: Gone for overflow (relist), Unavailable when the store shut down.
  Result<std::optional<WatchEvent>> next(std::chrono::milliseconds timeout);

  // Non-blocking next().
  Result<std::optional<WatchEvent>> try_next();

  // With allow_bookmarks: a BOOKMARK at the newest RV this watch has seen pass (matching or
  // not), when that is newer than the last event or bookmark it returned and no event is
  // queued. Callers send one periodically and before closing on timeout.
  std::optional<WatchEvent> bookmark();

  // Called (from a writer thread, without locks held) when events become available or the
  // watch closes; lets an event loop post work instead of blocking in next(). Replaces any
  // previous callback; it may run concurrently with this call.
  void set_notify(std::function<void()> notify);

  void close();

 private:
  friend class detail::StoreImpl;
  Watch(std::shared_ptr<detail::WatchHub> hub, std::shared_ptr<detail::Subscriber> sub);
  std::shared_ptr<detail::WatchHub> hub_;
  std::shared_ptr<detail::Subscriber> sub_;
};

struct StoreOptions {
  std::filesystem::path data_dir;
  std::size_t watch_history = 10'000;  // events kept in memory for watches
  std::size_t watch_queue = 1'000;     // per-subscription queue bound
  std::size_t max_batch = 512;         // writes per group commit
  // How often the writer compacts to the RV current one interval earlier; 0 = only compact().
  std::chrono::seconds compaction_interval{300};
  // Makes the WAL durable: fdatasync(2) when empty. A seam for tests that inject disk faults
  // (return -1 with errno set, as fdatasync does).
  std::function<int(int fd)> sync_file;
};

class Store {
 public:
  // Opens (creating if needed) the store in options.data_dir. Holds an exclusive lock on the
  // directory while open: a second open of the same directory fails with Unavailable.
  static Result<std::unique_ptr<Store>> open(const StoreOptions& options);
  ~Store();  // stops the writer after the queued writes; closes all watches
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Creates `object` under resource/namespace. The name is metadata.name or, when empty,
  // metadata.generateName plus 5 random characters. Sets metadata.namespace (removed when ""),
  // uid, creationTimestamp, resourceVersion and, per policy, generation = 1. A client-sent
  // resourceVersion is ignored. AlreadyExists / Invalid (neither name nor generateName).
  Result<nlohmann::json> create(const ResourceRef& resource, const std::string& namespace_,
                                nlohmann::json object, const WriteOptions& options = {});
  // The same, returning the committed object without a copy. The object is prepared and
  // printed on the calling thread; the writer thread only checks the name, assigns the
  // resourceVersion and stores the text.
  Result<Committed> commit_create(const ResourceRef& resource, const std::string& namespace_,
                                  nlohmann::json object, const WriteOptions& options = {});

  Result<nlohmann::json> get(const ObjectKey& key);

  // The newest committed state of namespace `name`, shared rather than copied (admission reads
  // it on every namespaced create); null when there is no such namespace. Never stale: it is
  // updated after each commit, before the commit's writes are acknowledged.
  std::shared_ptr<const nlohmann::json> find_namespace(const std::string& name);

  // Replaces the object. metadata.resourceVersion, when set, must be the current one
  // (Conflict); metadata.uid, when set, must match (Conflict). name, namespace, uid and
  // creationTimestamp are kept from the stored object; generation per policy. An update that
  // changes nothing writes nothing and returns the stored object (same RV). NotFound.
  Result<nlohmann::json> update(const ObjectKey& key, nlohmann::json object,
                                const WriteOptions& options = {});

  // Read-modify-write in one transaction (kube's GuaranteedUpdate): `mutate` gets the current
  // object and returns the new one (or an error, which aborts). It runs on the writer thread
  // and must not call the Store. The result is then written as by update().
  using Mutator = std::function<Result<nlohmann::json>(const nlohmann::json& current)>;
  Result<nlohmann::json> update_with(const ObjectKey& key, Mutator mutate,
                                     const WriteOptions& options = {});
  // The same, returning the committed object without a copy.
  Result<Committed> commit_update(const ObjectKey& key, Mutator mutate,
                                  const WriteOptions& options = {});

  // Deletes the object; returns its last state carrying the deletion's RV. Conflict when a
  // precondition does not match; NotFound.
  Result<nlohmann::json> remove(const ObjectKey& key, const DeletePreconditions& pre = {});

  // One page of a list at a consistent snapshot. BadRequest for a malformed continue token;
  // Gone when the token's snapshot was compacted away.
  Result<ListResult> list(const ListOptions& options);

  Result<std::unique_ptr<Watch>> watch(const WatchOptions& options);

  // The newest committed RV.
  std::int64_t current_resource_version() const;
  // The oldest RV a watch may start from (exclusive: events after it are all retained).
  std::int64_t oldest_watchable_resource_version() const;

  // Drops history rows superseded at or before `rv` (<= current). Snapshots older than it
  // become unavailable (continue tokens get 410).
  Result<void> compact(std::int64_t rv);

 private:
  explicit Store(std::unique_ptr<detail::StoreImpl> impl);
  std::unique_ptr<detail::StoreImpl> impl_;
};

// A random RFC 4122 version 4 UID, as kube assigns metadata.uid.
std::string new_object_uid();
// Now as kube prints timestamps (RFC 3339, UTC, whole seconds): "2026-12-01T19:36:09Z".
std::string rfc3339_now();

}  // namespace cairn::apiserver
