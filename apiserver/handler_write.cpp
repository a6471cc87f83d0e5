// Writes: create (POST), update (PUT, also /status and namespaces/finalize), delete,
// deletecollection and the scale subresource, with the shared pipeline: body decoding, type
// and namespace checks, fieldValidation, custom resource pruning/defaulting, per-kind
// preparation, validation, managedFields, dryRun, finalizer-driven deletion.
#include <random>

#include "apiserver/controller_lifecycle.h"
#include "apiserver/fields.h"
#include "apiserver/handler_internal.h"
#include "apiserver/patch.h"
#include "apiserver/schema.h"
#include "apiserver/validation.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace {

constexpr std::string_view kObjectMediaTypes =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json, application/yaml, application/vnd.kubernetes.protobuf";

bool is_crd(const ResourceInfo& info) {
  return info.group == "apiextensions.k8s.io" && info.resource == "customresourcedefinitions";
}

std::string cannot_handle(const ResourceInfo& info) {
  return info.kind + " in version \"" + info.version + "\" cannot be handled as a " + info.kind +
         ": ";
}

std::string name_of(const json& object) {
  const json* meta =
      object.is_object() && object.contains("metadata") ? &object["metadata"] : nullptr;
  if (!meta || !meta->is_object()) return "";
  auto it = meta->find("name");
  return it != meta->end() && it->is_string() ? it->get<std::string>() : "";
}

const json* schema_of(const ResourceInfo& info) {
  return info.schema ? info.schema.get() : nullptr;
}

}  // namespace

// ------------------------------------------------------------------ shared pipeline

Result<DecodedBody> ApiHandler::Impl::decode_object_body(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  BodyFormat format = body_format(ctx.http.header("content-type"));
  Result<DecodedBody> body =
      error(StatusCode::kUnsupportedMediaType, std::string(kObjectMediaTypes));
  if (format == BodyFormat::kJson) {
    body = decode_json_body(ctx.http.body);
  } else if (format == BodyFormat::kYaml) {
    body = decode_yaml_body(ctx.http.body);
  } else {
    return body;
  }
  if (!body) {
    return error(StatusCode::kBadRequest, cannot_handle(res) + body.error().message);
  }
  if (!body->value.is_object()) {
    std::string what = body->value.is_null() ? "the body of the request was empty"
                                             : "the object must be a JSON object, not " +
                                                   std::string(body->value.type_name());
    return error(StatusCode::kBadRequest, cannot_handle(res) + what);
  }
  return body;
}

Result<void> ApiHandler::Impl::check_type_and_namespace(const RequestContext& ctx, json& object) {
  const ResourceInfo& res = *ctx.resource;
  if (auto av = object.find("apiVersion"); av != object.end() && !av->is_null()) {
    if (!av->is_string()) {
      return error(StatusCode::kBadRequest, cannot_handle(res) + "apiVersion must be a string");
    }
    if (av->get_ref<const std::string&>() != res.api_version()) {
      return error(StatusCode::kBadRequest,
                   "the API version in the data (" + av->get<std::string>() +
                       ") does not match the expected API version (" + res.api_version() + ")");
    }
  }
  if (auto kind = object.find("kind"); kind != object.end() && !kind->is_null()) {
    if (!kind->is_string() || kind->get_ref<const std::string&>() != res.kind) {
      std::string got = kind->is_string()
                            ? kind->get<std::string>()
                            : kind->dump(-1, ' ', false, json::error_handler_t::replace);
      return error(StatusCode::kBadRequest,
                   cannot_handle(res) + "the object provided is unrecognized (must be of type " +
                       res.kind + "): kind \"" + got + "\" does not match");
    }
  }
  object["apiVersion"] = res.api_version();
  object["kind"] = res.kind;
  json& meta = object["metadata"];
  if (meta.is_null()) meta = json::object();
  if (!meta.is_object()) {
    return error(StatusCode::kBadRequest, cannot_handle(res) + "metadata must be an object");
  }
  if (res.namespaced) {
    auto ns = meta.find("namespace");
    if (ns != meta.end() && !ns->is_null() &&
        !(ns->is_string() && (ns->get_ref<const std::string&>().empty() ||
                              ns->get_ref<const std::string&>() == ctx.info.namespace_))) {
      return error(StatusCode::kBadRequest,
                   "the namespace of the provided object does not match the namespace sent on "
                   "the request");
    }
    meta["namespace"] = ctx.info.namespace_;
  } else {
    meta.erase("namespace");
  }
  return {};
}

