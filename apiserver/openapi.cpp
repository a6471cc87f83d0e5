// OpenAPI v3 index and group-version documents built from Registry entries (see openapi.h).
#include "apiserver/openapi.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace cairn::apiserver {
namespace {

using nlohmann::json;
using Entries = std::vector<std::shared_ptr<const ResourceInfo>>;

constexpr const char* kMetaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1.";

std::string ref_to(const std::string& component) { return "#/components/schemas/" + component; }

json ref_schema(const std::string& component) { return {{"$ref", ref_to(component)}}; }

// A reference that carries its own description, as upstream's documents spell it.
json described_ref(const std::string& component, const std::string& description) {
  return {{"allOf", json::array({ref_schema(component)})}, {"description", description}};
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// The upstream component name of a kind: io.k8s.api.<short group>.<v>.<Kind> for the kube API
// groups, the two aggregated servers' own packages, and the reversed group for custom ones
// (com.example.v1.Widget), as apiextensions names CR definitions.
std::string component_name(const ResourceInfo& info, const std::string& kind) {
  const std::string& g = info.group;
  std::string prefix;
  if (!info.custom && g == "apiextensions.k8s.io") {
    prefix = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions";
  } else if (!info.custom && g == "apiregistration.k8s.io") {
    prefix = "io.k8s.kube-aggregator.pkg.apis.apiregistration";
  } else if (!info.custom) {
    prefix = "io.k8s.api." + (g.empty() ? std::string("core") : split(g, '.').front());
  } else {
    std::vector<std::string> labels = split(g, '.');
    for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
      if (!prefix.empty()) prefix += '.';
      prefix += *it;
    }
  }
  return prefix + "." + info.version + "." + kind;
}

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

// "Core", "Apps", "RbacAuthorization", "ExampleCom": the group part of operation ids.
std::string group_camel(const std::string& group) {
  if (group.empty()) return "Core";
  std::string g = group;
  const std::string suffix = ".k8s.io";
  if (g.size() > suffix.size() && g.compare(g.size() - suffix.size(), suffix.size(), suffix) == 0)
    g.resize(g.size() - suffix.size());
  std::string out;
  for (const auto& label : split(g, '.')) {
    for (const auto& part : split(label, '-')) out += capitalize(part);
  }
  return out;
}

std::string fnv_hex(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(h));
  return buf;
}

// ------------------------------------------------------------------ components

json meta_components() {
  json meta = object_meta_schema();
  json owner = meta["properties"]["ownerReferences"]["items"];
  json managed = meta["properties"]["managedFields"]["items"];
  meta["properties"]["ownerReferences"]["items"] =
      ref_schema(std::string(kMetaPrefix) + "OwnerReference");
  meta["properties"]["managedFields"]["items"] =
      ref_schema(std::string(kMetaPrefix) + "ManagedFieldsEntry");
  json list_meta = {
      {"type", "object"},
      {"description", "Metadata of a list: its resourceVersion and paging state."},
      {"properties",
       {{"resourceVersion", {{"type", "string"}, {"description", "Snapshot the list reflects."}}},
        {"continue",
         {{"type", "string"}, {"description", "Token for the next page, if there is one."}}},
        {"remainingItemCount",
         {{"type", "integer"},
          {"format", "int64"},
          {"description", "Items after this page, when known."}}},
        {"selfLink", {{"type", "string"}, {"description", "Deprecated; not set."}}}}}};
  json patch = {{"type", "object"},
                {"description", "A patch document in one of the accepted patch formats."}};
  return {{std::string(kMetaPrefix) + "ObjectMeta", std::move(meta)},
          {std::string(kMetaPrefix) + "OwnerReference", std::move(owner)},
          {std::string(kMetaPrefix) + "ManagedFieldsEntry", std::move(managed)},
          {std::string(kMetaPrefix) + "ListMeta", std::move(list_meta)},
          {std::string(kMetaPrefix) + "Patch", std::move(patch)}};
}

json object_meta_ref() {
  return described_ref(std::string(kMetaPrefix) + "ObjectMeta",
                       "Standard object metadata: name, namespace, labels, annotations, ...");
}

// Replaces every inline ObjectMeta (top level, pod templates, ...) by a reference.
void reference_object_meta(json& schema) {
  if (!schema.is_object()) return;
  if (auto it = schema.find("properties"); it != schema.end() && it->is_object()) {
    for (auto& [name, sub] : it->items()) {
      if (sub == object_meta_schema()) {
        sub = object_meta_ref();
      } else {
        reference_object_meta(sub);
      }
    }
  }
  for (const char* key : {"items", "additionalProperties"}) {
    if (auto it = schema.find(key); it != schema.end()) reference_object_meta(*it);
  }
}

json gvk_of(const ResourceInfo& info, const std::string& kind) {
  return {{"group", info.group}, {"version", info.version}, {"kind", kind}};
}

