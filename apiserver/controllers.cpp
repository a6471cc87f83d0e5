#include "apiserver/controllers.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "apiserver/controller_lifecycle.h"

namespace cairn::apiserver {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);
// The Registry has no change notification: its generation is polled this often (a CRD's
// resources usually show up right after the CRD's own watch event, which wakes the loop too).
constexpr auto kRegistryPoll = std::chrono::milliseconds(200);
// Work items handled between two drains of the watches.
constexpr int kBatch = 64;

const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

std::string str(const json& obj, const char* key) {
  const json& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::string meta_str(const json& obj, const char* key) { return str(member(obj, "metadata"), key); }

std::vector<std::string> finalizers_of(const json& obj) {
  std::vector<std::string> out;
  for (const json& f : member(member(obj, "metadata"), "finalizers")) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

bool has_finalizer(const json& obj, std::string_view f) {
  const auto all = finalizers_of(obj);
  return std::find(all.begin(), all.end(), f) != all.end();
}

bool deleting(const json& obj) {
  return member(member(obj, "metadata"), "deletionTimestamp").is_string();
}

// "<prefix><key><joiner><n> resource instances, ..." sorted, as the namespace controller words
// its NamespaceContentRemaining and NamespaceFinalizersRemaining messages.
std::string counted_list(std::string prefix, const std::map<std::string, std::int64_t>& counts,
                         const char* joiner) {
  std::vector<std::string> parts;
  for (const auto& [key, n] : counts) {
    parts.push_back(key + joiner + std::to_string(n) + " resource instances");
  }
  std::sort(parts.begin(), parts.end());
  for (std::size_t i = 0; i < parts.size(); ++i) prefix += (i ? ", " : "") + parts[i];
  return prefix;
}

// Removes `f` from metadata.finalizers (the key goes when the list empties).
void remove_finalizer(json& obj, std::string_view f) {
  json& md = obj["metadata"];
  json kept = json::array();
  for (const json& e : md["finalizers"]) {
    if (!(e.is_string() && e.get<std::string>() == f)) kept.push_back(e);
  }
  if (kept.empty()) {
    md.erase("finalizers");
  } else {
    md["finalizers"] = std::move(kept);
  }
}

struct OwnerRef {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool block = false;
};

std::vector<OwnerRef> owner_refs(const json& obj) {
  std::vector<OwnerRef> out;
  for (const json& r : member(member(obj, "metadata"), "ownerReferences")) {
    if (!r.is_object()) continue;
    const json& block = member(r, "blockOwnerDeletion");
    out.push_back({str(r, "apiVersion"), str(r, "kind"), str(r, "name"), str(r, "uid"),
                   block.is_boolean() && block.get<bool>()});
  }
  return out;
}

// Removes the references to the given owner uids; false when there was none.
bool drop_owner_refs(json& obj, const std::set<std::string>& uids) {
  json& md = obj["metadata"];
  if (!md.is_object() || !md["ownerReferences"].is_array()) return false;
  json kept = json::array();
  bool changed = false;
  for (const json& r : md["ownerReferences"]) {
    if (uids.count(str(r, "uid"))) {
      changed = true;
    } else {
      kept.push_back(r);
    }
  }
  if (!changed) return false;
  if (kept.empty()) {
    md.erase("ownerReferences");
  } else {
    md["ownerReferences"] = std::move(kept);
  }
  return true;
}

// Sets (or replaces) a condition; lastTransitionTime changes only with the status. True when
// anything changed.
bool set_condition(json& conditions, const std::string& type, const std::string& status,
                   const std::string& reason, const std::string& message,
                   const std::string& now) {
  if (!conditions.is_array()) conditions = json::array();
  for (json& c : conditions) {
    if (str(c, "type") != type) continue;
    const bool same = str(c, "status") == status && str(c, "reason") == reason &&
                      str(c, "message") == message;
    if (same) return false;
    if (str(c, "status") != status) c["lastTransitionTime"] = now;
    c["status"] = status;
    c["reason"] = reason;
    c["message"] = message;
    return true;
  }
  conditions.push_back({{"type", type},
                        {"status", status},
                        {"lastTransitionTime", now},
                        {"reason", reason},
                        {"message", message}});
  return true;
}

using KeyTuple = std::tuple<std::string, std::string, std::string, std::string>;

KeyTuple tuple_of(const ObjectKey& k) { return {k.group, k.resource, k.namespace_, k.name}; }
ObjectKey key_of(const KeyTuple& t) {
  return {std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
}

std::string resource_id(const std::string& group, const std::string& resource) {
  return group + "/" + resource;
}

enum class WorkKind { kDependent, kOwner, kNamespace, kCrd };

struct WorkItem {
  WorkKind kind;
  KeyTuple key;
  bool operator<(const WorkItem& o) const { return std::tie(kind, key) < std::tie(o.kind, o.key); }
};

// What the loop remembers of an object (from the watches).
struct Cached {
  std::string uid;
  std::vector<std::string> owner_uids;
  bool deleting = false;
  bool foreground = false;
  bool orphan = false;
  std::string crd_resource;  // CRDs: resource_id(spec.group, spec.names.plural)
};

// (namespace, name) of a cached object.
using NameKey = std::pair<std::string, std::string>;
struct NameKeyHash {
  std::size_t operator()(const NameKey& k) const {
    const std::size_t h = std::hash<std::string>{}(k.first);
    return h ^ (std::hash<std::string>{}(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }
};

// The watch notification target; shared with the callbacks so that it outlives the loop.
struct Signal {
  std::mutex mu;
  std::condition_variable cv;
  bool pending = false;
  bool stopping = false;

  void notify() {
    {
      std::lock_guard<std::mutex> lock(mu);
      pending = true;
    }
    cv.notify_all();
  }
};

// The result of one work item: done, or look again later.
enum class Outcome { kDone, kRetry };

}  // namespace

struct Controllers::Impl {
  Impl(Store& s, Registry& r, ControllerOptions o) : store(s), registry(r), options(o) {}

  Store& store;
  Registry& registry;
  ControllerOptions options;
  std::thread thread;
  std::shared_ptr<Signal> signal;

  // ---- state owned by the loop thread
  std::uint64_t registry_generation = 0;
  bool have_generation = false;
  std::map<std::string, std::shared_ptr<const ResourceInfo>> infos;  // resource_id -> preferred
  struct Watched {
    ResourceRef ref;
    std::unique_ptr<Watch> watch;  // null: (re)list needed
  };
  std::map<std::string, Watched> watched;
  // resource_id -> every object of that resource (hashed: one lookup per watch event).
  std::map<std::string, std::unordered_map<NameKey, Cached, NameKeyHash>> cache;
  std::unordered_map<std::string, KeyTuple> by_uid;  // owners in foreground/orphan deletion
  std::unordered_map<std::string, std::set<KeyTuple>> dependents;  // owner uid -> dependents
  std::set<std::string> terminating_namespaces;
  std::map<std::string, std::string> terminating_crds;  // resource_id -> CRD name
  std::set<WorkItem> queue;
  std::map<WorkItem, std::pair<Clock::time_point, int>> delayed;  // due time, attempts
  std::map<WorkItem, int> attempts;
  Clock::time_point next_scan;

  // ------------------------------------------------------------ loop

  void run() {
    next_scan = Clock::now() + options.gc_full_scan_interval;
    while (!stopping()) {
      refresh_resources();
      drain_watches();
      if (Clock::now() >= next_scan) {
        full_scan();
        next_scan = Clock::now() + options.gc_full_scan_interval;
      }
      promote_delayed();
      int budget = kBatch;
      while (!queue.empty() && budget-- > 0 && !stopping()) {
        WorkItem item = *queue.begin();
        queue.erase(queue.begin());
        process(item);
      }
      if (!queue.empty()) continue;
      wait_for_work();
    }
    for (auto& [id, w] : watched) {
      if (w.watch) w.watch->close();
    }
    watched.clear();
  }

  bool stopping() {
    std::lock_guard<std::mutex> lock(signal->mu);
    return signal->stopping;
  }

  void wait_for_work() {
    Clock::time_point until = std::min(next_scan, Clock::now() + kRegistryPoll);
    for (const auto& [item, due] : delayed) until = std::min(until, due.first);
    // A watch that needs a relist is retried on the next poll.
    std::unique_lock<std::mutex> lock(signal->mu);
    signal->cv.wait_until(lock, until, [&] { return signal->pending || signal->stopping; });
    signal->pending = false;
  }

  void promote_delayed() {
    const auto now = Clock::now();
    for (auto it = delayed.begin(); it != delayed.end();) {
      if (it->second.first <= now) {
        queue.insert(it->first);
        it = delayed.erase(it);
      } else {
        ++it;
      }
    }
  }

  void enqueue(WorkKind kind, const KeyTuple& key) {
    WorkItem item{kind, key};
    delayed.erase(item);
    queue.insert(item);
  }

  void retry_later(const WorkItem& item) {
    int& n = attempts[item];
    auto backoff = kMinBackoff * (1 << std::min(n, 6));
    if (backoff > kMaxBackoff) backoff = kMaxBackoff;
    ++n;
    // An event may have queued the item meanwhile; the earlier time wins.
    if (queue.count(item)) return;
    auto due = Clock::now() + backoff;
    auto [it, inserted] = delayed.try_emplace(item, due, n);
    if (!inserted && it->second.first > due) it->second.first = due;
  }

  void process(const WorkItem& item) {
    Outcome out = Outcome::kRetry;
    const ObjectKey key = key_of(item.key);
    switch (item.kind) {
      case WorkKind::kDependent: out = process_dependent(key); break;
      case WorkKind::kOwner: out = process_owner(key); break;
      case WorkKind::kNamespace: out = process_namespace(key.name); break;
      case WorkKind::kCrd: out = process_crd(key.name); break;
    }
    if (out == Outcome::kDone) {
      attempts.erase(item);
    } else {
      retry_later(item);
    }
  }

  // ------------------------------------------------------------ watches and cache

  void refresh_resources() {
    const std::uint64_t gen = registry.generation();
    if (have_generation && gen == registry_generation) {
      relist_broken();
      return;
    }
    have_generation = true;
    registry_generation = gen;
    std::map<std::string, std::shared_ptr<const ResourceInfo>> next;
    for (const auto& info : registry.all()) {
      const bool listable =
          std::find(info->verbs.begin(), info->verbs.end(), "watch") != info->verbs.end() &&
          std::find(info->verbs.begin(), info->verbs.end(), "list") != info->verbs.end();
      if (!listable) continue;
      next.try_emplace(resource_id(info->group, info->resource), info);
    }
    infos = std::move(next);
    for (auto it = watched.begin(); it != watched.end();) {
      if (infos.count(it->first)) {
        ++it;
        continue;
      }
      if (it->second.watch) it->second.watch->close();
      forget_resource(it->first);
      it = watched.erase(it);
    }
    for (const auto& [id, info] : infos) {
      if (!watched.count(id)) watched.emplace(id, Watched{info->ref(), nullptr});
    }
    relist_broken();
  }

  void relist_broken() {
    for (auto& [id, w] : watched) {
      if (!w.watch) relist(id, w);
    }
  }

  // List, replace the cache of this resource (objects gone meanwhile count as deleted), watch.
  void relist(const std::string& id, Watched& w) {
    auto list = store.list(ListOptions(w.ref));
    if (!list) return;
    std::set<NameKey> seen;
    for (const json& obj : list->items) {
      seen.insert({meta_str(obj, "namespace"), meta_str(obj, "name")});
      observe(w.ref, EventType::kAdded, obj);
    }
    std::vector<json> gone;
    for (const auto& [nn, c] : cache[id]) {
      if (!seen.count(nn)) {
        // The cached UID lets the deletion reach the object's dependents at once.
        gone.push_back(
            {{"metadata", {{"namespace", nn.first}, {"name", nn.second}, {"uid", c.uid}}}});
      }
    }
    for (const json& g : gone) observe(w.ref, EventType::kDeleted, g);
    WatchOptions wo(w.ref);
    wo.resource_version = std::to_string(list->resource_version);
    auto watch = store.watch(wo);
    if (!watch) return;
    std::weak_ptr<Signal> weak = signal;
    (*watch)->set_notify([weak] {
      if (auto s = weak.lock()) s->notify();
    });
    w.watch = std::move(*watch);
  }

  void drain_watches() {
    for (auto& [id, w] : watched) {
      if (!w.watch) continue;
      for (int n = 0; n < 10'000; ++n) {
        auto ev = w.watch->try_next();
        if (!ev) {
          // Closed (overflow or shutdown): relist on the next round.
          w.watch.reset();
          signal->notify();
          break;
        }
        if (!*ev) break;
        if ((*ev)->object && ((*ev)->type == EventType::kAdded ||
                              (*ev)->type == EventType::kModified ||
                              (*ev)->type == EventType::kDeleted)) {
          observe(w.ref, (*ev)->type, *(*ev)->object);
        }
      }
    }
  }

  void unlink(const std::string& id, const NameKey& nn, const Cached& c) {
    for (const std::string& owner : c.owner_uids) {
      auto it = dependents.find(owner);
      if (it == dependents.end()) continue;
      const auto slash = id.find('/');
      it->second.erase(KeyTuple{id.substr(0, slash), id.substr(slash + 1), nn.first, nn.second});
      if (it->second.empty()) dependents.erase(it);
    }
    if (!c.uid.empty()) by_uid.erase(c.uid);
    if (!c.crd_resource.empty()) terminating_crds.erase(c.crd_resource);
  }

  void forget_resource(const std::string& id) {
    auto it = cache.find(id);
    if (it == cache.end()) return;
    for (const auto& [nn, c] : it->second) unlink(id, nn, c);
    cache.erase(it);
  }

  // Owners in foreground deletion of a dependent that changed: they may be unblocked now.
  void wake_foreground_owners(const std::vector<std::string>& owner_uids) {
    for (const std::string& uid : owner_uids) {
      auto it = by_uid.find(uid);
      if (it == by_uid.end()) continue;
      const KeyTuple& ok = it->second;
      const std::string oid = resource_id(std::get<0>(ok), std::get<1>(ok));
      auto rc = cache.find(oid);
      if (rc == cache.end()) continue;
      auto oc = rc->second.find({std::get<2>(ok), std::get<3>(ok)});
      if (oc != rc->second.end() && (oc->second.foreground || oc->second.orphan)) {
        enqueue(WorkKind::kOwner, ok);
      }
    }
  }

  void observe(const ResourceRef& ref, EventType type, const json& obj) {
    const std::string id = resource_id(ref.group, ref.resource);
    const NameKey nn{meta_str(obj, "namespace"), meta_str(obj, "name")};
    const KeyTuple key{ref.group, ref.resource, nn.first, nn.second};
    auto& objects = cache[id];
    std::vector<std::string> previous_owners;
    if (auto it = objects.find(nn); it != objects.end()) {
      previous_owners = it->second.owner_uids;
      unlink(id, nn, it->second);
      objects.erase(it);
    }
    const bool is_ns = ref.group.empty() && ref.resource == "namespaces";
    const bool is_crd =
        ref.group == "apiextensions.k8s.io" && ref.resource == "customresourcedefinitions";
    if (!nn.first.empty() && terminating_namespaces.count(nn.first)) {
      enqueue(WorkKind::kNamespace, {"", "namespaces", "", nn.first});
    }
    if (auto crd = terminating_crds.find(id); crd != terminating_crds.end()) {
      enqueue(WorkKind::kCrd, {ref.group, ref.resource, "", crd->second});
    }
    if (type == EventType::kDeleted) {
      const std::string uid = meta_str(obj, "uid");
      if (auto it = dependents.find(uid); it != dependents.end() && !uid.empty()) {
        for (const KeyTuple& d : it->second) enqueue(WorkKind::kDependent, d);
      }
      wake_foreground_owners(previous_owners);
      if (is_ns) terminating_namespaces.erase(nn.second);
      if (is_crd) enqueue(WorkKind::kCrd, key);
      return;
    }
    Cached c;
    c.uid = meta_str(obj, "uid");
    c.deleting = deleting(obj);
    c.foreground = c.deleting && has_finalizer(obj, kFinalizerForeground);
    c.orphan = c.deleting && has_finalizer(obj, kFinalizerOrphan);
    for (const OwnerRef& r : owner_refs(obj)) {
      if (r.uid.empty()) continue;
      c.owner_uids.push_back(r.uid);
      dependents[r.uid].insert(key);
    }
    // Only owners in foreground or orphan deletion are looked up by UID (their dependents'
    // changes may unblock them), so only they are indexed.
    if (!c.uid.empty() && (c.foreground || c.orphan)) by_uid[c.uid] = key;
    if (!c.owner_uids.empty()) enqueue(WorkKind::kDependent, key);
    if (c.foreground || c.orphan) enqueue(WorkKind::kOwner, key);
    if (c.deleting && !c.uid.empty()) {
      // Dependents of an owner being deleted may be waiting for it (foreground).
      if (auto it = dependents.find(c.uid); it != dependents.end() && c.foreground) {
        for (const KeyTuple& d : it->second) enqueue(WorkKind::kDependent, d);
      }
    }
    wake_foreground_owners(previous_owners);
    if (is_ns) {
      if (c.deleting) {
        terminating_namespaces.insert(nn.second);
        enqueue(WorkKind::kNamespace, key);
      } else {
        terminating_namespaces.erase(nn.second);
      }
    }
    if (is_crd && c.deleting) {
      const json& spec = member(obj, "spec");
      c.crd_resource = resource_id(str(spec, "group"), str(member(spec, "names"), "plural"));
      terminating_crds[c.crd_resource] = nn.second;
      enqueue(WorkKind::kCrd, key);
    }
    objects.emplace(nn, std::move(c));
  }

  void full_scan() {
    for (const auto& [id, objects] : cache) {
      const auto slash = id.find('/');
      const std::string group = id.substr(0, slash);
      const std::string resource = id.substr(slash + 1);
      for (const auto& [nn, c] : objects) {
        const KeyTuple key{group, resource, nn.first, nn.second};
        if (!c.owner_uids.empty()) enqueue(WorkKind::kDependent, key);
        if (c.foreground || c.orphan) enqueue(WorkKind::kOwner, key);
      }
    }
    for (const std::string& ns : terminating_namespaces) {
      enqueue(WorkKind::kNamespace, {"", "namespaces", "", ns});
    }
    for (const auto& [id, name] : terminating_crds) {
      enqueue(WorkKind::kCrd, {"apiextensions.k8s.io", "customresourcedefinitions", "", name});
    }
  }

  std::shared_ptr<const ResourceInfo> info_for(const std::string& group,
                                               const std::string& resource) const {
    auto it = infos.find(resource_id(group, resource));
    return it == infos.end() ? nullptr : it->second;
  }

  // ------------------------------------------------------------ garbage collection

  enum class RefState { kSolid, kDangling, kWaiting };

  // The state of one owner reference of `dependent` (kube's classifyReferences), or an error
  // when the owner could not be read.
  Result<RefState> classify(const ObjectKey& dependent, const OwnerRef& ref) {
    std::string group;
    std::string version = ref.api_version;
    if (const auto slash = ref.api_version.find('/'); slash != std::string::npos) {
      group = ref.api_version.substr(0, slash);
      version = ref.api_version.substr(slash + 1);
    }
    auto owner_info = registry.find_kind(group, version, ref.kind);
    // A kind that is not served cannot be resolved: never collect because of it.
    if (!owner_info) return RefState::kSolid;
    // Cluster-scoped dependents cannot have namespaced owners (unresolvable, kept).
    if (owner_info->namespaced && dependent.namespace_.empty()) return RefState::kSolid;
    const ObjectKey owner_key{owner_info->group, owner_info->resource,
                              owner_info->namespaced ? dependent.namespace_ : std::string(),
                              ref.name};
    auto owner = store.get(owner_key);
    if (!owner) {
      if (owner.error().code == StatusCode::kNotFound) return RefState::kDangling;
      return tl::unexpected(owner.error());
    }
    if (meta_str(*owner, "uid") != ref.uid) return RefState::kDangling;
    if (deleting(*owner) && has_finalizer(*owner, kFinalizerForeground)) {
      return RefState::kWaiting;
    }
    return RefState::kSolid;
  }

  Outcome process_dependent(const ObjectKey& key) {
    auto info = info_for(key.group, key.resource);
    if (!info) return Outcome::kDone;
    auto cur = store.get(key);
    if (!cur) return cur.error().code == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    if (deleting(*cur)) {
      if (has_finalizer(*cur, kFinalizerForeground)) enqueue(WorkKind::kOwner, tuple_of(key));
      return Outcome::kDone;
    }
    const std::vector<OwnerRef> refs = owner_refs(*cur);
    if (refs.empty()) return Outcome::kDone;
    bool solid = false;
    bool waiting = false;
    std::set<std::string> stale;  // dangling and waiting owner uids
    for (const OwnerRef& r : refs) {
      auto state = classify(key, r);
      if (!state) return Outcome::kRetry;
      switch (*state) {
        case RefState::kSolid: solid = true; break;
        case RefState::kDangling: stale.insert(r.uid); break;
        case RefState::kWaiting:
          waiting = true;
          stale.insert(r.uid);
          break;
      }
    }
    const std::string uid = meta_str(*cur, "uid");
    if (solid) {
      if (stale.empty()) return Outcome::kDone;
      auto updated = store.update_with(
          key,
          [&](const json& latest) -> Result<json> {
            if (meta_str(latest, "uid") != uid) {
              return tl::unexpected(Status{StatusCode::kConflict, "recreated"});
            }
            json next = latest;
            drop_owner_refs(next, stale);
            return next;
          },
          WriteOptions{info->generation});
      if (!updated && updated.error().code != StatusCode::kNotFound &&
          updated.error().code != StatusCode::kConflict) {
        return Outcome::kRetry;
      }
      return Outcome::kDone;
    }
    DeleteRequest req;
    if (waiting || has_finalizer(*cur, kFinalizerForeground)) {
      req.propagation_policy = "Foreground";
    } else if (has_finalizer(*cur, kFinalizerOrphan)) {
      req.propagation_policy = "Orphan";
    } else {
      req.propagation_policy = "Background";
    }
    req.preconditions.uid = uid;
    auto out = delete_object(store, *info, key, req);
    if (!out && out.error().code != StatusCode::kNotFound &&
        out.error().code != StatusCode::kConflict) {
      return Outcome::kRetry;
    }
    return Outcome::kDone;
  }

  // Removes `finalizer` from the object (same uid) and completes its deletion when it was the
  // last one.
  Outcome release_finalizer(const ObjectKey& key, const ResourceInfo& info, const std::string& uid,
                            std::string_view finalizer) {
    auto written = store.update_with(
        key,
        [&](const json& latest) -> Result<json> {
          if (meta_str(latest, "uid") != uid) {
            return tl::unexpected(Status{StatusCode::kConflict, "recreated"});
          }
          json next = latest;
          remove_finalizer(next, finalizer);
          return next;
        },
        WriteOptions{info.generation});
    if (!written) {
      const StatusCode c = written.error().code;
      return c == StatusCode::kNotFound || c == StatusCode::kConflict ? Outcome::kDone
                                                                      : Outcome::kRetry;
    }
    auto done = finish_deletion_if_ready(store, key, *written);
    return done ? Outcome::kDone : Outcome::kRetry;
  }

  std::vector<KeyTuple> dependents_of(const std::string& uid) const {
    auto it = dependents.find(uid);
    if (it == dependents.end()) return {};
    return {it->second.begin(), it->second.end()};
  }

  Outcome process_owner(const ObjectKey& key) {
    auto info = info_for(key.group, key.resource);
    if (!info) return Outcome::kDone;
    auto cur = store.get(key);
    if (!cur) return cur.error().code == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    if (!deleting(*cur)) return Outcome::kDone;
    const std::string uid = meta_str(*cur, "uid");
    if (has_finalizer(*cur, kFinalizerOrphan)) {
      const std::set<std::string> owner{uid};
      for (const KeyTuple& d : dependents_of(uid)) {
        const ObjectKey dk = key_of(d);
        auto dinfo = info_for(dk.group, dk.resource);
        if (!dinfo) continue;
        auto updated = store.update_with(
            dk,
            [&](const json& latest) -> Result<json> {
              json next = latest;
              drop_owner_refs(next, owner);
              return next;
            },
            WriteOptions{dinfo->generation});
        if (!updated && updated.error().code != StatusCode::kNotFound) return Outcome::kRetry;
      }
      return release_finalizer(key, *info, uid, kFinalizerOrphan);
    }
    if (has_finalizer(*cur, kFinalizerForeground)) {
      bool blocked = false;
      for (const KeyTuple& d : dependents_of(uid)) {
        auto dep = store.get(key_of(d));
        if (!dep) {
          if (dep.error().code == StatusCode::kNotFound) continue;
          return Outcome::kRetry;
        }
        for (const OwnerRef& r : owner_refs(*dep)) {
          if (r.uid == uid && r.block) blocked = true;
        }
        enqueue(WorkKind::kDependent, d);
      }
      if (blocked) return Outcome::kRetry;
      return release_finalizer(key, *info, uid, kFinalizerForeground);
    }
    return Outcome::kDone;
  }

  // ------------------------------------------------------------ namespaces

  Outcome process_namespace(const std::string& name) {
    const ObjectKey key{"", "namespaces", "", name};
    auto ns = store.get(key);
    if (!ns) return ns.error().code == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    if (!deleting(*ns)) return Outcome::kDone;
    const json& spec_finalizers = member(member(*ns, "spec"), "finalizers");
    const bool ours = spec_finalizers.is_array() &&
                      std::find(spec_finalizers.begin(), spec_finalizers.end(),
                                json(kFinalizerNamespace)) != spec_finalizers.end();
    if (!ours) {
      auto done = finish_deletion_if_ready(store, key, *ns);
      return done ? Outcome::kDone : Outcome::kRetry;
    }
    std::map<std::string, std::int64_t> remaining;           // "resource.group" -> count
    std::map<std::string, std::int64_t> finalizers_pending;  // finalizer -> count
    std::vector<std::string> failures;
    for (const auto& [id, info] : infos) {
      if (!info->namespaced) continue;
      const bool deletable =
          std::find(info->verbs.begin(), info->verbs.end(), "delete") != info->verbs.end();
      if (!deletable) continue;
      auto list = store.list(ListOptions(info->ref(), name));
      if (!list) {
        failures.push_back(list.error().message);
        continue;
      }
      for (const json& obj : list->items) {
        json last = obj;
        if (!deleting(obj)) {
          const ObjectKey ok{info->group, info->resource, name, meta_str(obj, "name")};
          DeleteRequest req;
          req.propagation_policy = "Background";
          req.preconditions.uid = meta_str(obj, "uid");
          auto out = delete_object(store, *info, ok, req);
          if (!out) {
            if (out.error().code == StatusCode::kNotFound) continue;
            failures.push_back(out.error().message);
          } else if (out->removed) {
            continue;
          } else {
            last = out->object;
          }
        }
        remaining[info->resource + "." + info->group] += 1;
        for (const std::string& f : finalizers_of(last)) finalizers_pending[f] += 1;
      }
    }
    const std::string now = rfc3339_now();
    auto status_update = [&](json& next) {
      json& conditions = next["status"]["conditions"];
      bool changed = false;
      changed |= set_condition(conditions, "NamespaceDeletionDiscoveryFailure", "False",
                               "ResourcesDiscovered", "All resources successfully discovered", now);
      changed |= set_condition(conditions, "NamespaceDeletionGroupVersionParsingFailure", "False",
                               "ParsedGroupVersions", "All legacy kube types successfully parsed",
                               now);
      if (failures.empty()) {
        changed |= set_condition(conditions, "NamespaceDeletionContentFailure", "False",
                                 "ContentDeleted",
                                 "All content successfully deleted, may be waiting on "
                                 "finalization",
                                 now);
      } else {
        std::string msg = "Failed to delete all resource types, " +
                          std::to_string(failures.size()) + " remaining: ";
        for (std::size_t i = 0; i < failures.size(); ++i) {
          if (i > 0) msg += ", ";
          msg += failures[i];
        }
        changed |= set_condition(conditions, "NamespaceDeletionContentFailure", "True",
                                 "ContentDeletionFailed", msg, now);
      }
      if (remaining.empty()) {
        changed |= set_condition(conditions, "NamespaceContentRemaining", "False",
                                 "ContentRemoved", "All content successfully removed", now);
      } else {
        changed |= set_condition(
            conditions, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
            counted_list("Some resources are remaining: ", remaining, " has "), now);
      }
      if (finalizers_pending.empty()) {
        changed |= set_condition(conditions, "NamespaceFinalizersRemaining", "False",
                                 "ContentHasNoFinalizers",
                                 "All content-preserving finalizers finished", now);
      } else {
        changed |= set_condition(
            conditions, "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
            counted_list("Some content in the namespace has finalizers remaining: ",
                         finalizers_pending, " in "),
            now);
      }
      if (str(next["status"], "phase") != "Terminating") {
        next["status"]["phase"] = "Terminating";
        changed = true;
      }
      return changed;
    };
    const std::string uid = meta_str(*ns, "uid");
    const bool finalize = failures.empty() && remaining.empty();
    auto written = store.update_with(
        key,
        [&](const json& latest) -> Result<json> {
          if (meta_str(latest, "uid") != uid) {
            return tl::unexpected(Status{StatusCode::kConflict, "recreated"});
          }
          json next = latest;
          status_update(next);
          if (finalize) {
            json kept = json::array();
            for (const json& f : member(member(next, "spec"), "finalizers")) {
              if (f != json(kFinalizerNamespace)) kept.push_back(f);
            }
            next["spec"]["finalizers"] = std::move(kept);
          }
          return next;
        },
        WriteOptions{GenerationPolicy::kNone});
    if (!written) {
      const StatusCode c = written.error().code;
      return c == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    }
    if (!finalize) return Outcome::kRetry;
    auto done = finish_deletion_if_ready(store, key, *written);
    return done ? Outcome::kDone : Outcome::kRetry;
  }

  // ------------------------------------------------------------ CRD cleanup

  Outcome process_crd(const std::string& name) {
    const ObjectKey key{"apiextensions.k8s.io", "customresourcedefinitions", "", name};
    auto crd = store.get(key);
    if (!crd) {
      if (crd.error().code != StatusCode::kNotFound) return Outcome::kRetry;
      registry.remove_crd(name);
      return Outcome::kDone;
    }
    if (!deleting(*crd) || !has_finalizer(*crd, kFinalizerCrdCleanup)) return Outcome::kDone;
    const json& spec = member(*crd, "spec");
    const json& names = member(spec, "names");
    ResourceInfo info;
    info.group = str(spec, "group");
    info.resource = str(names, "plural");
    info.kind = str(names, "kind");
    info.namespaced = str(spec, "scope") != "Cluster";
    info.custom = true;
    info.crd_name = name;
    info.generation = GenerationPolicy::kAllButMetadata;
    for (const json& v : member(spec, "versions")) {
      const json& storage = member(v, "storage");
      if (storage.is_boolean() && storage.get<bool>()) info.version = str(v, "name");
    }
    const std::string now = rfc3339_now();
    const std::string uid = meta_str(*crd, "uid");
    auto set_status = [&](const std::string& status, const std::string& reason,
                          const std::string& message, bool release) -> Result<json> {
      return store.update_with(
          key,
          [&](const json& latest) -> Result<json> {
            if (meta_str(latest, "uid") != uid) {
              return tl::unexpected(Status{StatusCode::kConflict, "recreated"});
            }
            json next = latest;
            set_condition(next["status"]["conditions"], "Terminating", status, reason, message,
                          now);
            if (release) remove_finalizer(next, kFinalizerCrdCleanup);
            return next;
          },
          WriteOptions{GenerationPolicy::kSpec});
    };
    if (auto r = set_status("True", "InstanceDeletionInProgress",
                            "CustomResource deletion is in progress", false);
        !r) {
      return r.error().code == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    }
    std::int64_t remaining = 0;
    if (!info.resource.empty()) {
      auto list = store.list(ListOptions(ResourceRef{info.group, info.resource}));
      if (!list) return Outcome::kRetry;
      for (const json& obj : list->items) {
        if (deleting(obj)) {
          ++remaining;
          continue;
        }
        const ObjectKey ok{info.group, info.resource, meta_str(obj, "namespace"),
                           meta_str(obj, "name")};
        DeleteRequest req;
        req.propagation_policy = "Background";
        req.preconditions.uid = meta_str(obj, "uid");
        auto out = delete_object(store, info, ok, req);
        if (!out) {
          if (out.error().code != StatusCode::kNotFound) ++remaining;
        } else if (!out->removed) {
          ++remaining;
        }
      }
    }
    if (remaining > 0) return Outcome::kRetry;
    auto written = set_status("False", "InstanceDeletionCompleted", "removed all instances", true);
    if (!written) {
      return written.error().code == StatusCode::kNotFound ? Outcome::kDone : Outcome::kRetry;
    }
    auto done = finish_deletion_if_ready(store, key, *written);
    if (!done) return Outcome::kRetry;
    if (*done) registry.remove_crd(name);
    return Outcome::kDone;
  }
};

Controllers::Controllers(Store& store, Registry& registry, ControllerOptions options)
    : impl_(std::make_unique<Impl>(store, registry, options)) {}

Controllers::~Controllers() { stop(); }

void Controllers::start() {
  if (impl_->thread.joinable()) return;
  impl_->signal = std::make_shared<Signal>();
  impl_->have_generation = false;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void Controllers::stop() {
  if (!impl_->thread.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(impl_->signal->mu);
    impl_->signal->stopping = true;
  }
  impl_->signal->cv.notify_all();
  impl_->thread.join();
}

}  // namespace cairn::apiserver
