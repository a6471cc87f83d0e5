// JSON mapping and validation of the v1alpha1 kinds; see types.h.
#include "api/types.h"

#include <algorithm>
#include <initializer_list>
#include <set>

namespace cairn::api {
namespace {

using nlohmann::json;

// ------------------------------------------------------------------ decoding

std::string_view type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Reads typed fields and remembers the first error (with its path); later reads are no-ops.
class Reader {
 public:
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  void fail(const std::string& path, std::string_view message) {
    if (ok()) error_ = (path.empty() ? std::string("object") : path) + ": " + std::string(message);
  }

  // The member `key` of object `o`, or nullptr when absent or null.
  static const json* member(const json& o, std::string_view key) {
    if (!o.is_object()) return nullptr;
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // True when v is an object; records an error otherwise.
  bool object(const json& v, const std::string& path) {
    if (v.is_object()) return true;
    fail(path, "expected an object, got " + std::string(type_name(v)));
    return false;
  }

  void str(const json& o, std::string_view key, std::string& out, const std::string& path) {
    const json* v = member(o, key);
    if (!v || !ok()) return;
    if (!v->is_string()) {
      fail(join(path, key), "expected a string, got " + std::string(type_name(*v)));
      return;
    }
    out = v->get<std::string>();
  }

  void boolean(const json& o, std::string_view key, bool& out, const std::string& path) {
    const json* v = member(o, key);
    if (!v || !ok()) return;
    if (!v->is_boolean()) {
      fail(join(path, key), "expected a boolean, got " + std::string(type_name(*v)));
      return;
    }
    out = v->get<bool>();
  }

  void optional_boolean(const json& o, std::string_view key, std::optional<bool>& out,
                        const std::string& path) {
    if (!member(o, key)) return;
    bool b = false;
    boolean(o, key, b, path);
    if (ok()) out = b;
  }

  void integer(const json& o, std::string_view key, std::int64_t& out, const std::string& path) {
    const json* v = member(o, key);
    if (!v || !ok()) return;
    if (v->is_number_integer()) {
      out = v->get<std::int64_t>();
      return;
    }
    if (v->is_number_unsigned()) {
      fail(join(path, key), "integer out of range");
      return;
    }
    fail(join(path, key), "expected an integer, got " + std::string(type_name(*v)));
  }

  void optional_str(const json& o, std::string_view key, std::optional<std::string>& out,
                    const std::string& path) {
    if (!member(o, key)) return;
    std::string s;
    str(o, key, s, path);
    if (ok()) out = std::move(s);
  }

  void string_map(const json& o, std::string_view key, std::map<std::string, std::string>& out,
                  const std::string& path) {
    const json* v = member(o, key);
    if (!v || !ok()) return;
    const std::string p = join(path, key);
    if (!object(*v, p)) return;
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) {
        fail(join(p, it.key()), "expected a string, got " + std::string(type_name(it.value())));
        return;
      }
      out[it.key()] = it.value().get<std::string>();
    }
  }

  // Calls item(element, "<path>[i]") for each element of the array member `key`.
  template <class F>
  void array(const json& o, std::string_view key, const std::string& path, F&& item) {
    const json* v = member(o, key);
    if (!v || !ok()) return;
    const std::string p = join(path, key);
    if (!v->is_array()) {
      fail(p, "expected an array, got " + std::string(type_name(*v)));
      return;
    }
    for (std::size_t i = 0; i < v->size() && ok(); ++i) {
      item((*v)[i], p + "[" + std::to_string(i) + "]");
    }
  }

  void strings(const json& o, std::string_view key, std::vector<std::string>& out,
               const std::string& path) {
    array(o, key, path, [&](const json& v, const std::string& p) {
      if (!v.is_string()) {
        fail(p, "expected a string, got " + std::string(type_name(v)));
        return;
      }
      out.push_back(v.get<std::string>());
    });
  }

 private:
  std::string error_;
};

// The members of o whose keys are not in `known`.
json unknown_members(const json& o, std::initializer_list<std::string_view> known) {
  json extra = json::object();
  if (!o.is_object()) return extra;
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      extra[it.key()] = it.value();
  }
  return extra;
}

