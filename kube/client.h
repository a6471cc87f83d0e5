// Client: typed-by-kind operations on JSON objects against one API server, with discovery and a
// REST mapper.
//
// The mapper learns GroupVersionKind -> (resource, scope, subresources) from discovery:
// aggregated discovery (apidiscovery.k8s.io/v2) when the server serves it, else the legacy
// /api, /apis and per-group-version documents. The result is cached; an unknown kind triggers
// one rediscovery (e.g. right after a CRD was installed) before failing with kNoMatch
// (`no matches for kind "X" in version "G/V"`).
//
// Namespaces: for namespaced kinds an empty namespace means the config's default namespace for
// single-object operations and all namespaces for list and watch. Objects passed to create,
// update and apply carry their apiVersion, kind, metadata.name and (optionally)
// metadata.namespace.
//
// Thread-safety: all methods may be called concurrently. A WatchStream is used by one thread;
// its cancel() may be called from any thread while the stream is alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kube/config.h"
#include "kube/error.h"
#include "kube/transport.h"

namespace cairn::kube {

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;

  std::string api_version() const;  // "v1" or "apps/v1"
  // From an object's apiVersion and kind; kDecode error when either is missing.
  static Result<GroupVersionKind> of(const nlohmann::json& object);
  bool operator==(const GroupVersionKind&) const = default;
};

struct ResourceMapping {
  GroupVersionKind gvk;
  std::string resource;  // plural, e.g. "configmaps"
  bool namespaced = false;
  std::vector<std::string> verbs;
  bool has_status = false;  // serves the /status subresource
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::int64_t limit = 0;  // 0 = server default (everything)
  std::string continue_token;
  std::string resource_version;
  std::string resource_version_match;  // "", "NotOlderThan" or "Exact"
  std::chrono::milliseconds timeout{0};  // 0 = RestConfig::request_timeout
};

enum class PatchType { kMerge, kJson, kStrategic, kApply };

struct PatchOptions {
  std::string field_manager = "cairn";  // required for kApply
  bool force = false;                   // apply only: take over conflicting fields
  bool dry_run = false;
};

struct WriteOptions {
  std::string field_manager;  // "" = the server's default (derived from the User-Agent)
  bool dry_run = false;
};

struct DeleteOptions {
  std::string propagation_policy;  // "", "Orphan", "Background" or "Foreground"
  std::string precondition_uid;
  std::string precondition_resource_version;
  std::optional<std::int64_t> grace_period_seconds;
  bool dry_run = false;
};

struct WatchOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;  // "" = current state as ADDED events, then changes
  bool allow_bookmarks = true;
  std::optional<int> timeout_seconds;  // server-side end of the watch
  // Longest wait for the next event before next() fails with kTimeout.
  std::chrono::milliseconds read_timeout{std::chrono::minutes(11)};
};

enum class EventType { kAdded, kModified, kDeleted, kBookmark };

struct WatchEvent {
  EventType type = EventType::kAdded;
  nlohmann::json object;
  std::string resource_version() const;  // object.metadata.resourceVersion
};

class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<LineStream> lines, std::chrono::milliseconds read_timeout);
  // The next event; nullopt when the server ended the watch (re-watch from the last rv). An
  // ERROR event becomes its decoded Status error (is_gone() for 410 Expired); undecodable
  // lines give kDecode. After an error the stream is finished.
  Result<std::optional<WatchEvent>> next();
  void cancel();

 private:
  std::unique_ptr<LineStream> lines_;
  std::chrono::milliseconds read_timeout_;
  bool finished_ = false;
};

struct ClientOptions {
  TransportOptions transport;
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> create(const RestConfig& config,
                                                ClientOptions options = {});

  // GET /version.
  Result<nlohmann::json> server_version();
  // The mapping of a kind; rediscovers once when it is unknown.
  Result<ResourceMapping> mapping(const GroupVersionKind& gvk);
  // Every resource (not subresource) the server serves, from the cached discovery.
  Result<std::vector<ResourceMapping>> resources();
  // Drops the discovery cache (the next mapping() rediscovers).
  void invalidate_discovery();
  // True when the last discovery used the aggregated form.
  bool used_aggregated_discovery() const;

  Result<nlohmann::json> get(const GroupVersionKind& gvk, const std::string& ns,
                             const std::string& name);
  // One page: the <Kind>List object as returned.
  Result<nlohmann::json> list(const GroupVersionKind& gvk, const std::string& ns,
                              const ListOptions& options = {});
  // Follows `continue` to the end; returns the first page's list object with all items. A 410
  // on a continue token restarts the listing once from the beginning.
  Result<nlohmann::json> list_all(const GroupVersionKind& gvk, const std::string& ns,
                                  const ListOptions& options = {});
  Result<nlohmann::json> create(const nlohmann::json& object, const WriteOptions& options = {});
  // PUT; carries metadata.resourceVersion when set (optimistic concurrency).
  Result<nlohmann::json> update(const nlohmann::json& object, const WriteOptions& options = {});
  // `patch` is the patch document (merge/strategic object, JSON-patch array, apply object).
  Result<nlohmann::json> patch(const GroupVersionKind& gvk, const std::string& ns,
                               const std::string& name, PatchType type,
                               const nlohmann::json& patch, const PatchOptions& options = {});
  // Server-side apply of a full object (apiVersion/kind/metadata.name taken from it).
  Result<nlohmann::json> apply(const nlohmann::json& object, const PatchOptions& options = {});
  // DELETE. true when the object is gone (the server answered with a Status), false when it
  // still exists with deletionTimestamp set (finalizers). NotFound is an error.
  Result<bool> remove(const GroupVersionKind& gvk, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {});

  Result<nlohmann::json> get_status(const GroupVersionKind& gvk, const std::string& ns,
                                    const std::string& name);
  Result<nlohmann::json> update_status(const nlohmann::json& object,
                                       const WriteOptions& options = {});
  Result<nlohmann::json> patch_status(const GroupVersionKind& gvk, const std::string& ns,
                                      const std::string& name, PatchType type,
                                      const nlohmann::json& patch,
                                      const PatchOptions& options = {});

  Result<std::unique_ptr<WatchStream>> watch(const GroupVersionKind& gvk, const std::string& ns,
                                             const WatchOptions& options = {});

  Transport& transport() { return *transport_; }
  const RestConfig& config() const { return transport_->config(); }

 private:
  explicit Client(std::unique_ptr<Transport> transport);
  Result<void> discover();
  Result<std::vector<ResourceMapping>> discover_aggregated(bool& served);
  Result<std::vector<ResourceMapping>> discover_legacy();
  Result<nlohmann::json> get_json(const std::string& target, const std::string& accept);
  Result<std::string> path(const GroupVersionKind& gvk, const std::string& ns,
                           const std::string& name, const std::string& subresource,
                           bool collection, ResourceMapping* mapping_out = nullptr);
  Result<nlohmann::json> call(const std::string& method, const std::string& target,
                              const std::string& body, const std::string& content_type);
  Result<nlohmann::json> write_object(const std::string& method, const nlohmann::json& object,
                                      const std::string& subresource, bool collection,
                                      const WriteOptions& options);
  Result<nlohmann::json> do_patch(const GroupVersionKind& gvk, const std::string& ns,
                                  const std::string& name, const std::string& subresource,
                                  PatchType type, const nlohmann::json& patch,
                                  const PatchOptions& options);

  std::unique_ptr<Transport> transport_;
  mutable std::mutex mu_;
  std::optional<std::vector<ResourceMapping>> mappings_;
  bool aggregated_ = false;
};

}  // namespace cairn::kube