Result<void> ApiHandler::Impl::check_fields(RequestContext& ctx,
                                            const std::vector<std::string>& unknown,
                                            const std::vector<std::string>& duplicates) {
  auto mode = field_validation(ctx);
  if (!mode) return tl::unexpected(mode.error());
  if (*mode == FieldValidation::kIgnore) return {};
  std::vector<std::string> problems;
  for (const std::string& u : unknown) problems.push_back("unknown field \"" + u + "\"");
  for (const std::string& d : duplicates) problems.push_back("duplicate field \"" + d + "\"");
  if (problems.empty()) return {};
  if (*mode == FieldValidation::kWarn) {
    for (std::string& p : problems) ctx.warnings.push_back(std::move(p));
    return {};
  }
  std::string joined;
  for (const std::string& p : problems) joined += (joined.empty() ? "" : ", ") + p;
  return error(StatusCode::kBadRequest,
               cannot_handle(*ctx.resource) + "strict decoding error: " + joined);
}

Result<void> ApiHandler::Impl::validate(const ResourceInfo& info, const json& object,
                                        const json* old) {
  std::vector<StatusCause> causes = validate_object_meta(info, object, old);
  std::vector<StatusCause> more;
  if (info.custom) {
    if (info.schema) more = validate_against_schema(*info.schema, object);
  } else {
    more = validate_builtin(info, object, old);
  }
  causes.insert(causes.end(), more.begin(), more.end());
  if (causes.empty()) return {};
  return tl::unexpected(invalid_status(info, name_of(object), std::move(causes)));
}

Result<json> ApiHandler::Impl::prepare_update(RequestContext& ctx, json incoming,
                                              const json& current, bool client_sent_managed_fields,
                                              std::string_view manager) {
  const ResourceInfo& res = *ctx.resource;
  json old = served_form(res, current);
  std::string sub = ctx.info.subresource == "status" ? "status" : "";
  if (auto p = prepare_for_update(res, incoming, old, sub); !p) return tl::unexpected(p.error());
  if (auto v = validate(res, incoming, &old); !v) return tl::unexpected(v.error());
  if (!manager.empty()) {
    ManagedFieldsContext mctx{std::string(manager), sub, res.api_version(), rfc3339_now(),
                              schema_of(res)};
    if (auto m = update_managed_fields(&old, incoming, mctx, client_sent_managed_fields); !m) {
      return tl::unexpected(m.error());
    }
  }
  return to_storage(res, std::move(incoming));
}

Result<WrittenObject> ApiHandler::Impl::write_update(RequestContext& ctx,
                                                     const Transform& transform) {
  const ResourceInfo& res = *ctx.resource;
  ObjectKey key = object_key(ctx);
  auto dry = dry_run(ctx);
  if (!dry) return tl::unexpected(dry.error());
  if (*dry) {
    auto current = store.get(key);
    if (!current) return tl::unexpected(with_details(current.error(), res, key.name));
    auto next = transform(*current);
    if (!next) return tl::unexpected(with_details(next.error(), res, key.name));
    const std::string& want = next->value("/metadata/resourceVersion"_json_pointer, "");
    if (!want.empty() && want != current->value("/metadata/resourceVersion"_json_pointer, "")) {
      return tl::unexpected(with_details(
          Status{StatusCode::kConflict,
                 "Operation cannot be fulfilled on " + res.qualified_resource() + " \"" + key.name +
                     "\": the object has been modified; please apply your changes "
                     "to the latest version and try again",
                 std::nullopt},
          res, key.name));
    }
    return WrittenObject::of(served_form(res, std::move(*next)));
  }
  auto written = store.commit_update(key, transform, WriteOptions{res.generation});
  if (!written) return tl::unexpected(with_details(written.error(), res, key.name));
  if (is_crd(res)) {
    auto registered = after_crd_write(*written->object);
    if (!registered) return tl::unexpected(registered.error());
    written = Committed{std::make_shared<const json>(std::move(*registered)), {}};
  }
  auto finished = finish_deletion_if_ready(store, key, *written->object);
  if (!finished) return tl::unexpected(with_details(finished.error(), res, key.name));
  if (*finished) return WrittenObject::of(served_form(res, std::move(**finished)));
  return WrittenObject::served(res, std::move(*written));
}