// Writes the `extra` members that the typed fields did not write.
void merge_extra(json& j, const json& extra) {
  if (!extra.is_object()) return;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (!j.contains(it.key())) j[it.key()] = it.value();
  }
}

void read(Reader& r, const json& v, const std::string& path, ObjectReference& out) {
  if (!r.object(v, path)) return;
  r.str(v, "apiVersion", out.api_version, path);
  r.str(v, "kind", out.kind, path);
  r.str(v, "name", out.name, path);
  r.str(v, "namespace", out.namespace_, path);
  r.str(v, "uid", out.uid, path);
  r.str(v, "resourceVersion", out.resource_version, path);
  r.str(v, "fieldPath", out.field_path, path);
}

void read_optional_ref(Reader& r, const json& o, std::string_view key,
                       std::optional<ObjectReference>& out, const std::string& path) {
  const json* v = Reader::member(o, key);
  if (!v) return;
  ObjectReference ref;
  read(r, *v, join(path, key), ref);
  if (r.ok()) out = std::move(ref);
}

void read(Reader& r, const json& v, const std::string& path, OwnerReference& out) {
  if (!r.object(v, path)) return;
  r.str(v, "apiVersion", out.api_version, path);
  r.str(v, "kind", out.kind, path);
  r.str(v, "name", out.name, path);
  r.str(v, "uid", out.uid, path);
  r.optional_boolean(v, "controller", out.controller, path);
  r.optional_boolean(v, "blockOwnerDeletion", out.block_owner_deletion, path);
}

void read(Reader& r, const json& v, const std::string& path, ObjectMeta& out) {
  if (!r.object(v, path)) return;
  r.str(v, "name", out.name, path);
  r.str(v, "namespace", out.namespace_, path);
  r.str(v, "uid", out.uid, path);
  r.str(v, "resourceVersion", out.resource_version, path);
  r.integer(v, "generation", out.generation, path);
  r.string_map(v, "labels", out.labels, path);
  r.string_map(v, "annotations", out.annotations, path);
  r.array(v, "ownerReferences", path, [&](const json& item, const std::string& p) {
    read(r, item, p, out.owner_references.emplace_back());
  });
  r.strings(v, "finalizers", out.finalizers, path);
  r.optional_str(v, "deletionTimestamp", out.deletion_timestamp, path);
  out.extra =
      unknown_members(v, {"name", "namespace", "uid", "resourceVersion", "generation", "labels",
                          "annotations", "ownerReferences", "finalizers", "deletionTimestamp"});
}

void read(Reader& r, const json& v, const std::string& path, Condition& out) {
  if (!r.object(v, path)) return;
  r.str(v, "type", out.type, path);
  r.str(v, "status", out.status, path);
  r.str(v, "severity", out.severity, path);
  r.str(v, "reason", out.reason, path);
  r.str(v, "message", out.message, path);
  r.integer(v, "observedGeneration", out.observed_generation, path);
  r.str(v, "lastTransitionTime", out.last_transition_time, path);
}

void read_conditions(Reader& r, const json& o, const std::string& path,
                     std::vector<Condition>& out) {
  r.array(o, "conditions", path,
          [&](const json& item, const std::string& p) { read(r, item, p, out.emplace_back()); });
}

void read_resources(Reader& r, const json& o, const std::string& path, std::vector<Resource>& out) {
  r.array(o, "resources", path, [&](const json& item, const std::string& p) {
    if (!r.object(item, p)) return;
    Resource& res = out.emplace_back();
    r.str(item, "group", res.group, p);
    r.str(item, "version", res.version, p);
    r.str(item, "kind", res.kind, p);
    r.str(item, "namespace", res.namespace_, p);
    r.str(item, "name", res.name, p);
    r.str(item, "status", res.status, p);
    r.str(item, "error", res.error, p);
  });
}

