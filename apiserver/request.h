// Request parsing for the Kubernetes API handler: query parameters, what a URL addresses (kube's
// RequestInfoFactory), media types (Content-Type and Accept negotiation) and request bodies
// (JSON with duplicate-key detection, YAML via libyaml).
//
// Everything here is pure: no I/O, no allocation beyond the results, bounded work for any input
// (it is fuzzed by tests/fuzz/fuzz_request.cpp). Values are immutable after parsing; const
// methods are safe from any thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apiserver/status.h"

namespace cairn::apiserver {

// ------------------------------------------------------------------ query parameters

// A parsed query string (`a=1&b=x%20y`). Percent-escapes are decoded and '+' means a space, as
// Go's url.ParseQuery does; a key without '=' has the value "". Repeated keys are kept in order;
// scalar lookups see the first value.
class QueryParams {
 public:
  QueryParams() = default;

  // BadRequest (`invalid URL escape "%zz"`) on a malformed escape.
  static Result<QueryParams> parse(std::string_view query);

  bool has(std::string_view key) const;
  std::optional<std::string> get(std::string_view key) const;
  std::vector<std::string> get_all(std::string_view key) const;
  // Go's strconv.ParseBool (1 t T TRUE true True 0 f F FALSE false False); an absent or empty
  // value gives `fallback`; anything else is BadRequest.
  Result<bool> get_bool(std::string_view key, bool fallback) const;
  // A decimal int64; nullopt when absent or empty; BadRequest when malformed.
  Result<std::optional<std::int64_t>> get_int(std::string_view key) const;

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// ------------------------------------------------------------------ request info

// What a request addresses, following kube-apiserver's RequestInfoFactory.
//
// Resource requests are /api/v1/... and /apis/<group>/<version>/...:
//   [namespaces/<ns>/]<resource>[/<name>[/<subresource>]]
// `namespaces/<name>/status` and `namespaces/<name>/finalize` address the Namespace itself.
// The verb follows from the method, whether a name is present and `watch`: get, list, watch,
// create, update, patch, delete, deletecollection (HEAD is get; other methods leave verb "").
// Every other path is a non-resource request (verb = lower-case method).
struct RequestInfo {
  bool is_resource_request = false;
  std::string path;  // the percent-decoded path
  std::string verb;
  std::string api_prefix;  // "api" or "apis" (resource requests and /api..., /apis...)
  std::string group;       // "" for the core group
  std::string version;
  std::string namespace_;  // "" when not namespaced (or a cluster-wide collection)
  std::string resource;
  std::string name;
  std::string subresource;
  // Segments after the namespace prefix (resource, name, subresource, ...) as kube keeps them;
  // more than three means the path addresses nothing the server serves.
  std::vector<std::string> parts;
};

// Parses `path` (percent-encoded, without the query). BadRequest when a segment has a malformed
// escape or a name / namespace segment is not a valid path segment name (kube's
// `Name parameter invalid: "a/b": may not contain '/'`).
Result<RequestInfo> parse_request_info(std::string_view method, std::string_view path,
                                       const QueryParams& query);

// kube's path.IsValidPathSegmentName: empty when `name` may be one path segment.
std::vector<std::string> path_segment_name_errors(std::string_view name);

// ------------------------------------------------------------------ media types

struct MediaType {
  std::string type;                                             // lower case, e.g. "application"
  std::string subtype;                                          // lower case, e.g. "json"
  std::vector<std::pair<std::string, std::string>> parameters;  // keys lower case
  double quality = 1.0;  // the Accept q parameter (not kept in `parameters`)

  std::string essence() const { return type + "/" + subtype; }  // "application/json"
  std::string parameter(std::string_view key) const;            // "" when absent
};

// One media type (`type/subtype; k=v; ...`). BadRequest when malformed.
Result<MediaType> parse_media_type(std::string_view text);

// An Accept header: comma-separated media ranges in the order given, malformed entries
// dropped. Empty header -> empty vector (meaning: anything).
std::vector<MediaType> parse_accept(std::string_view header);

// The representations the handler can produce.
enum class Representation {
  kJson,                       // the object, list or document itself (application/json)
  kTable,                      // meta.k8s.io/v1 Table
  kPartialObjectMetadata,      // meta.k8s.io/v1 PartialObjectMetadata
  kPartialObjectMetadataList,  // meta.k8s.io/v1 PartialObjectMetadataList
  kAggregatedDiscovery,        // apidiscovery.k8s.io/v2 APIGroupDiscoveryList
};

// Picks the representation for an Accept header among `offered`: ranges are tried in order of
// q-value (stable, so equal q keeps the header's order), the first one matching an offered
// representation wins. `*/*`, `application/*` and `application/json` without `as=` select
// kJson; `as=Table;g=meta.k8s.io;v=v1` (or v1beta1) kTable; `as=PartialObjectMetadata[List]`
// (g=meta.k8s.io, v=v1 or v1beta1) the metadata forms; `as=APIGroupDiscoveryList`
// (g=apidiscovery.k8s.io, v=v2 or v2beta1) aggregated discovery. An empty header is kJson.
// NotAcceptable (406) with kube's message when nothing fits.
Result<Representation> negotiate(std::string_view accept, std::span<const Representation> offered);

// The kind of request body a Content-Type names.
enum class BodyFormat {
  kJson,                 // application/json (also the default when Content-Type is absent)
  kYaml,                 // application/yaml
  kProtobuf,             // application/vnd.kubernetes.protobuf (recognised, not decoded)
  kMergePatch,           // application/merge-patch+json
  kJsonPatch,            // application/json-patch+json
  kStrategicMergePatch,  // application/strategic-merge-patch+json
  kApplyPatch,           // application/apply-patch+yaml
  kUnknown,
};
BodyFormat body_format(std::string_view content_type);

// ------------------------------------------------------------------ bodies

// A decoded request body: the value and the dotted paths of duplicate object keys (the last
// value wins, as Go's decoder keeps it), e.g. "metadata.name".
struct DecodedBody {
  nlohmann::json value;
  std::vector<std::string> duplicate_fields;
};

// Parses JSON. BadRequest with the parser's message (and byte offset) when malformed. Depth is
// capped (10000 levels) to bound recursion.
Result<DecodedBody> decode_json_body(std::string_view body);

// Parses the first YAML document of `body` (YAML 1.1 scalars as sigs.k8s.io/yaml resolves
// them: null/~, true/false/yes/no/on/off, integers incl. 0x/0o, floats incl. .inf/.nan; quoted
// scalars stay strings; anchors and aliases with an expansion cap). BadRequest on syntax errors,
// with libyaml's problem and line.
Result<DecodedBody> decode_yaml_body(std::string_view body);

// JSON when the body (after leading blanks) starts with '{' or '[', else YAML.
Result<DecodedBody> decode_json_or_yaml_body(std::string_view body);

}  // namespace cairn::apiserver
