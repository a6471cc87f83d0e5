#include "apiserver/validation.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "apiserver/detail/go_text.h"
#include "apiserver/selector.h"
#include "apiserver/validation_internal.h"

namespace cairn::apiserver {

using nlohmann::json;

namespace detail {

// ------------------------------------------------------------------ formatting

std::string go_string_slice(const std::vector<std::string>& values) {
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += go::quote(values[i]);
  }
  out += "}";
  return out;
}

std::string go_time(std::string_view rfc3339) {
  // "2024-05-01T10:00:00Z" -> "2024-05-01 10:00:00 +0000 UTC" (time.Time's String()).
  if (rfc3339.size() == 20 && rfc3339[10] == 'T' && rfc3339[19] == 'Z') {
    return std::string(rfc3339.substr(0, 10)) + " " + std::string(rfc3339.substr(11, 8)) +
           " +0000 UTC";
  }
  return std::string(rfc3339);
}

StatusCause invalid(std::string field, const std::string& rendered_value,
                    const std::string& detail) {
  std::string msg = "Invalid value: " + rendered_value;
  if (!detail.empty()) msg += ": " + detail;
  return {"FieldValueInvalid", std::move(msg), std::move(field)};
}

StatusCause required(std::string field, const std::string& detail) {
  std::string msg = "Required value";
  if (!detail.empty()) msg += ": " + detail;
  return {"FieldValueRequired", std::move(msg), std::move(field)};
}

StatusCause forbidden(std::string field, const std::string& detail) {
  std::string msg = "Forbidden";
  if (!detail.empty()) msg += ": " + detail;
  return {"FieldValueForbidden", std::move(msg), std::move(field)};
}

StatusCause too_long(std::string field, std::int64_t max_bytes) {
  return {"FieldValueTooLong", "Too long: must have at most " + std::to_string(max_bytes) +
                                   " bytes",
          std::move(field)};
}

StatusCause not_supported(std::string field, const std::string& rendered_value,
                          const std::vector<std::string>& supported) {
  std::string msg = "Unsupported value: " + rendered_value + ": supported values: ";
  for (std::size_t i = 0; i < supported.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += go::quote(supported[i]);
  }
  return {"FieldValueNotSupported", std::move(msg), std::move(field)};
}

std::string go_json_type(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

Status decode_error(const ResourceInfo& info, const std::string& reason) {
  return Status{StatusCode::kBadRequest, info.kind + " in version \"" + info.version +
                                             "\" cannot be handled as a " + info.kind + ": " +
                                             reason};
}

Status unmarshal_error(const ResourceInfo& info, const json& value, const std::string& go_struct,
                       const std::string& field, const std::string& go_type) {
  std::string what = go_json_type(value);
  if (value.is_number() && (go_type == "int32" || go_type == "int64")) what += " " + value.dump();
  return decode_error(info, "json: cannot unmarshal " + what + " into Go struct field " +
                                go_struct + "." + field + " of type " + go_type);
}

// ------------------------------------------------------------------ name rules

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character";
constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1035LabelErrMsg =
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";

bool dns_label_chars(std::string_view s) {
  if (s.empty() || !is_lower_alnum(s.front()) || !is_lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// validation.IsDNS1123Label / IsDNS1035Label.
std::vector<std::string> dns1123_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!dns_label_chars(v)) {
    errs.push_back(regex_error(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> dns1035_label_errors(std::string_view v) {
  std::vector<std::string> errs;
  if (v.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!dns_label_chars(v) || !(v.front() >= 'a' && v.front() <= 'z')) {
    errs.push_back(regex_error(kDns1035LabelErrMsg, kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

// path.ValidatePathSegmentName.
std::vector<std::string> path_segment_errors(std::string_view v, bool prefix) {
  if (!prefix) {
    if (v == ".") return {"may not be '.'"};
    if (v == "..") return {"may not be '..'"};
  }
  std::vector<std::string> errs;
  if (v.find('/') != std::string_view::npos) errs.push_back("may not contain '/'");
  if (v.find('%') != std::string_view::npos) errs.push_back("may not contain '%'");
  return errs;
}

// maskTrailingDash: a generateName prefix may end in '-'.
std::string mask_trailing_dash(std::string_view v) {
  std::string s(v);
  if (s.size() > 1 && s.back() == '-') s.back() = 'a';
  return s;
}

enum class NameRule { kSubdomain, kLabel, kDns1035, kPathSegment };

NameRule name_rule(const ResourceInfo& info) {
  if (info.custom) return NameRule::kSubdomain;
  if (info.group.empty() && info.resource == "namespaces") return NameRule::kLabel;
  if (info.group.empty() && info.resource == "services") return NameRule::kDns1035;
  if (info.group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  return NameRule::kSubdomain;
}

std::vector<std::string> name_errors(NameRule rule, std::string_view name, bool prefix) {
  switch (rule) {
    case NameRule::kLabel:
      return dns1123_label_errors(prefix ? mask_trailing_dash(name) : std::string(name));
    case NameRule::kDns1035:
      return dns1035_label_errors(prefix ? mask_trailing_dash(name) : std::string(name));
    case NameRule::kPathSegment:
      return path_segment_errors(name, prefix);
    case NameRule::kSubdomain:
      break;
  }
  return dns1123_subdomain_errors(prefix ? mask_trailing_dash(name) : std::string(name));
}

std::string string_field(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& member(const json& obj, const char* key) {
  static const json kNull;
  if (!obj.is_object()) return kNull;
  auto it = obj.find(key);
  return it != obj.end() ? *it : kNull;
}

std::vector<std::string> string_list(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const json& e : v)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

constexpr std::int64_t kTotalAnnotationSizeLimit = 256 * 1024;

void validate_labels(const json& labels, std::vector<StatusCause>& out) {
  if (!labels.is_object()) return;
  for (const auto& [k, v] : labels.items()) {
    for (const std::string& msg : label_key_errors(k)) {
      out.push_back(invalid("metadata.labels", go::quote(k), msg));
    }
    const std::string value = v.is_string() ? v.get<std::string>() : std::string();
    for (const std::string& msg : label_value_errors(value)) {
      out.push_back(invalid("metadata.labels", go::quote(value), msg));
    }
  }
}

void validate_annotations(const json& annotations, std::vector<StatusCause>& out) {
  if (!annotations.is_object()) return;
  std::int64_t total = 0;
  for (const auto& [k, v] : annotations.items()) {
    std::string lower = k;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const std::string& msg : label_key_errors(lower)) {
      out.push_back(invalid("metadata.annotations", go::quote(k), msg));
    }
    total += static_cast<std::int64_t>(k.size());
    if (v.is_string()) total += static_cast<std::int64_t>(v.get_ref<const std::string&>().size());
  }
  if (total > kTotalAnnotationSizeLimit) {
    out.push_back(too_long("metadata.annotations", kTotalAnnotationSizeLimit));
  }
}

// Go's %#v of a []v1.OwnerReference, the bad value of the "only one controller" error. Go
// prints the *bool fields as addresses; the pointee is printed instead ((*bool)(true)), which
// says more and is stable.
std::string go_owner_refs(const json& refs) {
  std::string out = "[]v1.OwnerReference{";
  bool first = true;
  for (const json& r : refs) {
    if (!first) out += ", ";
    first = false;
    auto ptr = [&](const char* key) {
      const json& v = member(r, key);
      if (!v.is_boolean()) return std::string("(*bool)(nil)");
      return std::string("(*bool)(") + (v.get<bool>() ? "true" : "false") + ")";
    };
    out += "v1.OwnerReference{APIVersion:" + go::quote(string_field(r, "apiVersion")) +
           ", Kind:" + go::quote(string_field(r, "kind")) +
           ", Name:" + go::quote(string_field(r, "name")) +
           ", UID:" + go::quote(string_field(r, "uid")) + ", Controller:" + ptr("controller") +
           ", BlockOwnerDeletion:" + ptr("blockOwnerDeletion") + "}";
  }
  out += "}";
  return out;
}

void validate_owner_references(const json& refs, std::vector<StatusCause>& out) {
  if (!refs.is_array()) return;
  const std::string path = "metadata.ownerReferences";
  std::string first_controller;
  for (const json& ref : refs) {
    const std::string api_version = string_field(ref, "apiVersion");
    const std::string kind = string_field(ref, "kind");
    // schema.FromAPIVersionAndKind: "v1" is a version, "g/v" group and version, more slashes
    // fail to parse (no version).
    std::string version;
    if (const auto slash = api_version.find('/'); slash == std::string::npos) {
      version = api_version;
    } else if (api_version.find('/', slash + 1) == std::string::npos) {
      version = api_version.substr(slash + 1);
    }
    if (version.empty()) {
      out.push_back(invalid(path + ".apiVersion", go::quote(api_version),
                            "version must not be empty"));
    }
    if (kind.empty()) out.push_back(invalid(path + ".kind", go::quote(kind), "must not be empty"));
    const std::string name = string_field(ref, "name");
    if (name.empty()) out.push_back(invalid(path + ".name", go::quote(name), "must not be empty"));
    const std::string uid = string_field(ref, "uid");
    if (uid.empty()) out.push_back(invalid(path + ".uid", go::quote(uid), "must not be empty"));
    const json& controller = member(ref, "controller");
    if (controller.is_boolean() && controller.get<bool>()) {
      const std::string current = kind + "/" + name;
      if (!first_controller.empty()) {
        out.push_back(invalid(path, go_owner_refs(refs),
                              "Only one reference can have Controller set to true. Found "
                              "\"true\" in references for " +
                                  first_controller + " and " + current));
      } else {
        first_controller = current;
      }
    }
  }
}

void validate_finalizers(const json& finalizers, std::vector<StatusCause>& out) {
  const std::vector<std::string> list = string_list(finalizers);
  bool orphan = false;
  bool foreground = false;
  for (const std::string& f : list) {
    for (const std::string& msg : label_key_errors(f)) {
      out.push_back(invalid("metadata.finalizers", go::quote(f), msg));
    }
    orphan = orphan || f == "orphan";
    foreground = foreground || f == "foregroundDeletion";
  }
  if (orphan && foreground) {
    out.push_back(invalid("metadata.finalizers", go_string_slice(list),
                          "finalizer orphan and foregroundDeletion cannot be both set"));
  }
}

// ValidateImmutableField for the string-valued metadata fields.
void immutable_string(const json& md, const json& old_md, const char* key, bool is_time,
                      std::vector<StatusCause>& out) {
  const std::string now = string_field(md, key);
  const std::string before = string_field(old_md, key);
  if (now == before) return;
  std::string rendered;
  if (is_time) {
    rendered = now.empty() ? std::string("null") : go_time(now);
  } else {
    rendered = go::quote(now);
  }
  out.push_back(invalid(std::string("metadata.") + key, rendered, "field is immutable"));
}

}  // namespace

std::vector<StatusCause> meta_causes(const ResourceInfo& info, const json& object,
                                     const json* old) {
  std::vector<StatusCause> out;
  const json& md = member(object, "metadata");
  const NameRule rule = name_rule(info);
  const std::string generate = string_field(md, "generateName");
  const std::string name = string_field(md, "name");
  if (!generate.empty()) {
    for (const std::string& msg : name_errors(rule, generate, true)) {
      out.push_back(invalid("metadata.generateName", go::quote(generate), msg));
    }
  }
  if (name.empty()) {
    out.push_back(required("metadata.name", "name or generateName is required"));
  } else {
    for (const std::string& msg : name_errors(rule, name, false)) {
      out.push_back(invalid("metadata.name", go::quote(name), msg));
    }
  }
  const std::string ns = string_field(md, "namespace");
  if (info.namespaced) {
    if (ns.empty()) {
      out.push_back(required("metadata.namespace", ""));
    } else {
      for (const std::string& msg : dns1123_label_errors(ns)) {
        out.push_back(invalid("metadata.namespace", go::quote(ns), msg));
      }
    }
  } else if (!ns.empty()) {
    out.push_back(forbidden("metadata.namespace", "not allowed on this type"));
  }
  const json& generation = member(md, "generation");
  if (generation.is_number_integer() && generation.get<std::int64_t>() < 0) {
    out.push_back(invalid("metadata.generation", generation.dump(),
                          "must be greater than or equal to 0"));
  }
  validate_labels(member(md, "labels"), out);
  validate_annotations(member(md, "annotations"), out);
  validate_owner_references(member(md, "ownerReferences"), out);
  validate_finalizers(member(md, "finalizers"), out);

  if (old == nullptr) return out;
  const json& old_md = member(*old, "metadata");
  if (member(old_md, "deletionTimestamp").is_string()) {
    const std::vector<std::string> before = string_list(member(old_md, "finalizers"));
    const std::set<std::string> before_set(before.begin(), before.end());
    std::set<std::string> extra;
    for (const std::string& f : string_list(member(md, "finalizers"))) {
      if (!before_set.count(f)) extra.insert(f);
    }
    if (!extra.empty()) {
      out.push_back(forbidden(
          "metadata.finalizers",
          "no new finalizers can be added if the object is being deleted, found new finalizers " +
              go_string_slice({extra.begin(), extra.end()})));
    }
  }
  const std::int64_t gen_now = generation.is_number_integer() ? generation.get<std::int64_t>() : 0;
  const json& old_generation = member(old_md, "generation");
  const std::int64_t gen_before =
      old_generation.is_number_integer() ? old_generation.get<std::int64_t>() : 0;
  if (gen_now < gen_before) {
    out.push_back(
        invalid("metadata.generation", std::to_string(gen_now), "must not be decremented"));
  }
  immutable_string(md, old_md, "name", false, out);
  immutable_string(md, old_md, "namespace", false, out);
  immutable_string(md, old_md, "uid", false, out);
  immutable_string(md, old_md, "creationTimestamp", true, out);
  immutable_string(md, old_md, "deletionTimestamp", true, out);
  const json& grace = member(md, "deletionGracePeriodSeconds");
  const json& old_grace = member(old_md, "deletionGracePeriodSeconds");
  if (grace != old_grace) {
    out.push_back(invalid("metadata.deletionGracePeriodSeconds",
                          grace.is_number_integer() ? grace.dump() : std::string("null"),
                          "field is immutable"));
  }
  return out;
}

}  // namespace detail

std::vector<StatusCause> validate_object_meta(const ResourceInfo& info, const json& object,
                                              const json* old) {
  return detail::meta_causes(info, object, old);
}

Status invalid_status(const ResourceInfo& info, const std::string& name,
                      std::vector<StatusCause> causes) {
  // field.ErrorList.ToAggregate: one entry per distinct "<field>: <body>" string.
  std::vector<std::string> distinct;
  std::set<std::string> seen;
  for (const StatusCause& c : causes) {
    std::string text = c.field.empty() ? c.message : c.field + ": " + c.message;
    if (seen.insert(text).second) distinct.push_back(std::move(text));
  }
  std::string message = info.qualified_kind() + " " + go::quote(name) + " is invalid";
  if (distinct.size() == 1) {
    message += ": " + distinct.front();
  } else if (distinct.size() > 1) {
    message += ": [";
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      if (i > 0) message += ", ";
      message += distinct[i];
    }
    message += "]";
  }
  StatusDetails details;
  details.name = name;
  details.group = info.group;
  details.kind = info.kind;
  details.causes = std::move(causes);
  return Status{StatusCode::kInvalid, std::move(message), std::move(details)};
}

}  // namespace cairn::apiserver
