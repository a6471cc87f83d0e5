// Private to the handler_*.cpp files: the ApiHandler implementation object, the per-request
// context and small response helpers shared between the concerns (routing, reads and watch,
// writes, patch and apply, custom resources and CRDs).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/handler.h"
#include "apiserver/request.h"

namespace cairn::apiserver {

// A written object as a response carries it: the served form and, when that is the stored form
// (built-in kinds), the JSON text the store wrote, so that the response does not print it again.
struct WrittenObject {
  std::shared_ptr<const nlohmann::json> object;
  std::string text;  // "" when the response must print `object`

  // The served form of what the store committed for `info`.
  static WrittenObject served(const ResourceInfo& info, Committed committed);
  // An object without its text.
  static WrittenObject of(nlohmann::json object);
};

// Everything one resource request carries once it is parsed and routed.
struct RequestContext {
  HttpRequest& http;
  QueryParams query;
  RequestInfo info;
  std::shared_ptr<const ResourceInfo> resource;  // the served (group, version, resource)
  std::vector<std::string> warnings;             // Warning headers to send
};

// How unknown and duplicate fields in a body are treated (?fieldValidation=).
enum class FieldValidation { kIgnore, kWarn, kStrict };

struct ApiHandler::Impl {
  Store& store;
  Registry& registry;
  ApiHandlerOptions options;

  // ---- handler.cpp: routing, authentication, non-resource endpoints
  HttpResponse route(HttpRequest& request);
  HttpResponse non_resource(RequestContext& ctx);
  HttpResponse resource_request(RequestContext& ctx);

  // ---- handler_read.cpp
  HttpResponse get(RequestContext& ctx);
  HttpResponse list(RequestContext& ctx);
  HttpResponse watch(RequestContext& ctx);

  // ---- handler_write.cpp
  HttpResponse create(RequestContext& ctx);
  HttpResponse update(RequestContext& ctx);
  HttpResponse remove(RequestContext& ctx);
  HttpResponse remove_collection(RequestContext& ctx);
  HttpResponse scale(RequestContext& ctx);

  // ---- handler_patch.cpp
  HttpResponse patch(RequestContext& ctx);
  // Server-side apply of `applied` (apply-patch body): creates the object when missing.
  HttpResponse apply(RequestContext& ctx, nlohmann::json applied,
                     const std::vector<std::string>& duplicates, bool force);

  // ---- shared write helpers (handler_write.cpp)
  // Decodes a POST/PUT body (JSON or YAML); 415 for other types, 400 for malformed bodies.
  Result<DecodedBody> decode_object_body(RequestContext& ctx);
  // Checks apiVersion/kind (filled in when absent) and the namespace against the URL.
  Result<void> check_type_and_namespace(const RequestContext& ctx, nlohmann::json& object);
  // Applies ?fieldValidation= to the unknown (pruned) and duplicate fields of a body.
  Result<void> check_fields(RequestContext& ctx, const std::vector<std::string>& unknown,
                            const std::vector<std::string>& duplicates);
  // Prunes and defaults a custom resource with the schema of `info` (the served version);
  // returns the pruned paths.
  std::vector<std::string> prune_and_default(const ResourceInfo& info, nlohmann::json& object);
  // Validation of an object about to be written (metadata + built-in or schema rules).
  Result<void> validate(const ResourceInfo& info, const nlohmann::json& object,
                        const nlohmann::json* old);
  // The update pipeline run inside Store::update_with: `incoming` is the new object in the
  // served version, `current` the stored one (storage version). Returns the object to store.
  // An empty `operation_manager` leaves managedFields alone (apply has recorded them).
  Result<nlohmann::json> prepare_update(RequestContext& ctx, nlohmann::json incoming,
                                        const nlohmann::json& current,
                                        bool client_sent_managed_fields,
                                        std::string_view operation_manager);
  // Writes through update_with (or simulates it for dryRun) and finishes deletions.
  using Transform = std::function<Result<nlohmann::json>(const nlohmann::json& current)>;
  Result<WrittenObject> write_update(RequestContext& ctx, const Transform& transform);
  // After a CRD write: registers it and stores its status.
  Result<nlohmann::json> after_crd_write(const nlohmann::json& crd);

  // ---- custom resource versions (handler_crd.cpp)
  // The stored form of `object` (served version -> storage version).
  nlohmann::json to_storage(const ResourceInfo& info, nlohmann::json object) const;
  // The served form of a stored object: converted to info's version and defaulted.
  nlohmann::json to_served(const ResourceInfo& info, nlohmann::json object) const;

  // ---- response helpers
  std::string field_manager(const RequestContext& ctx, std::string_view fallback) const;
  Result<FieldValidation> field_validation(const RequestContext& ctx) const;
  Result<bool> dry_run(const RequestContext& ctx) const;
};

// A store error with kube's details {name, group, kind: plural} for NotFound / AlreadyExists /
// Conflict.
Status with_details(Status status, const ResourceInfo& info, const std::string& name);

HttpResponse json_response(int code, const nlohmann::json& body,
                           const std::vector<std::string>& warnings = {});
// The same for a body that is JSON text already.
HttpResponse json_text_response(int code, std::string body,
                                const std::vector<std::string>& warnings = {});
HttpResponse status_response(const Status& status, const std::vector<std::string>& warnings = {});
// A 404 "the server could not find the requested resource".
HttpResponse not_found_response();
// The object as the request asked for it: JSON, Table or PartialObjectMetadata. `text`, when
// not empty, is the object's compact JSON, sent as it is for a JSON response.
HttpResponse object_response(RequestContext& ctx, int code, const nlohmann::json& object,
                             std::string text = {});
HttpResponse object_response(RequestContext& ctx, int code, WrittenObject written);

// The create pipeline shared by POST and apply-creates: type/namespace checks, namespace
// admission, pruning/defaulting, fieldValidation, preparation, validation, managedFields
// (unless `already_managed`), dryRun, the store write and CRD registration. Returns the object
// in the served form.
Result<WrittenObject> create_object(ApiHandler::Impl& impl, RequestContext& ctx,
                                    nlohmann::json object,
                                    const std::vector<std::string>& duplicates,
                                    bool already_managed);

// A stored custom resource in the served version of `info`, defaulted (built-ins unchanged).
nlohmann::json served_form(const ResourceInfo& info, nlohmann::json object);

// ObjectKey of the request's object.
ObjectKey object_key(const RequestContext& ctx);
// The user-agent's program name (kubectl, OpenAPI-Generator, ...) as kube derives the default
// field manager.
std::string user_agent_manager(std::string_view user_agent);

}  // namespace cairn::apiserver