json kind_component(const ResourceInfo& info) {
  json schema = info.schema && info.schema->is_object()
                    ? *info.schema
                    : json{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  if (!schema.contains("type")) schema["type"] = "object";
  json& props = schema["properties"];
  if (!props.is_object()) props = json::object();
  props["apiVersion"] = {
      {"type", "string"},
      {"description", "Versioned schema of this object; the server converts to it."}};
  props["kind"] = {{"type", "string"}, {"description", "REST type of this object, in CamelCase."}};
  props["metadata"] = object_meta_schema();
  reference_object_meta(schema);
  schema["x-kubernetes-group-version-kind"] = json::array({gvk_of(info, info.kind)});
  return schema;
}

json list_component(const ResourceInfo& info, const std::string& kind_component_name) {
  const std::string list_kind = info.list_kind.empty() ? info.kind + "List" : info.list_kind;
  return {{"type", "object"},
          {"description", "A list of " + info.kind + " objects."},
          {"properties",
           {{"apiVersion", {{"type", "string"}, {"description", "Versioned schema of the list."}}},
            {"kind", {{"type", "string"}, {"description", "REST type of the list."}}},
            {"metadata",
             described_ref(std::string(kMetaPrefix) + "ListMeta", "Standard list metadata.")},
            {"items",
             {{"type", "array"},
              {"description", "The objects."},
              {"items", ref_schema(kind_component_name)}}}}},
          {"required", {"items"}},
          {"x-kubernetes-group-version-kind", json::array({gvk_of(info, list_kind)})}};
}

// ------------------------------------------------------------------ paths

json query_param(const char* name, const char* type, const char* description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"schema", {{"type", type}, {"uniqueItems", true}}}};
}

json path_param(const char* name, const std::string& description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

json write_params(bool patch) {
  json p = json::array(
      {query_param("dryRun", "string", "When All, validate and admit without persisting."),
       query_param("fieldManager", "string", "Name of the actor making the change."),
       query_param("fieldValidation", "string",
                   "How unknown and duplicate fields are handled: Ignore, Warn or Strict.")});
  if (patch) {
    p.push_back(query_param("force", "boolean",
                            "Apply requests only: take ownership of conflicting fields."));
  }
  return p;
}

json json_response(const std::string& component) {
  return {{"200",
           {{"description", "OK"},
            {"content", {{"application/json", {{"schema", ref_schema(component)}}}}}}},
          {"401", {{"description", "Unauthorized"}}}};
}

struct OperationNames {
  std::string id_suffix;  // e.g. CoreV1NamespacedConfigMap
  json gvk;
  std::string kind_component;
};

json operation(const char* verb, const char* action, const OperationNames& n, json params,
               std::string component_for_response) {
  json op = {{"operationId", std::string(verb) + n.id_suffix},
             {"parameters", std::move(params)},
             {"responses", json_response(component_for_response)},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind", n.gvk}};
  return op;
}

json patch_operation(const OperationNames& n) {
  json op = operation("patch", "patch", n, write_params(true), n.kind_component);
  json body_schema = {{"schema", ref_schema(std::string(kMetaPrefix) + "Patch")}};
  op["requestBody"] = {{"content",
                        {{"application/apply-patch+yaml", body_schema},
                         {"application/json-patch+json", body_schema},
                         {"application/merge-patch+json", body_schema}}},
                       {"required", true}};
  return op;
}

json write_operation(const char* verb, const char* action, const OperationNames& n) {
  json op = operation(verb, action, n, write_params(false), n.kind_component);
  op["requestBody"] = {{"content", {{"*/*", {{"schema", ref_schema(n.kind_component)}}}}},
                       {"required", true}};
  return op;
}

void add_paths(const ResourceInfo& info, json& paths) {
  const std::string kind_comp = component_name(info, info.kind);
  const std::string list_kind = info.list_kind.empty() ? info.kind + "List" : info.list_kind;
  const std::string list_comp = component_name(info, list_kind);
  const std::string root =
      info.group.empty() ? "/api/" + info.version : "/apis/" + info.group + "/" + info.version;
  const std::string collection =
      root + (info.namespaced ? "/namespaces/{namespace}/" : "/") + info.resource;
  const std::string item = collection + "/{name}";
  const std::string id_base =
      group_camel(info.group) + capitalize(info.version) + (info.namespaced ? "Namespaced" : "");

  json scope_params = json::array();
  if (info.namespaced)
    scope_params.push_back(path_param("namespace", "Object name and auth scope."));
  json item_params = scope_params;
  item_params.push_back(path_param("name", "Name of the " + info.kind + "."));

  OperationNames n{id_base + info.kind, gvk_of(info, info.kind), kind_comp};
  json list_params = json::array(
      {query_param("labelSelector", "string", "Selects objects by their labels."),
       query_param("fieldSelector", "string", "Selects objects by their fields."),
       query_param("limit", "integer", "Maximum number of objects in one page."),
       query_param("continue", "string", "Token of the page to fetch."),
       query_param("resourceVersion", "string", "Snapshot or starting point to read from."),
       query_param("watch", "boolean", "Stream changes instead of listing."),
       query_param("timeoutSeconds", "integer", "Time limit of the request.")});
  paths[collection] = {{"parameters", scope_params},
                       {"get", operation("list", "list", n, std::move(list_params), list_comp)},
                       {"post", write_operation("create", "post", n)}};
  paths[item] = {
      {"parameters", item_params},
      {"get", operation("read", "get", n, json::array(), kind_comp)},
      {"put", write_operation("replace", "put", n)},
      {"patch", patch_operation(n)},
      {"delete",
       operation(
           "delete", "delete", n,
           json::array(
               {query_param("dryRun", "string", "When All, validate without persisting."),
                query_param("gracePeriodSeconds", "integer",
                            "Seconds before the object is removed."),
                query_param("propagationPolicy", "string", "Orphan, Background or Foreground.")}),
           kind_comp)}};
  if (info.has_status) {
    OperationNames status_names{id_base + info.kind + "Status", n.gvk, kind_comp};
    paths[item + "/status"] = {
        {"parameters", item_params},
        {"get", operation("read", "get", status_names, json::array(), kind_comp)},
        {"put", write_operation("replace", "put", status_names)},
        {"patch", patch_operation(status_names)}};
  }
}

// ------------------------------------------------------------------ documents and cache

std::optional<std::pair<std::string, std::string>> parse_gv_path(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::vector<std::string> parts = split(path, '/');
  if (parts.size() == 2 && parts[0] == "api" && !parts[1].empty())
    return std::make_pair(std::string(), parts[1]);
  if (parts.size() == 3 && parts[0] == "apis" && !parts[1].empty() && !parts[2].empty())
    return std::make_pair(parts[1], parts[2]);
  return std::nullopt;
}

std::string gv_path_of(const std::string& group, const std::string& version) {
  return group.empty() ? "api/" + version : "apis/" + group + "/" + version;
}

json build_document(const Entries& entries) {
  json schemas = meta_components();
  json paths = json::object();
  for (const auto& info : entries) {
    const std::string kind_comp = component_name(*info, info->kind);
    const std::string list_kind = info->list_kind.empty() ? info->kind + "List" : info->list_kind;
    schemas[kind_comp] = kind_component(*info);
    schemas[component_name(*info, list_kind)] = list_component(*info, kind_comp);
    add_paths(*info, paths);
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.31.0"}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", std::move(schemas)}}}};
}

