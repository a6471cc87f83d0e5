// Applier: puts the objects of a rendered chart into a cluster with server-side apply, keeps
// the inventory of what it applied (status.resources of ClusterStackRelease and ClusterAddon)
// and deletes what a newer manifest no longer produces (cso-reference.md §3.6, §1.7).
//
// apply(manifest, previous, options):
//   1. The manifest (multi-document YAML as `helm template` / render_chart print it) is parsed
//      whole before anything is sent: a document that is not valid YAML, or not an object with
//      apiVersion, kind and metadata.name, fails the call with an ApplierError naming the
//      document (1-based among the non-empty ones), its first line and its `# Source:`. Nothing
//      is applied or pruned then: pruning against half a manifest would delete objects the
//      broken document should keep. Empty documents (blank, comments only, `null`) are skipped.
//   2. Every object gets the label `clusterstack.x-k8s.io/instance: owned` plus the caller's
//      labels; the instance label (only) also goes on spec.template.metadata.labels of
//      Deployments, ReplicaSets, StatefulSets, DaemonSets (apps, extensions) and Jobs (batch).
//      Caller labels stay off pod templates: changing those rolls out pods, and a Job's template
//      is immutable.
//   3. Namespaces: the REST mapping (kube::Client discovery) decides the scope. A namespaced
//      object without metadata.namespace goes into options.namespace_; one that names another
//      namespace is not applied and is recorded "not-synced" with an error saying so (the Go
//      operator sent it to the target namespace's URL, where the server rejected the mismatch
//      with a less telling message). Cluster-scoped objects are sent without a namespace.
//   4. Order: CustomResourceDefinitions and Namespaces first, then the rest, each group in
//      document order. After CRDs were applied the applier waits (up to
//      ApplierConfig::crd_established_timeout) for their Established condition and drops the
//      client's discovery cache, so custom resources of the same manifest map.
//   5. Every object is checked on every call, so drift is corrected (the Go operator skipped
//      objects it had applied before): a GET reads the live object; when it already holds every
//      field of the object to apply, including the annotation kAppliedDigestAnnotation (the
//      SHA-256 of the object as applied), nothing is sent (unchanged; no write in steady state).
//      Otherwise it is applied (server-side apply, force): a hand edit of an applied field, or a
//      new manifest (whose digest differs, so fields it dropped are removed by the apply).
//      created / configured / unchanged are told apart by resourceVersion. An object's failure is recorded
//      in its inventory entry and does not stop the others. An object the manifest holds twice
//      is applied once (first copy); each later copy is recorded "not-synced" as a duplicate.
//   6. Prune: every entry of `previous` whose object the manifest no longer produces is deleted.
//      Objects are identified by API group, kind, namespace (none for cluster-scoped kinds) and
//      name — not by version, so a chart moving a kind to a newer version keeps its objects.
//      Objects still produced are never deleted. See "Deleting" for what counts as done.
//
// delete_all(inventory): deletes every object of an inventory in reverse order (custom
// resources before their CRDs), e.g. when a ClusterStackRelease goes away (the Go operator
// deleted none of them). Reports what is left.
//
// Deleting (prune and delete_all): an object that is gone (NotFound), or whose kind the server
// no longer serves in any version, counts as done. Before deleting, the applier reads the object
// and deletes it only if it carries the instance label, with the read uid as precondition: an
// inventory entry of an object that was never applied (another namespace, a failed apply) must
// not delete a same-named object somebody else owns. An unlabelled object is left alone and
// dropped from the inventory. Deletions use background propagation (dependents are collected). An
// object whose deletion waits on finalizers stays in the inventory as "not-synced" until a later
// call finds it gone.
//
// Ownership: an Applier refers to a Client and a Clock it does not own; both must outlive it.
// Thread-compatible: one call at a time per Applier; the calls block on the caller's thread
// (one request at a time). Several Appliers may share a Client.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "api/types.h"
#include "kube/client.h"
#include "kube/clock.h"

