// ApiHandler: construction, start-up seeding, routing, authentication and the non-resource
// endpoints (discovery, version, OpenAPI, health).
#include <chrono>
#include <ctime>

#include "apiserver/auth.h"
#include "apiserver/crd.h"
#include "apiserver/discovery.h"
#include "apiserver/handler_internal.h"
#include "apiserver/openapi.h"
#include "apiserver/validation.h"

namespace cairn::apiserver {

using nlohmann::json;

// ------------------------------------------------------------------ helpers

Status with_details(Status status, const ResourceInfo& info, const std::string& name) {
  if (!status.details &&
      (status.code == StatusCode::kNotFound || status.code == StatusCode::kAlreadyExists ||
       status.code == StatusCode::kConflict)) {
    status.details = StatusDetails{name, info.group, info.resource, "", {}, 0};
  }
  return status;
}

namespace {

std::string warning_header(std::string_view text) {
  std::string out = "299 - \"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

HttpResponse json_text_response(int code, std::string body,
                                const std::vector<std::string>& warnings) {
  HttpResponse r;
  r.status = code;
  r.headers.emplace_back("Content-Type", "application/json");
  for (const std::string& w : warnings) r.headers.emplace_back("Warning", warning_header(w));
  r.body = std::move(body);
  return r;
}

HttpResponse json_response(int code, const json& body, const std::vector<std::string>& warnings) {
  return json_text_response(code, body.dump(-1, ' ', false, json::error_handler_t::replace),
                            warnings);
}

HttpResponse status_response(const Status& status, const std::vector<std::string>& warnings) {
  return json_response(status.http_code(), to_json(status), warnings);
}

HttpResponse not_found_response() {
  return status_response(Status{StatusCode::kNotFound,
                                "the server could not find the requested resource", std::nullopt});
}

ObjectKey object_key(const RequestContext& ctx) {
  return ObjectKey{ctx.resource->group, ctx.resource->resource,
                   ctx.resource->namespaced ? ctx.info.namespace_ : "", ctx.info.name};
}

std::string user_agent_manager(std::string_view user_agent) {
  // kube: the user agent up to the first '/', at most 128 bytes.
  std::string_view name = user_agent.substr(0, user_agent.find('/'));
  if (name.size() > 128) name = name.substr(0, 128);
  return std::string(name);
}

std::string ApiHandler::Impl::field_manager(const RequestContext& ctx,
                                            std::string_view fallback) const {
  if (auto m = ctx.query.get("fieldManager"); m && !m->empty()) return *m;
  std::string ua = user_agent_manager(ctx.http.header("user-agent"));
  return ua.empty() ? std::string(fallback) : ua;
}

Result<FieldValidation> ApiHandler::Impl::field_validation(const RequestContext& ctx) const {
  auto v = ctx.query.get("fieldValidation");
  if (!v || v->empty() || *v == "Warn") return FieldValidation::kWarn;
  if (*v == "Ignore") return FieldValidation::kIgnore;
  if (*v == "Strict") return FieldValidation::kStrict;
  return error(StatusCode::kBadRequest, "fieldValidation parameter unsupported value: \"" + *v +
                                            "\". Supported values: Ignore, Warn, Strict");
}

Result<bool> ApiHandler::Impl::dry_run(const RequestContext& ctx) const {
  bool dry = false;
  for (const std::string& v : ctx.query.get_all("dryRun")) {
    if (v != "All") {
      return error(StatusCode::kBadRequest,
                   "Invalid dryRun value: \"" + v + "\": supported values: \"All\"");
    }
    dry = true;
  }
  return dry;
}

// ------------------------------------------------------------------ ApiHandler

ApiHandler::ApiHandler(Store& store, Registry& registry, ApiHandlerOptions options)
    : impl_(new Impl{store, registry, std::move(options)}) {}

ApiHandler::~ApiHandler() = default;

Result<void> ApiHandler::start() {
  auto ns_info = impl_->registry.find("", "v1", "namespaces");
  if (!ns_info) return error(StatusCode::kInternal, "the registry does not serve namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto existing = impl_->store.get(ObjectKey{"", "namespaces", "", name});
    if (existing) continue;
    if (existing.error().code != StatusCode::kNotFound) return tl::unexpected(existing.error());
    json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    if (auto p = prepare_for_create(*ns_info, ns); !p) return tl::unexpected(p.error());
    auto created = impl_->store.create(ns_info->ref(), "", ns, WriteOptions{ns_info->generation});
    if (!created && created.error().code != StatusCode::kAlreadyExists) {
      return tl::unexpected(created.error());
    }
  }
  auto crds = impl_->store.list(
      ListOptions(ResourceRef{"apiextensions.k8s.io", "customresourcedefinitions"}));
  if (!crds) return tl::unexpected(crds.error());
  for (const json& crd : crds->items) {
    std::string name = crd.value("/metadata/name"_json_pointer, "");
    // A CRD whose names conflict stays unserved, as its NamesAccepted condition says.
    (void)impl_->registry.set_crd(name, crd_resources(crd));
  }
  return {};
}

HttpResponse ApiHandler::handle(HttpRequest& request) {
  try {
    return impl_->route(request);
  } catch (const std::exception& e) {
    return status_response(Status{
        StatusCode::kInternal, std::string("Internal error occurred: ") + e.what(), std::nullopt});
  } catch (...) {
    return status_response(
        Status{StatusCode::kInternal, "Internal error occurred: unknown", std::nullopt});
  }
}

// ------------------------------------------------------------------ routing

HttpResponse ApiHandler::Impl::route(HttpRequest& request) {
  auto query = QueryParams::parse(request.query);
  if (!query) return status_response(query.error());
  if (!options.insecure) {
    Status unauthorized{StatusCode::kUnauthorized, "Unauthorized", std::nullopt};
    if (!options.authenticator) return status_response(unauthorized);
    auto user = options.authenticator->authenticate(request);
    if (!user || !*user) return status_response(unauthorized);
  }
  auto info = parse_request_info(request.method, request.path, *query);
  if (!info) return status_response(info.error());
  RequestContext ctx{request, std::move(*query), std::move(*info), nullptr, {}};
  HttpResponse response = ctx.info.is_resource_request ? resource_request(ctx) : non_resource(ctx);
  if (request.method == "HEAD") response.body.clear();
  return response;
}

namespace {

HttpResponse text_response(int code, std::string body) {
  HttpResponse r;
  r.status = code;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.body = std::move(body);
  return r;
}

bool is_health_path(std::string_view path) {
  for (std::string_view p : {"/healthz", "/readyz", "/livez"}) {
    if (path == p) return true;
    if (path.size() > p.size() && path.substr(0, p.size()) == p && path[p.size()] == '/') {
      return true;
    }
  }
  return false;
}

HttpResponse discovery_response(const RequestContext& ctx, const json& legacy,
                                const std::function<json()>& aggregated) {
  static constexpr Representation kOffered[] = {Representation::kJson,
                                                Representation::kAggregatedDiscovery};
  auto rep = negotiate(ctx.http.header("accept"), kOffered);
  if (!rep) return status_response(rep.error());
  if (*rep == Representation::kAggregatedDiscovery) {
    HttpResponse r = json_response(200, aggregated());
    r.headers[0].second = std::string(kAggregatedDiscoveryContentType);
    return r;
  }
  return json_response(200, legacy);
}

}  // namespace

HttpResponse ApiHandler::Impl::non_resource(RequestContext& ctx) {
  std::string path = ctx.info.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (ctx.http.method != "GET" && ctx.http.method != "HEAD") {
    if (is_health_path(path) || path == "/version" || path == "/api" || path == "/apis" ||
        path.rfind("/openapi", 0) == 0 || path.rfind("/api/", 0) == 0 ||
        path.rfind("/apis/", 0) == 0) {
      return status_response(Status{StatusCode::kMethodNotAllowed,
                                    "the server does not allow this method on the requested "
                                    "resource",
                                    std::nullopt});
    }
    return not_found_response();
  }
  if (is_health_path(path)) return text_response(200, "ok");
  if (path == "/version") return json_response(200, version_info());
  if (path == "/api") {
    return discovery_response(ctx, legacy_api_versions(options.server_address),
                              [this] { return aggregated_discovery(registry, true); });
  }
  if (path == "/apis") {
    return discovery_response(ctx, legacy_api_group_list(registry),
                              [this] { return aggregated_discovery(registry, false); });
  }
  if (ctx.info.api_prefix == "api" && !ctx.info.version.empty()) {
    auto doc = legacy_api_resource_list(registry, "", ctx.info.version);
    return doc ? json_response(200, *doc) : not_found_response();
  }
  if (ctx.info.api_prefix == "apis" && !ctx.info.group.empty()) {
    auto doc = ctx.info.version.empty()
                   ? legacy_api_group(registry, ctx.info.group)
                   : legacy_api_resource_list(registry, ctx.info.group, ctx.info.version);
    return doc ? json_response(200, *doc) : not_found_response();
  }
  if (path == "/openapi/v3") return json_response(200, openapi_v3_index(registry));
  if (path.rfind("/openapi/v3/", 0) == 0) {
    auto doc = openapi_v3_document(registry, path.substr(std::string_view("/openapi/v3/").size()));
    return doc ? json_response(200, *doc) : not_found_response();
  }
  return not_found_response();
}

HttpResponse ApiHandler::Impl::resource_request(RequestContext& ctx) {
  const RequestInfo& info = ctx.info;
  if (info.parts.empty() || info.parts.size() > 3 || info.resource.empty()) {
    return not_found_response();
  }
  ctx.resource = registry.find(info.group, info.version, info.resource);
  if (!ctx.resource) return not_found_response();
  const ResourceInfo& res = *ctx.resource;
  // Scope: a namespaced object needs a namespace; a cluster-scoped one must not have one.
  if (!res.namespaced && !info.namespace_.empty()) return not_found_response();
  if (res.namespaced && info.namespace_.empty() && !info.name.empty()) {
    return not_found_response();
  }
  if (res.namespaced && info.namespace_.empty() && info.verb != "list" && info.verb != "watch") {
    return not_found_response();
  }
  if (!info.subresource.empty()) {
    bool served = (info.subresource == "status" && res.has_status) ||
                  (info.subresource == "scale" && res.scale.has_value());
    for (const std::string& s : res.extra_subresources) served = served || s == info.subresource;
    if (!served) return not_found_response();
  }
  if (res.deprecated) {
    ctx.warnings.push_back(res.deprecation_warning.empty()
                               ? res.api_version() + " " + res.kind + " is deprecated"
                               : res.deprecation_warning);
  }
  const std::string& verb = info.verb;
  Status not_allowed{StatusCode::kMethodNotAllowed,
                     "the server does not allow this method on the requested resource",
                     std::nullopt};
  if (info.subresource == "scale") {
    if (verb == "get" || verb == "update" || verb == "patch") return scale(ctx);
    return status_response(not_allowed, ctx.warnings);
  }
  if (!info.subresource.empty()) {
    if (info.subresource == "finalize" && verb == "update") return update(ctx);
    if (info.subresource == "status" && (verb == "get" || verb == "update" || verb == "patch")) {
      if (verb == "get") return get(ctx);
      return verb == "update" ? update(ctx) : patch(ctx);
    }
    return status_response(not_allowed, ctx.warnings);
  }
  if (verb == "get") return get(ctx);
  if (verb == "list") return list(ctx);
  if (verb == "watch") return watch(ctx);
  if (verb == "create") {
    if (!info.name.empty()) return status_response(not_allowed, ctx.warnings);
    return create(ctx);
  }
  if (verb == "update") return update(ctx);
  if (verb == "patch") return patch(ctx);
  if (verb == "delete") return remove(ctx);
  if (verb == "deletecollection") return remove_collection(ctx);
  return status_response(not_allowed, ctx.warnings);
}

}  // namespace cairn::apiserver