// Reads apiVersion/kind (checked when present), metadata and the unknown top-level members;
// returns spec and status (null when absent).
template <class T>
void read_top(Reader& r, const json& j, T& out, const json*& spec, const json*& status) {
  spec = status = nullptr;
  if (!r.object(j, "")) return;
  std::string api_version, kind;
  r.str(j, "apiVersion", api_version, "");
  r.str(j, "kind", kind, "");
  if (!api_version.empty() && api_version != kApiVersion) {
    r.fail("apiVersion", "expected " + std::string(kApiVersion) + ", got \"" + api_version + "\"");
  }
  if (!kind.empty() && kind != T::kKind) {
    r.fail("kind", "expected " + std::string(T::kKind) + ", got \"" + kind + "\"");
  }
  if (const json* m = Reader::member(j, "metadata")) read(r, *m, "metadata", out.metadata);
  spec = Reader::member(j, "spec");
  status = Reader::member(j, "status");
  if (spec && !r.object(*spec, "spec")) spec = nullptr;
  if (status && !r.object(*status, "status")) status = nullptr;
  out.extra = unknown_members(j, {"apiVersion", "kind", "metadata", "spec", "status"});
}

void read(Reader& r, const json& j, ClusterStack& out) {
  const json *spec, *status;
  read_top(r, j, out, spec, status);
  if (spec) {
    ClusterStackSpec& s = out.spec;
    r.str(*spec, "provider", s.provider, "spec");
    r.str(*spec, "name", s.name, "spec");
    r.str(*spec, "kubernetesVersion", s.kubernetes_version, "spec");
    r.str(*spec, "channel", s.channel, "spec");
    r.strings(*spec, "versions", s.versions, "spec");
    r.boolean(*spec, "autoSubscribe", s.auto_subscribe, "spec");
    r.boolean(*spec, "noProvider", s.no_provider, "spec");
    read_optional_ref(r, *spec, "providerRef", s.provider_ref, "spec");
    if (const json* src = Reader::member(*spec, "source"); src && r.object(*src, "spec.source")) {
      ClusterStackSource& out_src = s.source.emplace();
      r.str(*src, "url", out_src.url, "spec.source");
      r.str(*src, "interval", out_src.interval, "spec.source");
      if (const json* ref = Reader::member(*src, "secretRef");
          ref && r.object(*ref, "spec.source.secretRef")) {
        r.str(*ref, "name", out_src.secret_name, "spec.source.secretRef");
      }
    }
    s.extra = unknown_members(*spec, {"provider", "name", "kubernetesVersion", "channel",
                                      "versions", "autoSubscribe", "noProvider", "providerRef",
                                      "source"});
  }
  if (status) {
    ClusterStackStatus& s = out.status;
    r.str(*status, "latestRelease", s.latest_release, "status");
    r.array(*status, "summary", "status", [&](const json& item, const std::string& p) {
      if (!r.object(item, p)) return;
      ClusterStackReleaseSummary& sum = s.summary.emplace_back();
      r.str(item, "name", sum.name, p);
      r.boolean(item, "ready", sum.ready, p);
      r.str(item, "phase", sum.phase, p);
      r.str(item, "message", sum.message, p);
    });
    r.str(*status, "usableVersions", s.usable_versions, "status");
    read_conditions(r, *status, "status", s.conditions);
    s.extra =
        unknown_members(*status, {"latestRelease", "summary", "usableVersions", "conditions"});
  }
}

void read(Reader& r, const json& j, ClusterStackRelease& out) {
  const json *spec, *status;
  read_top(r, j, out, spec, status);
  if (spec) {
    read_optional_ref(r, *spec, "providerRef", out.spec.provider_ref, "spec");
    out.spec.extra = unknown_members(*spec, {"providerRef"});
  }
  if (status) {
    ClusterStackReleaseStatus& s = out.status;
    read_resources(r, *status, "status", s.resources);
    r.str(*status, "kubernetesVersion", s.kubernetes_version, "status");
    r.boolean(*status, "ready", s.ready, "status");
    read_conditions(r, *status, "status", s.conditions);
    s.extra = unknown_members(*status, {"resources", "kubernetesVersion", "ready", "conditions"});
  }
}

