// Reads: get, list (selectors, pagination, resourceVersion rules, Table and
// PartialObjectMetadataList output) and watch (a chunked ResponseStream over Store::watch).
#include <atomic>
#include <mutex>
#include <random>

#include "apiserver/handler_internal.h"
#include "apiserver/table.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace {

constexpr Representation kObjectReps[] = {Representation::kJson, Representation::kTable,
                                          Representation::kPartialObjectMetadata};
constexpr Representation kListReps[] = {Representation::kJson, Representation::kTable,
                                        Representation::kPartialObjectMetadataList};
constexpr Representation kWatchReps[] = {Representation::kJson, Representation::kTable,
                                         Representation::kPartialObjectMetadata};

Status invalid_list_options(std::string field, std::string reason, std::string detail) {
  StatusCause cause{std::move(reason), detail, field};
  return Status{StatusCode::kInvalid,
                "ListOptions.meta.k8s.io \"\" is invalid: " + field + ": " + detail,
                StatusDetails{"", "meta.k8s.io", "ListOptions", "", {cause}, 0}};
}

Result<IncludeObject> include_object(const RequestContext& ctx) {
  auto v = ctx.query.get("includeObject");
  if (!v || v->empty()) return IncludeObject::kMetadata;
  return parse_include_object(*v);
}

}  // namespace

WrittenObject WrittenObject::served(const ResourceInfo& info, Committed committed) {
  if (!info.custom) return WrittenObject{std::move(committed.object), std::move(committed.text)};
  return of(served_form(info, *committed.object));
}

WrittenObject WrittenObject::of(json object) {
  return WrittenObject{std::make_shared<const json>(std::move(object)), {}};
}

HttpResponse object_response(RequestContext& ctx, int code, WrittenObject written) {
  return object_response(ctx, code, *written.object, std::move(written.text));
}

HttpResponse object_response(RequestContext& ctx, int code, const json& object, std::string text) {
  auto rep = negotiate(ctx.http.header("accept"), kObjectReps);
  if (!rep) return status_response(rep.error(), ctx.warnings);
  if (*rep == Representation::kTable) {
    auto include = include_object(ctx);
    if (!include) return status_response(include.error(), ctx.warnings);
    json meta = {{"resourceVersion", object.value("/metadata/resourceVersion"_json_pointer, "")}};
    return json_response(
        code,
        make_table(*ctx.resource, {object}, meta, *include, true, std::chrono::system_clock::now()),
        ctx.warnings);
  }
  if (*rep == Representation::kPartialObjectMetadata) {
    return json_response(code, partial_object_metadata(object), ctx.warnings);
  }
  if (!text.empty()) return json_text_response(code, std::move(text), ctx.warnings);
  return json_response(code, object, ctx.warnings);
}

HttpResponse ApiHandler::Impl::get(RequestContext& ctx) {
  auto obj = store.get(object_key(ctx));
  if (!obj) return status_response(with_details(obj.error(), *ctx.resource, ctx.info.name));
  return object_response(ctx, 200, to_served(*ctx.resource, std::move(*obj)));
}

namespace {

struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
};

Result<Selectors> parse_selectors(const RequestContext& ctx) {
  Selectors s;
  if (auto l = ctx.query.get("labelSelector")) {
    auto parsed = LabelSelector::parse(*l);
    if (!parsed) return tl::unexpected(parsed.error());
    s.labels = std::move(*parsed);
  }
  if (auto f = ctx.query.get("fieldSelector")) {
    auto parsed = FieldSelector::parse(*f);
    if (!parsed) return tl::unexpected(parsed.error());
    std::vector<std::string> supported =
        supported_field_labels(ctx.resource->group, ctx.resource->resource);
    for (const std::string& extra : ctx.resource->field_labels) supported.push_back(extra);
    auto ok = check_field_selector(*parsed, supported, ctx.resource->custom);
    if (!ok) return tl::unexpected(ok.error());
    s.fields = std::move(*parsed);
  }
  return s;
}