namespace cairn::controllers {

inline constexpr std::string_view kInstanceLabel = "clusterstack.x-k8s.io/instance";
inline constexpr std::string_view kInstanceLabelValue = "owned";
// On every applied object: the SHA-256 of the object as the applier sent it (see 5. below).
inline constexpr std::string_view kAppliedDigestAnnotation = "clusterstack.x-k8s.io/applied-digest";
inline constexpr std::string_view kResourceSynced = "synced";
inline constexpr std::string_view kResourceNotSynced = "not-synced";

// A manifest the applier refuses as a whole (nothing was applied), or bad options.
struct ApplierError {
  std::size_t document = 0;  // 1-based among the non-empty documents; 0: not about one
  std::size_t line = 0;      // 1-based first line of the document in the manifest; 0: none
  std::string source;        // the document's `# Source:` path, "" when it has none
  std::string message;       // complete, names document, line and source when known
};

template <class T>
using ApplierResult = tl::expected<T, ApplierError>;

// One non-empty document of a manifest.
struct ManifestDocument {
  std::size_t index = 0;  // 1-based among the non-empty documents
  std::size_t line = 0;   // 1-based first line of the document in the manifest
  std::string source;     // `# Source:` path, "" when absent
  nlohmann::json object;  // has apiVersion, kind (non-empty strings) and metadata.name
};

// Splits a manifest at `---` lines and converts each document to JSON as sigs.k8s.io/yaml
// (kubectl, helm) reads YAML 1.1: plain scalars become null (~, null, empty), booleans
// (true/false, yes/no, on/off, y/n in yaml.v2's spellings), integers (decimal, 0x, 0o, 0b,
// leading-zero octal, `_` separators) or floats; a float with an integral value in int64 range
// becomes an integer (Go's JSON prints it without a fraction, so kube reads an integer);
// quoted and block scalars stay strings; merge keys (`<<`) are resolved; non-string keys
// become their text (`on:` becomes "true"). .inf and .nan have no JSON form, and strings must
// be UTF-8: both are errors. Pure; thread-safe.
ApplierResult<std::vector<ManifestDocument>> parse_manifest(std::string_view manifest);

struct ApplyOptions {
  std::string namespace_;                     // target of namespaced objects; required
  std::string field_manager = "cairn";        // server-side apply field manager
  std::map<std::string, std::string> labels;  // extra labels on every object
};

struct ApplyCounts {
  std::size_t created = 0;     // did not exist before
  std::size_t configured = 0;  // existed; the apply changed it (resourceVersion moved)
  std::size_t unchanged = 0;   // existed; the apply was a no-op
  std::size_t deleted = 0;     // deletions the server accepted (prune / delete_all)
  std::size_t failed = 0;      // objects not applied, or deletions that failed
  friend bool operator==(const ApplyCounts&, const ApplyCounts&) = default;
};

struct ApplyResult {
  // The new inventory: one entry per object of the manifest in apply order, then the entries of
  // pruned objects that are not gone yet ("not-synced" with the error).
  std::vector<api::Resource> resources;
  ApplyCounts counts;
  // Every entry is "synced" (everything applied, nothing left to prune).
  bool synced() const;
};

struct DeleteResult {
  // Entries whose objects still exist or could not be deleted, each "not-synced" with the
  // reason; in inventory order. Empty when everything is gone.
  std::vector<api::Resource> remaining;
  std::size_t deleted = 0;  // deletions the server accepted
  std::size_t failed = 0;   // deletions that failed
  bool done() const { return remaining.empty(); }
};

struct ApplierConfig {
  // How long apply() waits for applied CRDs to become Established before it applies the rest
  // (custom resources of a CRD that is not established yet fail with "no matches for kind").
  std::chrono::milliseconds crd_established_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds crd_poll_interval{std::chrono::milliseconds(100)};
};

class Applier {
 public:
  explicit Applier(kube::Client& client, kube::Clock& clock = kube::Clock::system(),
                   ApplierConfig config = {});

  // See the file comment. Errors: the manifest does not parse (ApplierError with its document),
  // or options.namespace_ is empty. Errors of single objects are in the result.
  ApplierResult<ApplyResult> apply(std::string_view manifest,
                                   const std::vector<api::Resource>& previous,
                                   const ApplyOptions& options);

  // Deletes every object of `inventory`, last entry first.
  DeleteResult delete_all(const std::vector<api::Resource>& inventory);

 private:
  kube::Client& client_;
  kube::Clock& clock_;
  ApplierConfig config_;
};

}  // namespace cairn::controllers
