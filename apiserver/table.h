// Table output (meta.k8s.io/v1 Table, kube-api.md §16) and PartialObjectMetadata conversions.
//
// Columns and cells follow kube: a CRD's additionalPrinterColumns evaluated with JSONPath as the
// apiextensions table convertor does, Name + Age for a CRD without columns, and the cells kube's
// printers compute for the built-in kinds served here. All functions are pure and thread-safe;
// time enters only through the `now` arguments.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/resources.h"
#include "apiserver/status.h"

namespace cairn::apiserver {

enum class IncludeObject { kNone, kMetadata, kObject };

// Parses ?includeObject= ("" and "Metadata" are Metadata, "None", "Object"); BadRequest with
// kube's validation message for any other value.
Result<IncludeObject> parse_include_object(std::string_view value);

// The columns of a resource, Name first: for a CRD its columns (info.columns, which do not
// include Name; Age only when defined) or Name + Age (date, .metadata.creationTimestamp) when it
// has none; kube's column sets for the built-ins it knows (ConfigMap, Secret, Namespace, Lease,
// Job, Event, CustomResourceDefinition, ServiceAccount, Deployment, Pod, Service, including their
// -o wide columns of priority 1); Name + info.columns for another built-in with columns, else
// Name + Age. json_path is set for JSONPath-evaluated columns and empty for computed ones.
std::vector<PrinterColumn> table_columns(const ResourceInfo& info);

// A Table for `objects` (one row each, in order). columnDefinitions are omitted when
// `include_column_definitions` is false (watch events after the first). Cells of JSONPath
// columns are typed as kube's table convertor types them: integer -> int64, number -> float,
// boolean, string -> jsonpath_value_string of the first result, date -> human_duration since the
// RFC 3339 timestamp ("<invalid>" when unparsable, "<unknown>" when empty or zero), no result or
// a mismatched type -> null. A column whose JSONPath does not parse has null cells. Each row's
// `object` is the PartialObjectMetadata, the whole object, or null per `include_object`.
// `list_metadata` (an object: resourceVersion, continue, remainingItemCount; for a single get,
// the object's resourceVersion) becomes the table's metadata.
nlohmann::json make_table(const ResourceInfo& info, const std::vector<nlohmann::json>& objects,
                          const nlohmann::json& list_metadata, IncludeObject include_object,
                          bool include_column_definitions,
                          std::chrono::system_clock::time_point now);

// kube's duration.HumanDuration: "<invalid>" below -1s, "0s".."119s", "2m".."9m59s",
// "10m".."179m", "3h".."7h59m", "8h".."47h", "2d".."7d23h", "8d".."729d", "2y".."7y364d", then
// whole years (zero parts are left out: "3h", not "3h0m").
std::string human_duration(std::chrono::nanoseconds d);

// An RFC 3339 time as Go's time.Parse(time.RFC3339) reads it (fractional seconds allowed), as
// nanoseconds since the Unix epoch saturated to the int64 range. nullopt when unparsable.
std::optional<std::chrono::nanoseconds> parse_rfc3339(std::string_view text);

// {kind: PartialObjectMetadata, apiVersion: meta.k8s.io/v1, metadata: <object's metadata>}.
nlohmann::json partial_object_metadata(const nlohmann::json& object);
// {kind: PartialObjectMetadataList, apiVersion: meta.k8s.io/v1, metadata: list_metadata, items}.
nlohmann::json partial_object_metadata_list(const std::vector<nlohmann::json>& objects,
                                            const nlohmann::json& list_metadata);

}  // namespace cairn::apiserver