// Checks resourceVersion / resourceVersionMatch of a list or watch; returns the requested rv
// (0 when unset or "0").
Result<std::int64_t> check_resource_version(const RequestContext& ctx, Store& store, bool watch) {
  std::string rv = ctx.query.get("resourceVersion").value_or("");
  std::string match = ctx.query.get("resourceVersionMatch").value_or("");
  if (!match.empty()) {
    if (watch) {
      return tl::unexpected(invalid_list_options(
          "resourceVersionMatch", "FieldValueForbidden",
          "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
          "provided"));
    }
    if (rv.empty()) {
      return tl::unexpected(invalid_list_options(
          "resourceVersionMatch", "FieldValueForbidden",
          "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    if (match != "Exact" && match != "NotOlderThan") {
      return tl::unexpected(invalid_list_options(
          "resourceVersionMatch", "FieldValueNotSupported",
          "Unsupported value: \"" + match + "\": supported values: \"Exact\", \"NotOlderThan\""));
    }
    if (match == "Exact" && rv == "0") {
      return tl::unexpected(invalid_list_options(
          "resourceVersionMatch", "FieldValueForbidden",
          "Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""));
    }
  }
  if (ctx.query.has("sendInitialEvents")) {
    return tl::unexpected(invalid_list_options(
        "sendInitialEvents", "FieldValueForbidden",
        "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate "
        "is enabled"));
  }
  if (rv.empty() || rv == "0") return std::int64_t{0};
  std::int64_t n = 0;
  try {
    std::size_t used = 0;
    n = std::stoll(rv, &used);
    if (used != rv.size() || n < 0) throw std::invalid_argument(rv);
  } catch (const std::exception&) {
    return error(StatusCode::kBadRequest, "invalid resource version: " + rv);
  }
  std::int64_t current = store.current_resource_version();
  if (!watch && n > current) {
    StatusDetails d;
    d.causes.push_back(StatusCause{"ResourceVersionTooLarge", "Too large resource version", ""});
    d.retry_after_seconds = 1;
    return error(
        StatusCode::kTimeout,
        "Timeout: Too large resource version: " + rv + ", current: " + std::to_string(current),
        std::move(d));
  }
  if (!watch && match == "Exact" && n < store.oldest_watchable_resource_version()) {
    return error(StatusCode::kGone, "too old resource version: " + rv + " (" +
                                        std::to_string(store.oldest_watchable_resource_version()) +
                                        ")");
  }
  return n;
}

}  // namespace

namespace {

// A list as JSON from the items' stored text: the bytes json_response would print for
// {"apiVersion", "items", "kind", "metadata"} (keys in that sorted order, compact), without
// parsing and printing every item again.
HttpResponse raw_list_response(const ResourceInfo& res, const json& meta,
                               const std::vector<std::string>& items,
                               const std::vector<std::string>& warnings) {
  std::size_t size = 128;
  for (const std::string& item : items) size += item.size() + 1;
  std::string body;
  body.reserve(size);
  body += "{\"apiVersion\":";
  body += json(res.api_version()).dump();
  body += ",\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body += ',';
    body += items[i];
  }
  body += "],\"kind\":";
  body += json(res.list_kind).dump();
  body += ",\"metadata\":";
  body += meta.dump();
  body += '}';
  return json_text_response(200, std::move(body), warnings);
}

}  // namespace

HttpResponse ApiHandler::Impl::list(RequestContext& ctx) {
  const ResourceInfo& res = *ctx.resource;
  auto rep = negotiate(ctx.http.header("accept"), kListReps);
  if (!rep) return status_response(rep.error(), ctx.warnings);
  auto selectors = parse_selectors(ctx);
  if (!selectors) return status_response(selectors.error(), ctx.warnings);
  auto rv = check_resource_version(ctx, store, false);
  if (!rv) return status_response(rv.error(), ctx.warnings);
  auto limit = ctx.query.get_int("limit");
  if (!limit) return status_response(limit.error(), ctx.warnings);
  std::string cont = ctx.query.get("continue").value_or("");
  std::string rv_param = ctx.query.get("resourceVersion").value_or("");
  if (!cont.empty() && !rv_param.empty() && rv_param != "0") {
    return status_response(
        Status{StatusCode::kBadRequest,
               "specifying resource version is not allowed when using continue", std::nullopt},
        ctx.warnings);
  }
  ListOptions opts(res.ref());
  if (res.namespaced && !ctx.info.namespace_.empty()) opts.namespace_ = ctx.info.namespace_;
  opts.label_selector = selectors->labels;
  opts.field_selector = selectors->fields;
  opts.limit = limit->value_or(0) > 0 ? **limit : 0;
  if (options.max_list_limit > 0 &&
      (opts.limit == 0 || static_cast<std::size_t>(opts.limit) > options.max_list_limit)) {
    opts.limit = static_cast<std::int64_t>(options.max_list_limit);
  }
  opts.continue_token = cont;
  // Built-in objects are served as stored: their stored text is the response's item as is.
  opts.raw = *rep == Representation::kJson && !res.custom;
  auto result = store.list(opts);
  if (!result) return status_response(result.error(), ctx.warnings);
  json meta = {{"resourceVersion", std::to_string(result->resource_version)}};
  if (!result->continue_token.empty()) meta["continue"] = result->continue_token;
  if (opts.raw) return raw_list_response(res, meta, result->raw_items, ctx.warnings);
  std::vector<json> items;
  items.reserve(result->items.size());
  for (json& item : result->items) items.push_back(to_served(res, std::move(item)));
  if (*rep == Representation::kTable) {
    auto include = include_object(ctx);
    if (!include) return status_response(include.error(), ctx.warnings);
    return json_response(
        200, make_table(res, items, meta, *include, true, std::chrono::system_clock::now()),
        ctx.warnings);
  }
  if (*rep == Representation::kPartialObjectMetadataList) {
    return json_response(200, partial_object_metadata_list(items, meta), ctx.warnings);
  }
  json body = {{"kind", res.list_kind},
               {"apiVersion", res.api_version()},
               {"metadata", meta},
               {"items", json::array()}};
  for (json& item : items) body["items"].push_back(std::move(item));
  return json_response(200, body, ctx.warnings);
}

// ------------------------------------------------------------------ watch

namespace {

// The body of a watch response: one JSON event per line, from a Store watch.
class WatchStream : public ResponseStream {
 public:
  struct Config {
    std::shared_ptr<const ResourceInfo> resource;
    Representation representation = Representation::kJson;
    IncludeObject include = IncludeObject::kMetadata;
    bool bookmarks = false;
    std::chrono::steady_clock::time_point deadline;
    std::chrono::seconds bookmark_interval{60};
    // Converts a stored object to the served form (custom resources).
    std::function<json(json)> to_served;
  };

  WatchStream(std::unique_ptr<Watch> watch, Config config)
      : watch_(std::move(watch)), config_(std::move(config)) {
    next_bookmark_ = std::chrono::steady_clock::now() + config_.bookmark_interval;
  }

  // A stream that sends one ERROR event and ends.
  static std::shared_ptr<WatchStream> error_only(const Status& status) {
    auto s = std::shared_ptr<WatchStream>(new WatchStream(nullptr, Config{}));
    s->pending_error_ = line("ERROR", to_json(status));
    return s;
  }

  std::optional<std::string> next(std::chrono::milliseconds max_wait) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_error_) {
      std::string e = std::move(*pending_error_);
      pending_error_.reset();
      ended_ = true;
      return e;
    }
    if (ended_ || closed_.load() || !watch_) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    if (now >= config_.deadline) return finish();
    if (config_.bookmarks && now >= next_bookmark_) {
      next_bookmark_ = now + config_.bookmark_interval;
      if (auto b = watch_->bookmark()) return encode(*b);
    }
    auto wait = std::min<std::chrono::milliseconds>(
        max_wait, std::chrono::duration_cast<std::chrono::milliseconds>(config_.deadline - now) +
                      std::chrono::milliseconds(1));
    auto ev = watch_->next(wait);
    if (!ev) {
      ended_ = true;
      if (closed_.load()) return std::nullopt;
      return line("ERROR", to_json(ev.error()));
    }
    if (!*ev) return std::string();
    std::string out = encode(**ev);
    // Batch what is already queued (bounded) to save chunk round trips.
    for (int i = 0; i < 100; ++i) {
      auto more = watch_->try_next();
      if (!more || !*more) {
        if (!more) pending_error_ = line("ERROR", to_json(more.error()));
        break;
      }
      out += encode(**more);
    }
    return out;
  }

  void close() override {
    closed_.store(true);
    if (watch_) watch_->close();
  }

 private:
  static std::string line(std::string_view type, json object) {
    json ev = {{"type", type}, {"object", std::move(object)}};
    return ev.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  }

  // Before closing on timeout: a last bookmark so that the client resumes from a fresh rv.
  std::optional<std::string> finish() {
    ended_ = true;
    if (config_.bookmarks) {
      if (auto b = watch_->bookmark()) return encode(*b);
    }
    return std::nullopt;
  }

  std::string encode(const WatchEvent& ev) {
    const ResourceInfo& res = *config_.resource;
    if (ev.type == EventType::kBookmark) {
      json obj = {{"kind", res.kind},
                  {"apiVersion", res.api_version()},
                  {"metadata", {{"resourceVersion", std::to_string(ev.resource_version)}}}};
      return line("BOOKMARK", std::move(obj));
    }
    if (ev.type == EventType::kError) {
      json obj = ev.object ? *ev.object : json::object();
      return line("ERROR", std::move(obj));
    }
    json obj = ev.object ? config_.to_served(*ev.object) : json::object();
    if (config_.representation == Representation::kTable) {
      json meta = {{"resourceVersion", std::to_string(ev.resource_version)}};
      obj = make_table(res, {obj}, meta, config_.include, first_table_,
                       std::chrono::system_clock::now());
      first_table_ = false;
    } else if (config_.representation == Representation::kPartialObjectMetadata) {
      obj = partial_object_metadata(obj);
    }
    return line(to_string(ev.type), std::move(obj));
  }

  std::mutex mu_;
  std::unique_ptr<Watch> watch_;
  Config config_;
  std::chrono::steady_clock::time_point next_bookmark_;
  std::optional<std::string> pending_error_;
  bool ended_ = false;
  bool first_table_ = true;
  std::atomic<bool> closed_{false};
};

HttpResponse stream_response(std::shared_ptr<ResponseStream> stream,
                             const std::vector<std::string>& warnings) {
  HttpResponse r = json_response(200, json::object(), warnings);
  r.body.clear();
  r.stream = std::move(stream);
  return r;
}

std::chrono::seconds random_watch_timeout() {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> d(1800, 3599);
  return std::chrono::seconds(d(rng));
}

}  // namespace

