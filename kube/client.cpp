#include "kube/client.h"

#include <utility>

#include "kube/detail/text.h"

namespace cairn::kube {
namespace {

constexpr const char* kAggregatedAccept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
    "application/json";

std::string str_at(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const nlohmann::json& metadata_of(const nlohmann::json& obj) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find("metadata");
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

// Builds "?a=b&c=d" from the non-empty pairs.
class Query {
 public:
  Query& add(const std::string& key, const std::string& value) {
    if (value.empty()) return *this;
    text_ += text_.empty() ? "?" : "&";
    text_ += key + "=" + detail::query_escape(value);
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

Error decode_error(const std::string& what, const std::string& detail) {
  return make_error(ErrorKind::kDecode, what + ": " + detail);
}

std::vector<std::string> string_list(const nlohmann::json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& v : value) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

const char* patch_content_type(PatchType type) {
  switch (type) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategic: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

}  // namespace

std::string GroupVersionKind::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

Result<GroupVersionKind> GroupVersionKind::of(const nlohmann::json& object) {
  std::string api_version = str_at(object, "apiVersion");
  std::string kind = str_at(object, "kind");
  if (api_version.empty() || kind.empty()) {
    return tl::unexpected(make_error(ErrorKind::kDecode, "object has no apiVersion or kind"));
  }
  GroupVersionKind gvk;
  std::size_t slash = api_version.find('/');
  if (slash == std::string::npos) {
    gvk.version = api_version;
  } else {
    gvk.group = api_version.substr(0, slash);
    gvk.version = api_version.substr(slash + 1);
  }
  gvk.kind = kind;
  return gvk;
}

std::string WatchEvent::resource_version() const {
  return str_at(metadata_of(object), "resourceVersion");
}

WatchStream::WatchStream(std::unique_ptr<LineStream> lines, std::chrono::milliseconds read_timeout)
    : lines_(std::move(lines)), read_timeout_(read_timeout) {}

void WatchStream::cancel() { lines_->cancel(); }

Result<std::optional<WatchEvent>> WatchStream::next() {
  if (finished_) return std::optional<WatchEvent>();
  auto line = lines_->next_line(read_timeout_);
  if (!line) {
    finished_ = true;
    return tl::unexpected(line.error());
  }
  if (!*line) {
    finished_ = true;
    return std::optional<WatchEvent>();
  }
  nlohmann::json event = nlohmann::json::parse(**line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("object") || !event["object"].is_object()) {
    finished_ = true;
    return tl::unexpected(
        decode_error("watch", "undecodable event: " + line->value().substr(0, 200)));
  }
  std::string type = str_at(event, "type");
  WatchEvent out;
  if (type == "ADDED") {
    out.type = EventType::kAdded;
  } else if (type == "MODIFIED") {
    out.type = EventType::kModified;
  } else if (type == "DELETED") {
    out.type = EventType::kDeleted;
  } else if (type == "BOOKMARK") {
    out.type = EventType::kBookmark;
  } else if (type == "ERROR") {
    finished_ = true;
    return tl::unexpected(error_from_status(event["object"], 500));
  } else {
    finished_ = true;
    return tl::unexpected(decode_error("watch", "unknown event type \"" + type + "\""));
  }
  out.object = std::move(event["object"]);
  return std::optional<WatchEvent>(std::move(out));
}

Client::Client(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

Result<std::unique_ptr<Client>> Client::create(const RestConfig& config, ClientOptions options) {
  auto transport = Transport::create(config, options.transport);
  if (!transport) return tl::unexpected(transport.error());
  return std::unique_ptr<Client>(new Client(std::move(*transport)));
}

Result<nlohmann::json> Client::call(const std::string& method, const std::string& target,
                                    const std::string& body, const std::string& content_type) {
  Request request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.content_type = content_type;
  auto response = transport_->send(request);
  if (!response) return tl::unexpected(response.error());
  if (response->code < 200 || response->code >= 300) {
    return tl::unexpected(
        error_from_response(response->code, response->content_type, response->body));
  }
  const std::string what = method + " " + target;
  if (response->content_type.find("json") == std::string::npos) {
    return tl::unexpected(decode_error(what, "unexpected content type \"" +
                                                 response->content_type + "\""));
  }
  nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (parsed.is_discarded()) {
    return tl::unexpected(decode_error(what, "invalid JSON in the response body"));
  }
  return parsed;
}

Result<nlohmann::json> Client::get_json(const std::string& target, const std::string& accept) {
  Request request;
  request.target = target;
  request.accept = accept;
  auto response = transport_->send(request);
  if (!response) return tl::unexpected(response.error());
  if (response->code < 200 || response->code >= 300) {
    return tl::unexpected(
        error_from_response(response->code, response->content_type, response->body));
  }
  nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return tl::unexpected(decode_error("GET " + target, "invalid JSON in the response body"));
  }
  return parsed;
}

Result<nlohmann::json> Client::server_version() { return get_json("/version", "application/json"); }

Result<std::vector<ResourceMapping>> Client::discover_aggregated(bool& served) {
  served = false;
  std::vector<ResourceMapping> out;
  for (const char* root : {"/api", "/apis"}) {
    auto doc = get_json(root, kAggregatedAccept);
    if (!doc) return tl::unexpected(doc.error());
    if (str_at(*doc, "kind") != "APIGroupDiscoveryList") return out;  // legacy server
    auto items = doc->find("items");
    if (items == doc->end() || !items->is_array()) continue;
    for (const auto& group : *items) {
      std::string group_name = str_at(metadata_of(group), "name");
      auto versions = group.find("versions");
      if (versions == group.end() || !versions->is_array()) continue;
      for (const auto& version : *versions) {
        std::string version_name = str_at(version, "version");
        auto resources = version.find("resources");
        if (resources == version.end() || !resources->is_array()) continue;
        for (const auto& res : *resources) {
          ResourceMapping m;
          m.resource = str_at(res, "resource");
          const auto& kind = res.value("responseKind", nlohmann::json::object());
          m.gvk = GroupVersionKind{group_name, version_name, str_at(kind, "kind")};
          m.namespaced = str_at(res, "scope") == "Namespaced";
          m.verbs = string_list(res.value("verbs", nlohmann::json::array()));
          for (const auto& sub : res.value("subresources", nlohmann::json::array())) {
            if (str_at(sub, "subresource") == "status") m.has_status = true;
          }
          if (!m.resource.empty() && !m.gvk.kind.empty()) out.push_back(std::move(m));
        }
      }
    }
  }
  served = true;
  return out;
}

Result<std::vector<ResourceMapping>> Client::discover_legacy() {
  std::vector<std::pair<std::string, std::string>> group_versions;  // (group, version)
  auto core = get_json("/api", "application/json");
  if (!core) return tl::unexpected(core.error());
  for (const auto& v : string_list(core->value("versions", nlohmann::json::array()))) {
    group_versions.emplace_back("", v);
  }
  auto groups = get_json("/apis", "application/json");
  if (!groups) return tl::unexpected(groups.error());
  for (const auto& g : groups->value("groups", nlohmann::json::array())) {
    for (const auto& v : g.value("versions", nlohmann::json::array())) {
      group_versions.emplace_back(str_at(g, "name"), str_at(v, "version"));
    }
  }
  std::vector<ResourceMapping> out;
  for (const auto& [group, version] : group_versions) {
    std::string target = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    auto list = get_json(target, "application/json");
    if (!list) {
      if (is_not_found(list.error())) continue;  // group vanished between the two reads
      return tl::unexpected(list.error());
    }
    std::vector<std::string> with_status;
    std::size_t first = out.size();
    for (const auto& res : list->value("resources", nlohmann::json::array())) {
      std::string name = str_at(res, "name");
      std::size_t slash = name.find('/');
      if (slash != std::string::npos) {
        if (name.substr(slash + 1) == "status") with_status.push_back(name.substr(0, slash));
        continue;
      }
      ResourceMapping m;
      m.resource = name;
      m.gvk = GroupVersionKind{group, version, str_at(res, "kind")};
      m.namespaced = res.value("namespaced", false);
      m.verbs = string_list(res.value("verbs", nlohmann::json::array()));
      out.push_back(std::move(m));
    }
    for (std::size_t i = first; i < out.size(); ++i) {
      for (const auto& s : with_status) {
        if (out[i].resource == s) out[i].has_status = true;
      }
    }
  }
  return out;
}

Result<void> Client::discover() {
  bool served = false;
  auto aggregated = discover_aggregated(served);
  if (!aggregated) return tl::unexpected(aggregated.error());
  std::vector<ResourceMapping> found;
  if (served) {
    found = std::move(*aggregated);
  } else {
    auto legacy = discover_legacy();
    if (!legacy) return tl::unexpected(legacy.error());
    found = std::move(*legacy);
  }
  std::lock_guard lock(mu_);
  mappings_ = std::move(found);
  aggregated_ = served;
  return {};
}

void Client::invalidate_discovery() {
  std::lock_guard lock(mu_);
  mappings_.reset();
}

bool Client::used_aggregated_discovery() const {
  std::lock_guard lock(mu_);
  return aggregated_;
}

Result<std::vector<ResourceMapping>> Client::resources() {
  {
    std::lock_guard lock(mu_);
    if (mappings_) return *mappings_;
  }
  if (auto r = discover(); !r) return tl::unexpected(r.error());
  std::lock_guard lock(mu_);
  return mappings_.value_or(std::vector<ResourceMapping>{});
}

Result<ResourceMapping> Client::mapping(const GroupVersionKind& gvk) {
  auto lookup = [&]() -> std::optional<ResourceMapping> {
    std::lock_guard lock(mu_);
    if (!mappings_) return std::nullopt;
    for (const auto& m : *mappings_) {
      if (m.gvk == gvk) return m;
    }
    return std::nullopt;
  };
  bool cached = false;
  {
    std::lock_guard lock(mu_);
    cached = mappings_.has_value();
  }
  if (cached) {
    if (auto m = lookup()) return *m;
  }
  if (auto r = discover(); !r) return tl::unexpected(r.error());
  if (auto m = lookup()) return *m;
  return tl::unexpected(make_error(ErrorKind::kNoMatch, "no matches for kind \"" + gvk.kind +
                                                            "\" in version \"" +
                                                            gvk.api_version() + "\""));
}

Result<std::string> Client::path(const GroupVersionKind& gvk, const std::string& ns,
                                 const std::string& name, const std::string& subresource,
                                 bool collection, ResourceMapping* mapping_out) {
  auto m = mapping(gvk);
  if (!m) return tl::unexpected(m.error());
  std::string p = gvk.group.empty() ? "/api/" + gvk.version
                                    : "/apis/" + gvk.group + "/" + gvk.version;
  if (m->namespaced) {
    std::string effective = ns;
    if (effective.empty() && !collection) effective = config().default_namespace;
    if (!effective.empty()) p += "/namespaces/" + effective;
  }
  p += "/" + m->resource;
  if (!collection) {
    if (name.empty()) {
      return tl::unexpected(make_error(ErrorKind::kDecode, "resource name may not be empty"));
    }
    p += "/" + name;
    if (!subresource.empty()) p += "/" + subresource;
  }
  if (mapping_out != nullptr) *mapping_out = *m;
  return p;
}

Result<nlohmann::json> Client::get(const GroupVersionKind& gvk, const std::string& ns,
                                   const std::string& name) {
  auto p = path(gvk, ns, name, "", false);
  if (!p) return tl::unexpected(p.error());
  return call("GET", *p, "", "");
}

Result<nlohmann::json> Client::list(const GroupVersionKind& gvk, const std::string& ns,
                                    const ListOptions& options) {
  auto p = path(gvk, ns, "", "", true);
  if (!p) return tl::unexpected(p.error());
  Query q;
  q.add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("limit", options.limit > 0 ? std::to_string(options.limit) : "")
      .add("continue", options.continue_token)
      .add("resourceVersion", options.resource_version)
      .add("resourceVersionMatch", options.resource_version_match);
  Request request;
  request.target = *p + q.str();
  request.timeout = options.timeout;
  auto response = transport_->send(request);
  if (!response) return tl::unexpected(response.error());
  if (response->code < 200 || response->code >= 300) {
    return tl::unexpected(
        error_from_response(response->code, response->content_type, response->body));
  }
  nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return tl::unexpected(decode_error("GET " + request.target, "invalid JSON in the response"));
  }
  return parsed;
}

Result<nlohmann::json> Client::list_all(const GroupVersionKind& gvk, const std::string& ns,
                                        const ListOptions& options) {
  bool restarted = false;
  for (;;) {
    ListOptions page_options = options;
    auto first = list(gvk, ns, page_options);
    if (!first) return first;
    nlohmann::json result = std::move(*first);
    if (!result.contains("items") || !result["items"].is_array()) {
      result["items"] = nlohmann::json::array();
    }
    std::string token = str_at(metadata_of(result), "continue");
    bool expired = false;
    while (!token.empty()) {
      page_options.continue_token = token;
      page_options.resource_version.clear();
      page_options.resource_version_match.clear();
      auto page = list(gvk, ns, page_options);
      if (!page) {
        if (is_gone(page.error()) && !restarted) {
          expired = true;
          break;
        }
        return page;
      }
      for (auto& item : (*page)["items"]) result["items"].push_back(std::move(item));
      token = str_at(metadata_of(*page), "continue");
    }
    if (expired) {
      restarted = true;
      continue;
    }
    result["metadata"].erase("continue");
    result["metadata"].erase("remainingItemCount");
    return result;
  }
}

Result<nlohmann::json> Client::write_object(const std::string& method,
                                            const nlohmann::json& object,
                                            const std::string& subresource, bool collection,
                                            const WriteOptions& options) {
  auto gvk = GroupVersionKind::of(object);
  if (!gvk) return tl::unexpected(gvk.error());
  std::string ns = str_at(metadata_of(object), "namespace");
  if (ns.empty()) ns = config().default_namespace;
  std::string name = str_at(metadata_of(object), "name");
  auto p = path(*gvk, ns, name, subresource, collection);
  if (!p) return tl::unexpected(p.error());
  Query q;
  q.add("fieldManager", options.field_manager).add("dryRun", options.dry_run ? "All" : "");
  return call(method, *p + q.str(), object.dump(), "application/json");
}

Result<nlohmann::json> Client::create(const nlohmann::json& object, const WriteOptions& options) {
  return write_object("POST", object, "", true, options);
}

Result<nlohmann::json> Client::update(const nlohmann::json& object, const WriteOptions& options) {
  return write_object("PUT", object, "", false, options);
}

Result<nlohmann::json> Client::update_status(const nlohmann::json& object,
                                             const WriteOptions& options) {
  return write_object("PUT", object, "status", false, options);
}

Result<nlohmann::json> Client::do_patch(const GroupVersionKind& gvk, const std::string& ns,
                                        const std::string& name, const std::string& subresource,
                                        PatchType type, const nlohmann::json& patch,
                                        const PatchOptions& options) {
  auto p = path(gvk, ns, name, subresource, false);
  if (!p) return tl::unexpected(p.error());
  Query q;
  if (type == PatchType::kApply) {
    q.add("fieldManager", options.field_manager.empty() ? "cairn" : options.field_manager);
    q.add("force", options.force ? "true" : "");
  } else {
    q.add("fieldManager", options.field_manager);
  }
  q.add("dryRun", options.dry_run ? "All" : "");
  return call("PATCH", *p + q.str(), patch.dump(), patch_content_type(type));
}

Result<nlohmann::json> Client::patch(const GroupVersionKind& gvk, const std::string& ns,
                                     const std::string& name, PatchType type,
                                     const nlohmann::json& patch, const PatchOptions& options) {
  return do_patch(gvk, ns, name, "", type, patch, options);
}

Result<nlohmann::json> Client::patch_status(const GroupVersionKind& gvk, const std::string& ns,
                                            const std::string& name, PatchType type,
                                            const nlohmann::json& patch,
                                            const PatchOptions& options) {
  return do_patch(gvk, ns, name, "status", type, patch, options);
}

Result<nlohmann::json> Client::apply(const nlohmann::json& object, const PatchOptions& options) {
  auto gvk = GroupVersionKind::of(object);
  if (!gvk) return tl::unexpected(gvk.error());
  std::string ns = str_at(metadata_of(object), "namespace");
  return do_patch(*gvk, ns, str_at(metadata_of(object), "name"), "", PatchType::kApply, object,
                  options);
}

Result<nlohmann::json> Client::get_status(const GroupVersionKind& gvk, const std::string& ns,
                                          const std::string& name) {
  auto p = path(gvk, ns, name, "status", false);
  if (!p) return tl::unexpected(p.error());
  return call("GET", *p, "", "");
}

Result<bool> Client::remove(const GroupVersionKind& gvk, const std::string& ns,
                            const std::string& name, const DeleteOptions& options) {
  auto p = path(gvk, ns, name, "", false);
  if (!p) return tl::unexpected(p.error());
  nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (!options.precondition_uid.empty()) body["preconditions"]["uid"] = options.precondition_uid;
  if (!options.precondition_resource_version.empty()) {
    body["preconditions"]["resourceVersion"] = options.precondition_resource_version;
  }
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (options.dry_run) body["dryRun"] = nlohmann::json::array({"All"});
  auto result = call("DELETE", *p, body.dump(), "application/json");
  if (!result) return tl::unexpected(result.error());
  if (str_at(*result, "kind") == "Status") return true;
  return !metadata_of(*result).contains("deletionTimestamp");
}

Result<std::unique_ptr<WatchStream>> Client::watch(const GroupVersionKind& gvk,
                                                   const std::string& ns,
                                                   const WatchOptions& options) {
  auto p = path(gvk, ns, "", "", true);
  if (!p) return tl::unexpected(p.error());
  Query q;
  q.add("watch", "true")
      .add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("resourceVersion", options.resource_version)
      .add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .add("timeoutSeconds",
           options.timeout_seconds ? std::to_string(*options.timeout_seconds) : "");
  Request request;
  request.target = *p + q.str();
  auto lines = transport_->stream(request);
  if (!lines) return tl::unexpected(lines.error());
  return std::make_unique<WatchStream>(std::move(*lines), options.read_timeout);
}

}  // namespace cairn::kube