void read(Reader& r, const json& j, ClusterAddon& out) {
  const json *spec, *status;
  read_top(r, j, out, spec, status);
  if (spec) {
    ClusterAddonSpec& s = out.spec;
    r.str(*spec, "clusterStack", s.cluster_stack, "spec");
    r.str(*spec, "version", s.version, "spec");
    r.str(*spec, "hook", s.hook, "spec");
    read_optional_ref(r, *spec, "clusterRef", s.cluster_ref, "spec");
    s.extra = unknown_members(*spec, {"clusterStack", "version", "hook", "clusterRef"});
  }
  if (status) {
    ClusterAddonStatus& s = out.status;
    read_resources(r, *status, "status", s.resources);
    r.array(*status, "stages", "status", [&](const json& item, const std::string& p) {
      if (!r.object(item, p)) return;
      StageStatus& st = s.stages.emplace_back();
      r.str(item, "name", st.name, p);
      r.str(item, "action", st.action, p);
      r.str(item, "phase", st.phase, p);
    });
    r.boolean(*status, "ready", s.ready, "status");
    read_conditions(r, *status, "status", s.conditions);
    s.extra = unknown_members(*status, {"resources", "stages", "ready", "conditions"});
  }
}

void read(Reader& r, const json& j, ObjectMeta& out) { read(r, j, "metadata", out); }
void read(Reader& r, const json& j, Condition& out) { read(r, j, "", out); }

// ------------------------------------------------------------------ encoding helpers