// ------------------------------------------------------------------ create

namespace {

// NamespaceLifecycle admission: the namespace must exist and not be terminating.
Result<void> check_namespace_open(Store& store, const ResourceInfo& res, const std::string& ns,
                                  const std::string& name) {
  auto obj = store.find_namespace(ns);
  if (!obj) {
    return error(StatusCode::kNotFound, "namespaces \"" + ns + "\" not found",
                 StatusDetails{ns, "", "namespaces", "", {}, 0});
  }
  bool terminating = obj->contains("/metadata/deletionTimestamp"_json_pointer) ||
                     obj->value("/status/phase"_json_pointer, "") == "Terminating";
  if (!terminating) return {};
  StatusCause cause{"NamespaceTerminating", "namespace " + ns + " is being terminated",
                    "metadata.namespace"};
  return error(StatusCode::kForbidden,
               res.qualified_resource() + " \"" + name +
                   "\" is forbidden: unable to create new content in namespace " + ns +
                   " because it is being terminated",
               StatusDetails{name, res.group, res.resource, "", {cause}, 0});
}

std::string random_suffix(std::size_t n) {
  static constexpr std::string_view kChars = "bcdfghjklmnpqrstvwxz2456789";
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> d(0, kChars.size() - 1);
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += kChars[d(rng)];
  return out;
}

// What a dry-run create returns: the object as the store would have written it.
json simulate_create(const ResourceInfo& res, json object) {
  json& meta = object["metadata"];
  meta["uid"] = new_object_uid();
  meta["creationTimestamp"] = rfc3339_now();
  meta.erase("resourceVersion");
  if (res.generation != GenerationPolicy::kNone) meta["generation"] = 1;
  if (meta.value("namespace", "").empty()) meta.erase("namespace");
  return object;
}

}  // namespace