struct CachedDocument {
  Entries entries;  // held, so that pointer identity cannot be reused while cached
  std::shared_ptr<const json> document;
  std::string hash;
};

std::mutex& cache_mutex() {
  static std::mutex mu;
  return mu;
}

std::unordered_map<std::string, CachedDocument>& cache() {
  static std::unordered_map<std::string, CachedDocument> documents;
  return documents;
}

bool same_entries(const Entries& a, const Entries& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// The document of a group version and its hash; null when the group version is not served.
std::pair<std::shared_ptr<const json>, std::string> document_for(const Registry& registry,
                                                                 const std::string& group,
                                                                 const std::string& version) {
  Entries entries = registry.group_version(group, version);
  if (entries.empty()) return {nullptr, ""};
  const std::string key = gv_path_of(group, version);
  {
    std::lock_guard lock(cache_mutex());
    auto it = cache().find(key);
    if (it != cache().end() && same_entries(it->second.entries, entries))
      return {it->second.document, it->second.hash};
  }
  auto document = std::make_shared<const json>(build_document(entries));
  std::string hash = fnv_hex(document->dump());
  std::lock_guard lock(cache_mutex());
  cache()[key] = CachedDocument{std::move(entries), document, hash};
  return {document, hash};
}

}  // namespace

nlohmann::json openapi_v3_index(const Registry& registry) {
  json paths = json::object();
  for (const auto& g : registry.groups()) {
    for (const auto& v : g.versions) {
      auto [document, hash] = document_for(registry, g.name, v);
      if (!document) continue;
      const std::string path = gv_path_of(g.name, v);
      paths[path] = {{"serverRelativeURL", "/openapi/v3/" + path + "?hash=" + hash}};
    }
  }
  return {{"paths", std::move(paths)}};
}

std::optional<nlohmann::json> openapi_v3_document(const Registry& registry,
                                                  std::string_view gv_path) {
  auto gv = parse_gv_path(gv_path);
  if (!gv) return std::nullopt;
  auto [document, hash] = document_for(registry, gv->first, gv->second);
  if (!document) return std::nullopt;
  return *document;
}

}  // namespace cairn::apiserver