void put_nonempty(json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

template <class T>
void put_list(json& j, const char* key, const std::vector<T>& items) {
  if (items.empty()) return;
  json a = json::array();
  for (const T& item : items) a.push_back(item);
  j[key] = std::move(a);
}

void put_status_object(json& j, json status) {
  if (!status.empty()) j["status"] = std::move(status);
}

template <class T>
json top(const T& v) {
  json j = json::object();
  j["apiVersion"] = kApiVersion;
  j["kind"] = T::kKind;
  j["metadata"] = v.metadata;
  return j;
}

// ------------------------------------------------------------------ validation helpers

FieldError required(std::string field, std::string detail = "") {
  return FieldError{FieldErrorType::kRequired, std::move(field), nullptr, std::move(detail)};
}

FieldError invalid(std::string field, json value, std::string detail) {
  return FieldError{FieldErrorType::kInvalid, std::move(field), std::move(value),
                    std::move(detail)};
}

bool lower_alnum(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// The CRD's pattern ^\d\.\d+$: one digit, '.', one or more digits.
bool matches_crd_pattern(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return s.size() >= 3 && digit(s[0]) && s[1] == '.' && std::all_of(s.begin() + 2, s.end(), digit);
}

void check_stack_part(FieldErrors& errs, const char* field, const std::string& value) {
  if (value.empty()) {
    errs.push_back(required(field));
  } else if (!lower_alnum(value)) {
    errs.push_back(invalid(field, value,
                           "must consist of lower-case letters and digits ('-' separates the parts "
                           "of a release tag)"));
  }
}

}  // namespace

// ------------------------------------------------------------------ to_json

void to_json(json& j, const ObjectReference& v) {
  j = json::object();
  put_nonempty(j, "apiVersion", v.api_version);
  put_nonempty(j, "fieldPath", v.field_path);
  put_nonempty(j, "kind", v.kind);
  put_nonempty(j, "name", v.name);
  put_nonempty(j, "namespace", v.namespace_);
  put_nonempty(j, "resourceVersion", v.resource_version);
  put_nonempty(j, "uid", v.uid);
}

void to_json(json& j, const OwnerReference& v) {
  j = json::object();
  j["apiVersion"] = v.api_version;
  j["kind"] = v.kind;
  j["name"] = v.name;
  j["uid"] = v.uid;
  if (v.controller) j["controller"] = *v.controller;
  if (v.block_owner_deletion) j["blockOwnerDeletion"] = *v.block_owner_deletion;
}

void to_json(json& j, const ObjectMeta& v) {
  j = json::object();
  put_nonempty(j, "name", v.name);
  put_nonempty(j, "namespace", v.namespace_);
  put_nonempty(j, "uid", v.uid);
  put_nonempty(j, "resourceVersion", v.resource_version);
  if (v.generation != 0) j["generation"] = v.generation;
  if (!v.labels.empty()) j["labels"] = v.labels;
  if (!v.annotations.empty()) j["annotations"] = v.annotations;
  put_list(j, "ownerReferences", v.owner_references);
  if (!v.finalizers.empty()) j["finalizers"] = v.finalizers;
  if (v.deletion_timestamp) j["deletionTimestamp"] = *v.deletion_timestamp;
  merge_extra(j, v.extra);
}

void to_json(json& j, const Condition& v) {
  j = json::object();
  j["type"] = v.type;
  j["status"] = v.status;
  put_nonempty(j, "severity", v.severity);
  put_nonempty(j, "reason", v.reason);
  put_nonempty(j, "message", v.message);
  if (v.observed_generation != 0) j["observedGeneration"] = v.observed_generation;
  put_nonempty(j, "lastTransitionTime", v.last_transition_time);
}

void to_json(json& j, const Resource& v) {
  j = json::object();
  put_nonempty(j, "group", v.group);
  put_nonempty(j, "version", v.version);
  put_nonempty(j, "kind", v.kind);
  put_nonempty(j, "namespace", v.namespace_);
  put_nonempty(j, "name", v.name);
  put_nonempty(j, "status", v.status);
  put_nonempty(j, "error", v.error);
}

void to_json(json& j, const ClusterStack& v) {
  j = top(v);
  // Go json tags: channel and noProvider omitempty, autoSubscribe and latestRelease always.
  json spec = json::object();
  spec["provider"] = v.spec.provider;
  spec["name"] = v.spec.name;
  spec["kubernetesVersion"] = v.spec.kubernetes_version;
  put_nonempty(spec, "channel", v.spec.channel);
  if (!v.spec.versions.empty()) spec["versions"] = v.spec.versions;
  spec["autoSubscribe"] = v.spec.auto_subscribe;
  if (v.spec.no_provider) spec["noProvider"] = true;
  if (v.spec.provider_ref) spec["providerRef"] = *v.spec.provider_ref;
  if (v.spec.source) {
    json src = {{"url", v.spec.source->url}};
    if (!v.spec.source->secret_name.empty()) {
      src["secretRef"] = {{"name", v.spec.source->secret_name}};
    }
    put_nonempty(src, "interval", v.spec.source->interval);
    spec["source"] = std::move(src);
  }
  merge_extra(spec, v.spec.extra);
  j["spec"] = std::move(spec);

  json status = json::object();
  status["latestRelease"] = v.status.latest_release;
  if (!v.status.summary.empty()) {
    json a = json::array();
    for (const auto& s : v.status.summary) {
      json item = {{"name", s.name}, {"ready", s.ready}, {"phase", s.phase}};
      put_nonempty(item, "message", s.message);
      a.push_back(std::move(item));
    }
    status["summary"] = std::move(a);
  }
  put_nonempty(status, "usableVersions", v.status.usable_versions);
  put_list(status, "conditions", v.status.conditions);
  merge_extra(status, v.status.extra);
  put_status_object(j, std::move(status));
  merge_extra(j, v.extra);
}

void to_json(json& j, const ClusterStackRelease& v) {
  j = top(v);
  json spec = json::object();
  if (v.spec.provider_ref) spec["providerRef"] = *v.spec.provider_ref;
  merge_extra(spec, v.spec.extra);
  j["spec"] = std::move(spec);

  json status = json::object();
  put_list(status, "resources", v.status.resources);
  put_nonempty(status, "kubernetesVersion", v.status.kubernetes_version);
  status["ready"] = v.status.ready;
  put_list(status, "conditions", v.status.conditions);
  merge_extra(status, v.status.extra);
  put_status_object(j, std::move(status));
  merge_extra(j, v.extra);
}

void to_json(json& j, const ClusterAddon& v) {
  j = top(v);
  json spec = json::object();
  put_nonempty(spec, "clusterStack", v.spec.cluster_stack);
  put_nonempty(spec, "version", v.spec.version);
  put_nonempty(spec, "hook", v.spec.hook);
  if (v.spec.cluster_ref) spec["clusterRef"] = *v.spec.cluster_ref;
  merge_extra(spec, v.spec.extra);
  j["spec"] = std::move(spec);

  json status = json::object();
  put_list(status, "resources", v.status.resources);
  if (!v.status.stages.empty()) {
    json a = json::array();
    for (const auto& s : v.status.stages) {
      json item = {{"name", s.name}, {"phase", s.phase}};
      put_nonempty(item, "action", s.action);
      a.push_back(std::move(item));
    }
    status["stages"] = std::move(a);
  }
  status["ready"] = v.status.ready;
  put_list(status, "conditions", v.status.conditions);
  merge_extra(status, v.status.extra);
  put_status_object(j, std::move(status));
  merge_extra(j, v.extra);
}

// ------------------------------------------------------------------ decode

template <class T>
Result<T> decode(const json& j) {
  Reader r;
  T out;
  read(r, j, out);
  if (!r.ok()) return error(r.error());
  return out;
}

template Result<ClusterStack> decode<ClusterStack>(const json&);
template Result<ClusterStackRelease> decode<ClusterStackRelease>(const json&);
template Result<ClusterAddon> decode<ClusterAddon>(const json&);
template Result<ObjectMeta> decode<ObjectMeta>(const json&);
template Result<Condition> decode<Condition>(const json&);

// ------------------------------------------------------------------ validation

Result<StackIdentity> ClusterStack::identity() const {
  auto k8s = KubernetesVersion::parse(spec.kubernetes_version);
  if (!k8s) return error(k8s.error().message);
  return StackIdentity::make(spec.provider, spec.name, *k8s);
}

FieldErrors ClusterStack::validate() const {
  FieldErrors errs;
  check_stack_part(errs, "spec.provider", spec.provider);
  check_stack_part(errs, "spec.name", spec.name);

  // The CRD pattern ^\d\.\d+$ (single-digit major), then non-zero numbers without leading zeros.
  if (spec.kubernetes_version.empty()) {
    errs.push_back(required("spec.kubernetesVersion"));
  } else if (!matches_crd_pattern(spec.kubernetes_version)) {
    errs.push_back(invalid("spec.kubernetesVersion", spec.kubernetes_version,
                           "must be <major>.<minor> with a single-digit major, e.g. \"1.27\" "
                           "(pattern ^\\d\\.\\d+$)"));
  } else if (auto k8s = KubernetesVersion::parse(spec.kubernetes_version); !k8s) {
    errs.push_back(invalid("spec.kubernetesVersion", spec.kubernetes_version, k8s.error().message));
  }

  if (spec.channel != kChannelStable && spec.channel != kChannelCustom) {
    errs.push_back(FieldError{FieldErrorType::kNotSupported, "spec.channel", spec.channel,
                              "\"stable\", \"custom\""});
  }

  std::set<std::string> seen;
  for (std::size_t i = 0; i < spec.versions.size(); ++i) {
    const std::string field = "spec.versions[" + std::to_string(i) + "]";
    const std::string& text = spec.versions[i];
    auto v = Version::parse_dot(text);
    if (!v) {
      errs.push_back(invalid(field, text, "invalid version: " + v.error().message));
    } else if (!seen.insert(v->dot()).second) {
      errs.push_back(FieldError{FieldErrorType::kDuplicate, field, text, ""});
    }
  }

  if (!spec.provider_ref && !spec.no_provider) {
    errs.push_back(invalid("spec.providerRef", nullptr,
                           "empty provider ref, even though noProvider mode is turned off"));
  }

  if (spec.source) {
    const ClusterStackSource& src = *spec.source;
    if (src.url.empty()) {
      errs.push_back(required("spec.source.url"));
    } else if (src.url.find("://") == std::string::npos) {
      errs.push_back(invalid("spec.source.url", src.url,
                             "must be a feed URL such as github://ORG/REPO, "
                             "git+https://HOST/PATH or oci://REGISTRY/REPOSITORY"));
    }
    if (!src.interval.empty()) {
      auto d = parse_duration(src.interval);
      if (!d) {
        errs.push_back(invalid("spec.source.interval", src.interval, d.error().message));
      } else if (*d < std::chrono::seconds(1)) {
        errs.push_back(invalid("spec.source.interval", src.interval, "must be at least 1s"));
      }
    }
  }
  return errs;
}

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto fail = [&](std::string why) -> Result<std::chrono::milliseconds> {
    return tl::make_unexpected(
        Error{"invalid duration \"" + std::string(text) + "\": " + std::move(why)});
  };
  if (text.empty()) return fail("empty");
  if (text == "0") return std::chrono::milliseconds(0);
  // Units in nanoseconds; the value is summed in long double and checked against 290 years.
  static constexpr std::pair<std::string_view, long double> kUnits[] = {
      {"ns", 1.0L}, {"us", 1e3L}, {"ms", 1e6L}, {"s", 1e9L}, {"m", 60e9L}, {"h", 3600e9L}};
  long double total_ns = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t start = i;
    long double value = 0;
    bool digits = false;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i++] - '0');
      digits = true;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        value += (text[i++] - '0') * scale;
        scale /= 10;
        digits = true;
      }
    }
    if (!digits) return fail("expected a number at \"" + std::string(text.substr(start)) + "\"");
    const std::size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) return fail("missing unit (ns, us, ms, s, m or h)");
    const auto* found = std::find_if(std::begin(kUnits), std::end(kUnits),
                                     [&](const auto& u) { return u.first == unit; });
    if (found == std::end(kUnits)) {
      return fail("unknown unit \"" + std::string(unit) + "\" (use ns, us, ms, s, m or h)");
    }
    total_ns += value * found->second;
    if (total_ns > 290.0L * 365 * 24 * 3600e9L) return fail("too long");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(total_ns / 1e6L));
}