Result<WrittenObject> create_object(ApiHandler::Impl& impl, RequestContext& ctx, json object,
                                    const std::vector<std::string>& duplicates,
                                    bool already_managed) {
  const ResourceInfo& res = *ctx.resource;
  auto dry = impl.dry_run(ctx);
  if (!dry) return tl::unexpected(dry.error());
  if (auto ok = impl.check_type_and_namespace(ctx, object); !ok) return tl::unexpected(ok.error());
  // kube generates the name before validation (and again on a collision, below).
  const std::string generate_name = object["metadata"].value("generateName", "");
  const bool generated = name_of(object).empty() && !generate_name.empty();
  if (generated) object["metadata"]["name"] = generate_name + random_suffix(5);
  std::string name = name_of(object);
  if (res.namespaced) {
    auto open = check_namespace_open(impl.store, res, ctx.info.namespace_, name);
    if (!open) return tl::unexpected(open.error());
  }
  std::vector<std::string> pruned = impl.prune_and_default(res, object);
  if (auto ok = impl.check_fields(ctx, pruned, duplicates); !ok) return tl::unexpected(ok.error());
  if (auto p = prepare_for_create(res, object); !p) return tl::unexpected(p.error());
  if (auto v = impl.validate(res, object, nullptr); !v) return tl::unexpected(v.error());
  if (!already_managed) {
    bool sent = object["metadata"].contains("managedFields");
    ManagedFieldsContext mctx{impl.field_manager(ctx, "unknown"), "", res.api_version(),
                              rfc3339_now(), schema_of(res)};
    if (auto m = update_managed_fields(nullptr, object, mctx, sent); !m) {
      return tl::unexpected(m.error());
    }
  }
  if (*dry) return WrittenObject::of(simulate_create(res, std::move(object)));
  std::string ns = res.namespaced ? ctx.info.namespace_ : "";
  json stored = impl.to_storage(res, std::move(object));
  // A generated name may collide: keep the object for another try (a given name is final).
  auto create = [&] {
    return impl.store.commit_create(res.ref(), ns, generated ? stored : std::move(stored),
                                    WriteOptions{res.generation});
  };
  auto created = create();
  for (int attempt = 0;
       generated && attempt < 8 && !created && created.error().code == StatusCode::kAlreadyExists;
       ++attempt) {
    name = generate_name + random_suffix(5);
    stored["metadata"]["name"] = name;
    created = create();
  }
  if (!created) {
    Status s = with_details(created.error(), res, name);
    if (generated && s.code == StatusCode::kAlreadyExists && s.details) {
      s.details->retry_after_seconds = 1;
    }
    return tl::unexpected(s);
  }
  if (is_crd(res)) {
    auto registered = impl.after_crd_write(*created->object);
    if (!registered) return tl::unexpected(registered.error());
    return WrittenObject::of(served_form(res, std::move(*registered)));
  }
  return WrittenObject::served(res, std::move(*created));
}

HttpResponse ApiHandler::Impl::create(RequestContext& ctx) {
  auto body = decode_object_body(ctx);
  if (!body) return status_response(body.error(), ctx.warnings);
  auto created = create_object(*this, ctx, std::move(body->value), body->duplicate_fields, false);
  if (!created) return status_response(created.error(), ctx.warnings);
  return object_response(ctx, 201, std::move(*created));
}

// ------------------------------------------------------------------ update

HttpResponse ApiHandler::Impl::update(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  auto body = decode_object_body(ctx);
  if (!body) return status_response(body.error(), ctx.warnings);
  json object = std::move(body->value);
  if (auto ok = check_type_and_namespace(ctx, object); !ok) {
    return status_response(ok.error(), ctx.warnings);
  }
  std::string name = name_of(object);
  if (name.empty()) {
    object["metadata"]["name"] = ctx.info.name;
  } else if (name != ctx.info.name) {
    return status_response(
        Status{StatusCode::kBadRequest,
               "the name of the object (" + name + ") does not match the name on the URL (" +
                   ctx.info.name + ")",
               std::nullopt},
        ctx.warnings);
  }
  if (res.custom && object["metadata"].value("resourceVersion", "").empty()) {
    StatusCause cause{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                      "metadata.resourceVersion"};
    return status_response(invalid_status(res, ctx.info.name, {cause}), ctx.warnings);
  }
  std::vector<std::string> pruned = prune_and_default(res, object);
  if (auto ok = check_fields(ctx, pruned, body->duplicate_fields); !ok) {
    return status_response(ok.error(), ctx.warnings);
  }
  bool sent = object["metadata"].contains("managedFields");
  std::string manager = field_manager(ctx, "unknown");
  Transform transform;
  if (ctx.info.subresource == "finalize") {
    json finalizers = object.value("/spec/finalizers"_json_pointer, json::array());
    std::string rv = object["metadata"].value("resourceVersion", "");
    transform = [finalizers, rv](const json& current) -> Result<json> {
      json next = current;
      next["spec"]["finalizers"] = finalizers;
      if (!rv.empty()) next["metadata"]["resourceVersion"] = rv;
      return next;
    };
  } else {
    transform = [this, &ctx, object, sent, manager](const json& current) -> Result<json> {
      return prepare_update(ctx, object, current, sent, manager);
    };
  }
  auto written = write_update(ctx, transform);
  if (!written) return status_response(written.error(), ctx.warnings);
  return object_response(ctx, 200, std::move(*written));
}

// ------------------------------------------------------------------ delete