HttpResponse ApiHandler::Impl::watch(RequestContext& ctx) {
  const auto& res = ctx.resource;
  auto rep = negotiate(ctx.http.header("accept"), kWatchReps);
  if (!rep) return status_response(rep.error(), ctx.warnings);
  auto selectors = parse_selectors(ctx);
  if (!selectors) return status_response(selectors.error(), ctx.warnings);
  auto rv = check_resource_version(ctx, store, true);
  if (!rv) return status_response(rv.error(), ctx.warnings);
  auto bookmarks = ctx.query.get_bool("allowWatchBookmarks", false);
  if (!bookmarks) return status_response(bookmarks.error(), ctx.warnings);
  auto timeout = ctx.query.get_int("timeoutSeconds");
  if (!timeout) return status_response(timeout.error(), ctx.warnings);
  auto include = include_object(ctx);
  if (!include) return status_response(include.error(), ctx.warnings);

  WatchOptions opts(res->ref());
  if (res->namespaced && !ctx.info.namespace_.empty()) opts.namespace_ = ctx.info.namespace_;
  opts.label_selector = selectors->labels;
  opts.field_selector = selectors->fields;
  opts.resource_version = ctx.query.get("resourceVersion").value_or("");
  opts.allow_bookmarks = *bookmarks;
  auto w = store.watch(opts);
  if (!w) {
    if (w.error().code == StatusCode::kGone) {
      return stream_response(WatchStream::error_only(w.error()), ctx.warnings);
    }
    return status_response(w.error(), ctx.warnings);
  }
  WatchStream::Config config;
  config.resource = res;
  config.representation = *rep;
  config.include = *include;
  config.bookmarks = *bookmarks;
  std::chrono::seconds duration = timeout->has_value() && **timeout > 0
                                      ? std::chrono::seconds(**timeout)
                                      : random_watch_timeout();
  config.deadline = std::chrono::steady_clock::now() + duration;
  config.bookmark_interval = options.watch_bookmark_interval;
  config.to_served = [res](json o) { return served_form(*res, std::move(o)); };
  return stream_response(std::make_shared<WatchStream>(std::move(*w), std::move(config)),
                         ctx.warnings);
}

}  // namespace cairn::apiserver