FieldErrors ClusterStack::validate_update(const ClusterStack& old) const {
  FieldErrors errs = validate();
  auto immutable = [&](const char* field, const std::string& before, const std::string& now) {
    if (before != now) errs.push_back(invalid(field, now, "field is immutable"));
  };
  immutable("spec.provider", old.spec.provider, spec.provider);
  immutable("spec.name", old.spec.name, spec.name);
  immutable("spec.channel", old.spec.channel, spec.channel);
  immutable("spec.kubernetesVersion", old.spec.kubernetes_version, spec.kubernetes_version);
  return errs;
}

FieldErrors ClusterStackRelease::validate() const {
  FieldErrors errs;
  if (metadata.name.empty()) {
    errs.push_back(required("metadata.name", "name or generateName is required"));
  } else if (auto tag = ReleaseTag::parse(metadata.name); !tag) {
    errs.push_back(invalid("metadata.name", metadata.name, tag.error().message));
  }
  if (!status.kubernetes_version.empty()) {
    if (auto k = KubernetesPatchVersion::parse(status.kubernetes_version); !k) {
      errs.push_back(
          invalid("status.kubernetesVersion", status.kubernetes_version, k.error().message));
    }
  }
  return errs;
}

FieldErrors ClusterAddon::validate() const {
  FieldErrors errs;
  if (!spec.cluster_ref) {
    errs.push_back(required("spec.clusterRef", "must not be empty"));
  } else if (spec.cluster_ref->kind != "Cluster") {
    errs.push_back(invalid("spec.clusterRef.kind", spec.cluster_ref->kind, "kind must be cluster"));
  }
  return errs;
}

FieldErrors ClusterAddon::validate_update(const ClusterAddon& old) const {
  FieldErrors errs;
  if (!spec.cluster_ref) {
    errs.push_back(required("spec.clusterRef", "must not be empty"));
    return errs;
  }
  const ObjectReference& ref = *spec.cluster_ref;
  if (old.spec.cluster_ref) {
    if (old.spec.cluster_ref->name != ref.name) {
      errs.push_back(invalid("spec.clusterRef.name", ref.name, "field is immutable"));
    }
    if (old.spec.cluster_ref->kind != ref.kind) {
      errs.push_back(invalid("spec.clusterRef.kind", ref.kind, "field is immutable"));
    }
  }
  if (ref.namespace_ != metadata.namespace_) {
    errs.push_back(invalid("spec.clusterRef.namespace", ref.namespace_,
                           "cluster and clusterAddon need to be in same namespace"));
  }
  return errs;
}

}  // namespace cairn::api