namespace {

Status invalid_delete_options(const std::string& field, const std::string& detail,
                              const std::string& reason) {
  return Status{
      StatusCode::kInvalid, "DeleteOptions.meta.k8s.io \"\" is invalid: " + field + ": " + detail,
      StatusDetails{"", "meta.k8s.io", "DeleteOptions", "", {{reason, detail, field}}, 0}};
}

Result<DeleteRequest> delete_request(const RequestContext& ctx, bool dry_from_query) {
  DeleteRequest req;
  req.dry_run = dry_from_query;
  std::string_view body = ctx.http.body;
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.front())))
    body.remove_prefix(1);
  if (!body.empty()) {
    auto decoded = decode_json_or_yaml_body(body);
    if (!decoded) return tl::unexpected(decoded.error());
    const json& opts = decoded->value;
    if (!opts.is_object() && !opts.is_null()) {
      return error(StatusCode::kBadRequest, "DeleteOptions must be a JSON object");
    }
    if (opts.is_object()) {
      try {
        if (opts.contains("propagationPolicy") && !opts["propagationPolicy"].is_null()) {
          req.propagation_policy = opts["propagationPolicy"].get<std::string>();
        }
        if (opts.contains("orphanDependents") && opts["orphanDependents"].is_boolean() &&
            req.propagation_policy.empty()) {
          req.propagation_policy = opts["orphanDependents"].get<bool>() ? "Orphan" : "Background";
        }
        if (opts.contains("gracePeriodSeconds") && !opts["gracePeriodSeconds"].is_null()) {
          req.grace_period_seconds = opts["gracePeriodSeconds"].get<std::int64_t>();
        }
        if (auto pre = opts.find("preconditions"); pre != opts.end() && pre->is_object()) {
          if (pre->contains("uid") && (*pre)["uid"].is_string()) {
            req.preconditions.uid = (*pre)["uid"].get<std::string>();
          }
          if (pre->contains("resourceVersion") && (*pre)["resourceVersion"].is_string()) {
            req.preconditions.resource_version = (*pre)["resourceVersion"].get<std::string>();
          }
        }
        if (auto dry = opts.find("dryRun"); dry != opts.end() && dry->is_array()) {
          for (const json& d : *dry) {
            if (d != "All") {
              return error(StatusCode::kBadRequest,
                           "Invalid dryRun value: " +
                               d.dump(-1, ' ', false, json::error_handler_t::replace) +
                               ": supported values: \"All\"");
            }
            req.dry_run = true;
          }
        }
      } catch (const json::exception& e) {
        return error(StatusCode::kBadRequest,
                     std::string("DeleteOptions in version \"v1\" cannot be handled as a "
                                 "DeleteOptions: ") +
                         e.what());
      }
    }
  }
  if (auto p = ctx.query.get("propagationPolicy"); p && !p->empty()) req.propagation_policy = *p;
  auto grace = ctx.query.get_int("gracePeriodSeconds");
  if (!grace) return tl::unexpected(grace.error());
  if (*grace) req.grace_period_seconds = **grace;
  const std::string& pp = req.propagation_policy;
  if (!pp.empty() && pp != "Orphan" && pp != "Background" && pp != "Foreground") {
    return tl::unexpected(invalid_delete_options(
        "propagationPolicy",
        "Unsupported value: \"" + pp +
            "\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
        "FieldValueNotSupported"));
  }
  return req;
}

}  // namespace

HttpResponse ApiHandler::Impl::remove(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  auto dry = dry_run(ctx);
  if (!dry) return status_response(dry.error(), ctx.warnings);
  auto req = delete_request(ctx, *dry);
  if (!req) return status_response(req.error(), ctx.warnings);
  const std::string& name = ctx.info.name;
  if (res.group.empty() && res.resource == "namespaces" &&
      (name == "default" || name == "kube-system" || name == "kube-public")) {
    return status_response(
        Status{StatusCode::kForbidden,
               "namespaces \"" + name + "\" is forbidden: this namespace may not be deleted",
               StatusDetails{name, "", "namespaces", "", {}, 0}},
        ctx.warnings);
  }
  auto outcome = delete_object(store, res, object_key(ctx), *req);
  if (!outcome) return status_response(with_details(outcome.error(), res, name), ctx.warnings);
  if (outcome->removed) {
    StatusDetails d{name,         res.group,
                    res.resource, outcome->object.value("/metadata/uid"_json_pointer, ""),
                    {},           0};
    return json_response(200, success_status_json(d), ctx.warnings);
  }
  return object_response(ctx, 200, served_form(res, std::move(outcome->object)));
}

HttpResponse ApiHandler::Impl::remove_collection(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  auto dry = dry_run(ctx);
  if (!dry) return status_response(dry.error(), ctx.warnings);
  auto req = delete_request(ctx, *dry);
  if (!req) return status_response(req.error(), ctx.warnings);
  ListOptions opts(res.ref());
  if (res.namespaced && !ctx.info.namespace_.empty()) opts.namespace_ = ctx.info.namespace_;
  if (auto l = ctx.query.get("labelSelector")) {
    auto parsed = LabelSelector::parse(*l);
    if (!parsed) return status_response(parsed.error(), ctx.warnings);
    opts.label_selector = *parsed;
  }
  if (auto f = ctx.query.get("fieldSelector")) {
    auto parsed = FieldSelector::parse(*f);
    if (!parsed) return status_response(parsed.error(), ctx.warnings);
    std::vector<std::string> supported = supported_field_labels(res.group, res.resource);
    for (const std::string& extra : res.field_labels) supported.push_back(extra);
    if (auto ok = check_field_selector(*parsed, supported, res.custom); !ok) {
      return status_response(ok.error(), ctx.warnings);
    }
    opts.field_selector = *parsed;
  }
  auto listed = store.list(opts);
  if (!listed) return status_response(listed.error(), ctx.warnings);
  json body = {{"kind", res.list_kind},
               {"apiVersion", res.api_version()},
               {"metadata", {{"resourceVersion", std::to_string(listed->resource_version)}}},
               {"items", json::array()}};
  for (const json& item : listed->items) {
    ObjectKey key{res.group, res.resource, item.value("/metadata/namespace"_json_pointer, ""),
                  name_of(item)};
    auto outcome = delete_object(store, res, key, *req);
    if (!outcome) {
      if (outcome.error().code == StatusCode::kNotFound) continue;
      return status_response(with_details(outcome.error(), res, key.name), ctx.warnings);
    }
    body["items"].push_back(served_form(res, std::move(outcome->object)));
  }
  return json_response(200, body, ctx.warnings);
}

// ------------------------------------------------------------------ scale

namespace {

// ".spec.replicas" -> "/spec/replicas" (the simple paths scale subresources use).
json::json_pointer pointer_of(const std::string& path) {
  std::string p;
  for (char c : path) {
    if (c == '.') {
      p += '/';
    } else if (c == '~') {
      p += "~0";
    } else if (c == '/') {
      p += "~1";
    } else {
      p += c;
    }
  }
  if (p.empty() || p[0] != '/') p = "/" + p;
  return json::json_pointer(p);
}

std::string selector_string(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (!value.is_object()) return "";
  std::string out;
  if (auto ml = value.find("matchLabels"); ml != value.end() && ml->is_object()) {
    for (const auto& [k, v] : ml->items()) {
      out += (out.empty() ? "" : ",") + k + "=" +
             (v.is_string() ? v.get<std::string>()
                            : v.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  return out;
}

json scale_of(const ResourceInfo& res, const json& object) {
  const ScaleSubresource& sc = *res.scale;
  const json& meta = object.contains("metadata") ? object["metadata"] : json::object();
  json m = json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (meta.contains(k)) m[k] = meta[k];
  }
  json scale = {{"kind", "Scale"}, {"apiVersion", "autoscaling/v1"}, {"metadata", m}};
  auto get = [&](const std::string& path) -> json {
    if (path.empty()) return nullptr;
    try {
      auto ptr = pointer_of(path);
      return object.contains(ptr) ? object.at(ptr) : json(nullptr);
    } catch (const json::exception&) {
      return nullptr;
    }
  };
  json spec_replicas = get(sc.spec_replicas_path);
  scale["spec"] = json::object();
  if (spec_replicas.is_number_integer()) scale["spec"]["replicas"] = spec_replicas;
  json status_replicas = get(sc.status_replicas_path);
  scale["status"] = {{"replicas", status_replicas.is_number_integer() ? status_replicas : json(0)}};
  std::string selector = selector_string(get(sc.label_selector_path));
  if (!selector.empty()) scale["status"]["selector"] = selector;
  return scale;
}

}  // namespace

HttpResponse ApiHandler::Impl::scale(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  ObjectKey key = object_key(ctx);
  auto current = store.get(key);
  if (!current) return status_response(with_details(current.error(), res, key.name), ctx.warnings);
  json current_scale = scale_of(res, served_form(res, *current));
  if (ctx.info.verb == "get") return json_response(200, current_scale, ctx.warnings);
  json scale;
  if (ctx.info.verb == "update") {
    auto body = decode_json_or_yaml_body(ctx.http.body);
    if (!body) return status_response(body.error(), ctx.warnings);
    scale = std::move(body->value);
  } else {
    auto patch_body = decode_json_body(ctx.http.body);
    if (!patch_body) return status_response(patch_body.error(), ctx.warnings);
    BodyFormat format = body_format(ctx.http.header("content-type"));
    if (format == BodyFormat::kJsonPatch) {
      auto patched = json_patch(current_scale, patch_body->value);
      if (!patched) return status_response(patched.error(), ctx.warnings);
      scale = std::move(*patched);
    } else if (format == BodyFormat::kMergePatch || format == BodyFormat::kStrategicMergePatch) {
      scale = merge_patch(current_scale, patch_body->value);
    } else {
      return status_response(
          Status{StatusCode::kUnsupportedMediaType,
                 "the body of the request was in an unknown format - accepted media types "
                 "include: application/json-patch+json, application/merge-patch+json, "
                 "application/strategic-merge-patch+json",
                 std::nullopt},
          ctx.warnings);
    }
  }
  json replicas = scale.is_object() ? scale.value("/spec/replicas"_json_pointer, json()) : json();
  if (!replicas.is_number_integer() || replicas.get<std::int64_t>() < 0) {
    StatusCause cause{
        "FieldValueInvalid",
        "Invalid value: " + (replicas.is_null() ? std::string("null") : replicas.dump()) +
            ": must be greater than or equal to 0",
        "spec.replicas"};
    return status_response(
        Status{StatusCode::kInvalid,
               "Scale.autoscaling \"" + key.name + "\" is invalid: spec.replicas: " + cause.message,
               StatusDetails{key.name, "autoscaling", "Scale", "", {cause}, 0}},
        ctx.warnings);
  }
  std::string rv = scale.value("/metadata/resourceVersion"_json_pointer, "");
  std::string path = res.scale->spec_replicas_path;
  std::string manager = field_manager(ctx, "unknown");
  auto written = write_update(ctx, [&](const json& cur) -> Result<json> {
    json old = served_form(res, cur);
    json next = old;
    try {
      next[pointer_of(path)] = replicas;
    } catch (const json::exception& e) {
      return error(StatusCode::kInternal, std::string("scale: ") + e.what());
    }
    if (!rv.empty()) next["metadata"]["resourceVersion"] = rv;
    ManagedFieldsContext mctx{manager, "scale", res.api_version(), rfc3339_now(), schema_of(res)};
    if (auto m = update_managed_fields(&old, next, mctx, false); !m)
      return tl::unexpected(m.error());
    return to_storage(res, std::move(next));
  });
  if (!written) return status_response(written.error(), ctx.warnings);
  return json_response(200, scale_of(res, *written->object), ctx.warnings);
}

}  // namespace cairn::apiserver
