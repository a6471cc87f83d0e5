// CustomResourceDefinition defaulting, validation, served resources, status and conversion.
#include "apiserver/crd.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "apiserver/detail/go_text.h"
#include "apiserver/schema.h"

namespace cairn::apiserver {

using nlohmann::json;
using schema_detail::regex_partial_match;

namespace {

const json& empty_object() {
  static const json* value = new json(json::object());
  return *value;
}

// obj[key] when obj is an object holding key, else an empty object (never null).
const json& at(const json& obj, const char* key) {
  if (!obj.is_object()) return empty_object();
  auto it = obj.find(key);
  return it == obj.end() ? empty_object() : *it;
}

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

bool boolean(const json& obj, const char* key) {
  if (!obj.is_object()) return false;
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool matches(const char* pattern, const std::string& s) {
  return regex_partial_match(pattern, s, nullptr).value_or(false);
}

// utilvalidation.IsDNS1035Label.
std::vector<std::string> dns1035_label_errors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!matches("^[a-z]([-a-z0-9]*[a-z0-9])?$", s)) {
    errs.push_back(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
        "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  }
  return errs;
}

// utilvalidation.IsDNS1123Subdomain.
std::vector<std::string> dns1123_subdomain_errors(const std::string& s) {
  std::vector<std::string> errs;
  if (s.size() > 253) errs.push_back("must be no more than 253 characters");
  if (!matches(R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)", s)) {
    errs.push_back(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        "regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  }
  return errs;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

class Causes {
 public:
  std::vector<StatusCause> list;

  void required(const std::string& field, const std::string& detail = "") {
    list.push_back({"FieldValueRequired",
                    detail.empty() ? "Required value" : "Required value: " + detail, field});
  }
  void invalid(const std::string& field, const json& bad, const std::string& detail) {
    list.push_back(
        {"FieldValueInvalid", "Invalid value: " + go::value(bad) + ": " + detail, field});
  }
  void forbidden(const std::string& field, const std::string& detail) {
    list.push_back({"FieldValueForbidden", "Forbidden: " + detail, field});
  }
  void not_supported(const std::string& field, const json& bad,
                     const std::vector<std::string>& values) {
    std::string detail;
    for (const auto& v : values) detail += (detail.empty() ? "" : ", ") + go::quote(v);
    list.push_back({"FieldValueNotSupported",
                    "Unsupported value: " + go::value(bad) + ": supported values: " + detail,
                    field});
  }
  void append(std::vector<StatusCause> more) {
    for (auto& c : more) list.push_back(std::move(c));
  }
};

void validate_names(const json& names, const std::string& path, Causes& causes) {
  const std::string plural = str(names, "plural");
  const std::string singular = str(names, "singular");
  const std::string kind = str(names, "kind");
  const std::string list_kind = str(names, "listKind");
  if (auto errs = dns1035_label_errors(plural); !plural.empty() && !errs.empty()) {
    causes.invalid(path + ".plural", plural, join(errs, ","));
  }
  if (auto errs = dns1035_label_errors(singular); !singular.empty() && !errs.empty()) {
    causes.invalid(path + ".singular", singular, join(errs, ","));
  }
  if (auto errs = dns1035_label_errors(lower(kind)); !kind.empty() && !errs.empty()) {
    causes.invalid(path + ".kind", kind,
                   "may have mixed case, but should otherwise match: " + join(errs, ","));
  }
  if (auto errs = dns1035_label_errors(lower(list_kind)); !list_kind.empty() && !errs.empty()) {
    causes.invalid(path + ".listKind", list_kind,
                   "may have mixed case, but should otherwise match: " + join(errs, ","));
  }
  const json& shorts = at(names, "shortNames");
  if (shorts.is_array()) {
    for (std::size_t i = 0; i < shorts.size(); ++i) {
      const std::string s = shorts[i].is_string() ? shorts[i].get<std::string>() : "";
      if (auto errs = dns1035_label_errors(s); !errs.empty()) {
        causes.invalid(path + ".shortNames[" + std::to_string(i) + "]", s, join(errs, ","));
      }
    }
  }
  if (!kind.empty() && kind == list_kind) {
    causes.invalid(path + ".listKind", list_kind, "kind and listKind may not be the same");
  }
  const json& categories = at(names, "categories");
  if (categories.is_array()) {
    for (std::size_t i = 0; i < categories.size(); ++i) {
      const std::string s = categories[i].is_string() ? categories[i].get<std::string>() : "";
      if (auto errs = dns1035_label_errors(s); !errs.empty()) {
        causes.invalid(path + ".categories[" + std::to_string(i) + "]", s, join(errs, ","));
      }
    }
  }
}

// validateSimpleJSONPath: printer columns and scale paths must start with '.'. Full JSONPath
// parsing belongs to the table component.
bool simple_json_path(const std::string& value, const std::string& field, Causes& causes) {
  if (value.empty() || value[0] != '.') {
    causes.invalid(field, value, "must be a simple json path starting with .");
    return false;
  }
  return true;
}

void validate_scale(const json& scale, const std::string& path, Causes& causes) {
  const std::string spec = str(scale, "specReplicasPath");
  if (spec.empty()) {
    causes.required(path + ".specReplicasPath");
  } else if (simple_json_path(spec, path + ".specReplicasPath", causes) &&
             spec.rfind(".spec.", 0) != 0) {
    causes.invalid(path + ".specReplicasPath", spec, "should be a json path under .spec");
  }
  const std::string status = str(scale, "statusReplicasPath");
  if (status.empty()) {
    causes.required(path + ".statusReplicasPath");
  } else if (simple_json_path(status, path + ".statusReplicasPath", causes) &&
             status.rfind(".status.", 0) != 0) {
    causes.invalid(path + ".statusReplicasPath", status, "should be a json path under .status");
  }
  const std::string selector = str(scale, "labelSelectorPath");
  if (!selector.empty() && simple_json_path(selector, path + ".labelSelectorPath", causes) &&
      selector.rfind(".spec.", 0) != 0 && selector.rfind(".status.", 0) != 0) {
    causes.invalid(path + ".labelSelectorPath", selector,
                   "should be a json path under either .spec or .status");
  }
}

void validate_columns(const json& columns, const std::string& path, Causes& causes) {
  static const std::vector<std::string> kTypes = {"boolean", "date", "integer", "number", "string"};
  static const std::vector<std::string> kFormats = {"byte",  "date",  "date-time", "double",
                                                    "float", "int32", "int64",     "password"};
  if (!columns.is_array()) return;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const json& col = columns[i];
    const std::string p = path + "[" + std::to_string(i) + "]";
    if (str(col, "name").empty()) causes.required(p + ".name");
    const std::string type = str(col, "type");
    if (type.empty()) {
      causes.required(p + ".type", "must be one of " + join(kTypes, ","));
    } else if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
      causes.not_supported(p + ".type", type, kTypes);
    }
    const std::string format = str(col, "format");
    if (!format.empty() && std::find(kFormats.begin(), kFormats.end(), format) == kFormats.end()) {
      causes.not_supported(p + ".format", format, kFormats);
    }
    const std::string json_path = str(col, "jsonPath");
    if (json_path.empty()) {
      causes.required(p + ".jsonPath");
    } else {
      simple_json_path(json_path, p + ".jsonPath", causes);
    }
  }
}

void validate_conversion(const json& conversion, const std::string& path, Causes& causes) {
  const std::string strategy = str(conversion, "strategy");
  const bool has_webhook =
      conversion.is_object() && conversion.contains("webhook") && !conversion["webhook"].is_null();
  if (strategy != "None" && strategy != "Webhook") {
    causes.not_supported(path + ".strategy", strategy, {"None", "Webhook"});
  } else if (strategy == "Webhook") {
    if (!has_webhook) {
      causes.required(path + ".webhook", "required when strategy is set to Webhook");
    } else {
      const json& webhook = conversion["webhook"];
      const json& review = at(webhook, "conversionReviewVersions");
      if (!review.is_array() || review.empty()) {
        causes.required(path + ".webhook.conversionReviewVersions",
                        "must contain at least one version");
      }
      const json& client = at(webhook, "clientConfig");
      const bool has_url = !str(client, "url").empty();
      const bool has_service = client.contains("service");
      if (!has_url && !has_service) {
        causes.required(path + ".webhook.clientConfig",
                        "exactly one of url or service is required");
      } else if (has_url && has_service) {
        causes.required(path + ".webhook.clientConfig",
                        "exactly one of url or service is required");
      }
    }
  } else if (has_webhook) {
    causes.forbidden(path + ".webhook", "should not be set when strategy is not set to Webhook");
  }
}

bool condition_true(const json& crd, const char* type) {
  const json& conditions = at(at(crd, "status"), "conditions");
  if (!conditions.is_array()) return false;
  for (const auto& c : conditions) {
    if (str(c, "type") == type) return str(c, "status") == "True";
  }
  return false;
}

std::string storage_version(const json& versions) {
  if (!versions.is_array()) return "";
  for (const auto& v : versions) {
    if (boolean(v, "storage")) return str(v, "name");
  }
  return "";
}

void validate_stored_versions(const json& crd, Causes& causes) {
  const json& status = at(crd, "status");
  if (!status.contains("storedVersions")) return;
  const json& stored = status["storedVersions"];
  const json& versions = at(at(crd, "spec"), "versions");
  const std::string path = "status.storedVersions";
  if (!stored.is_array() || stored.empty()) {
    causes.invalid(path, stored, "must have at least one stored version");
    return;
  }
  for (std::size_t i = 0; i < stored.size(); ++i) {
    bool found = false;
    if (versions.is_array()) {
      for (const auto& v : versions) found = found || str(v, "name") == stored[i];
    }
    if (!found) {
      causes.invalid(path + "[" + std::to_string(i) + "]", stored[i],
                     "must appear in spec.versions");
    }
  }
  const std::string storage = storage_version(versions);
  if (!storage.empty() && std::find(stored.begin(), stored.end(), json(storage)) == stored.end()) {
    causes.invalid(path, stored, "must have the storage version " + storage);
  }
}

// A kube-like version name: v<major>[(alpha|beta)<minor>].
struct KubeVersion {
  long long major = 0;
  int stage = 0;  // 2 GA, 1 beta, 0 alpha
  long long minor = 0;
};

std::optional<KubeVersion> parse_kube_version(std::string_view v) {
  if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) {
    return std::nullopt;
  }
  std::size_t i = 1;
  KubeVersion out;
  std::string digits;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) digits += v[i++];
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  if (digits.size() > 18) return std::nullopt;
  out.major = std::stoll(digits);
  if (i == v.size()) {
    out.stage = 2;
    return out;
  }
  const std::string_view rest = v.substr(i);
  std::size_t skip = 0;
  if (rest.rfind("alpha", 0) == 0) {
    out.stage = 0;
    skip = 5;
  } else if (rest.rfind("beta", 0) == 0) {
    out.stage = 1;
    skip = 4;
  } else {
    return std::nullopt;
  }
  const std::string_view minor = rest.substr(skip);
  if (minor.empty() || minor.size() > 18 || (minor.size() > 1 && minor[0] == '0')) {
    return std::nullopt;
  }
  for (char c : minor) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  out.minor = std::stoll(std::string(minor));
  return out;
}

json condition(const std::string& type, const std::string& status, const std::string& reason,
               const std::string& message) {
  return json{{"type", type}, {"status", status}, {"reason", reason}, {"message", message}};
}

// Replaces or appends condition `c`; lastTransitionTime moves only when the status changes.
void put_condition(json& conditions, json c, std::string_view now) {
  for (auto& existing : conditions) {
    if (str(existing, "type") != str(c, "type")) continue;
    if (str(existing, "status") == str(c, "status") && existing.contains("lastTransitionTime")) {
      c["lastTransitionTime"] = existing["lastTransitionTime"];
    } else {
      c["lastTransitionTime"] = std::string(now);
    }
    existing = std::move(c);
    return;
  }
  c["lastTransitionTime"] = std::string(now);
  conditions.push_back(std::move(c));
}

bool protected_group(const std::string& group) {
  auto ends_with = [&](const std::string& suffix) {
    return group.size() >= suffix.size() &&
           group.compare(group.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return group == "k8s.io" || group == "kubernetes.io" || ends_with(".k8s.io") ||
         ends_with(".kubernetes.io");
}

json approval_condition(const json& crd) {
  const json& annotations = at(at(crd, "metadata"), "annotations");
  const std::string key = "api-approved.kubernetes.io";
  if (!annotations.contains(key) || !annotations[key].is_string()) {
    return condition("KubernetesAPIApprovalPolicyConformant", "False", "MissingAnnotation",
                     "protected groups must have approval annotation \"" + key +
                         "\", see https://github.com/kubernetes/enhancements/pull/1111");
  }
  const std::string value = annotations[key].get<std::string>();
  if (value.rfind("unapproved", 0) == 0) {
    return condition("KubernetesAPIApprovalPolicyConformant", "False", "UnapprovedAnnotation",
                     "not approved: \"" + value + "\"");
  }
  if (value.rfind("https://", 0) == 0 || value.rfind("http://", 0) == 0) {
    return condition("KubernetesAPIApprovalPolicyConformant", "True", "ApprovedAnnotation",
                     "approved in " + value);
  }
  return condition("KubernetesAPIApprovalPolicyConformant", "False", "InvalidAnnotation",
                   "protected groups must have approval annotation \"" + key +
                       "\" with either a URL or a reason starting with \"unapproved\", see "
                       "https://github.com/kubernetes/enhancements/pull/1111");
}

}  // namespace

void default_crd(json& crd) {
  if (!crd.is_object()) return;
  json& spec = crd["spec"];
  if (!spec.is_object()) return;
  if (spec.contains("names") && spec["names"].is_object()) {
    json& names = spec["names"];
    const std::string kind = str(names, "kind");
    if (str(names, "singular").empty() && !kind.empty()) names["singular"] = lower(kind);
    if (str(names, "listKind").empty() && !kind.empty()) names["listKind"] = kind + "List";
  }
  if (!spec.contains("conversion") || spec["conversion"].is_null()) {
    spec["conversion"] = json{{"strategy", "None"}};
  }
  json& conversion = spec["conversion"];
  if (conversion.is_object()) {
    json* service = nullptr;
    if (conversion.contains("webhook") && conversion["webhook"].is_object()) {
      json& webhook = conversion["webhook"];
      if (webhook.contains("clientConfig") && webhook["clientConfig"].is_object() &&
          webhook["clientConfig"].contains("service") &&
          webhook["clientConfig"]["service"].is_object()) {
        service = &webhook["clientConfig"]["service"];
      }
    }
    if (service && !service->contains("port")) (*service)["port"] = 443;
  }
}

std::vector<StatusCause> validate_crd(const json& crd, const json* old) {
  Causes causes;
  const json& spec = at(crd, "spec");
  const json& names = at(spec, "names");
  const std::string group = str(spec, "group");
  const std::string plural = str(names, "plural");
  const std::string name = str(at(crd, "metadata"), "name");
  if (name != plural + "." + group) {
    causes.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
  }

  if (group.empty()) {
    causes.required("spec.group");
  } else if (auto errs = dns1123_subdomain_errors(group); !errs.empty()) {
    causes.invalid("spec.group", group, join(errs, ","));
  } else if (group.find('.') == std::string::npos) {
    causes.invalid("spec.group", group, "should be a domain with at least one dot");
  }

  const std::string scope = str(spec, "scope");
  if (scope.empty()) {
    causes.required("spec.scope");
  } else if (scope != "Namespaced" && scope != "Cluster") {
    causes.not_supported("spec.scope", scope, {"Cluster", "Namespaced"});
  }

  const json& versions = at(spec, "versions");
  if (!versions.is_array() || versions.empty()) {
    causes.invalid("spec.versions", versions.is_array() ? versions : json::array(),
                   "must have exactly one version marked as storage version");
  } else {
    int storage_count = 0;
    bool unique = true;
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < versions.size(); ++i) {
      const json& v = versions[i];
      const std::string path = "spec.versions[" + std::to_string(i) + "]";
      const std::string vname = str(v, "name");
      if (boolean(v, "storage")) ++storage_count;
      if (std::find(seen.begin(), seen.end(), vname) != seen.end()) unique = false;
      seen.push_back(vname);
      if (auto errs = dns1035_label_errors(vname); !errs.empty()) {
        causes.invalid(path + ".name", vname, join(errs, ","));
      }
      const json& schema = at(at(v, "schema"), "openAPIV3Schema");
      if (!at(v, "schema").contains("openAPIV3Schema")) {
        causes.required(path + ".schema.openAPIV3Schema", "schemas are required");
      } else {
        causes.append(check_structural_schema(schema, path + ".schema.openAPIV3Schema"));
      }
      const json& subresources = at(v, "subresources");
      if (subresources.contains("scale")) {
        validate_scale(subresources["scale"], path + ".subresources.scale", causes);
      }
      validate_columns(at(v, "additionalPrinterColumns"), path + ".additionalPrinterColumns",
                       causes);
    }
    if (!unique) causes.invalid("spec.versions", versions, "must contain unique version names");
    if (storage_count != 1) {
      causes.invalid("spec.versions", versions,
                     "must have exactly one version marked as storage version");
    }
  }

  if (plural.empty()) causes.required("spec.names.plural");
  if (str(names, "singular").empty()) causes.required("spec.names.singular");
  if (str(names, "kind").empty()) causes.required("spec.names.kind");
  if (str(names, "listKind").empty()) causes.required("spec.names.listKind");
  validate_names(names, "spec.names", causes);

  validate_conversion(at(spec, "conversion"), "spec.conversion", causes);
  if (boolean(spec, "preserveUnknownFields")) {
    causes.invalid("spec.preserveUnknownFields", true,
                   "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in "
                   "spec.versions[*].schema instead");
  }

  if (old) {
    const json& old_spec = at(*old, "spec");
    auto immutable = [&](const std::string& field, const json& now, const json& before) {
      if (now != before) causes.invalid(field, now, "field is immutable");
    };
    if (condition_true(*old, "Established")) {
      immutable("spec.scope", str(spec, "scope"), str(old_spec, "scope"));
      immutable("spec.names.kind", str(names, "kind"), str(at(old_spec, "names"), "kind"));
    }
    immutable("spec.group", group, str(old_spec, "group"));
    immutable("spec.names.plural", plural, str(at(old_spec, "names"), "plural"));
    validate_stored_versions(crd, causes);
  }
  return causes.list;
}

int compare_kube_versions(std::string_view a, std::string_view b) {
  const auto va = parse_kube_version(a);
  const auto vb = parse_kube_version(b);
  if (va && vb) {
    if (va->stage != vb->stage) return va->stage > vb->stage ? 1 : -1;
    if (va->major != vb->major) return va->major > vb->major ? 1 : -1;
    if (va->minor != vb->minor) return va->minor > vb->minor ? 1 : -1;
    return 0;
  }
  if (va) return 1;
  if (vb) return -1;
  // Neither is kube-like: alphabetical, the smaller name first.
  if (a == b) return 0;
  return a < b ? 1 : -1;
}

std::vector<ResourceInfo> crd_resources(const json& crd) {
  std::vector<ResourceInfo> out;
  const json& spec = at(crd, "spec");
  const json& names = at(spec, "names");
  const json& versions = at(spec, "versions");
  if (!versions.is_array()) return out;
  const std::string storage = storage_version(versions);
  auto strings = [](const json& list) {
    std::vector<std::string> out_list;
    if (list.is_array()) {
      for (const auto& s : list) {
        if (s.is_string()) out_list.push_back(s.get<std::string>());
      }
    }
    return out_list;
  };
  for (const auto& v : versions) {
    if (!boolean(v, "served")) continue;
    ResourceInfo info;
    info.group = str(spec, "group");
    info.version = str(v, "name");
    info.resource = str(names, "plural");
    info.singular = str(names, "singular");
    info.kind = str(names, "kind");
    info.list_kind = str(names, "listKind");
    info.short_names = strings(at(names, "shortNames"));
    info.categories = strings(at(names, "categories"));
    info.namespaced = str(spec, "scope") != "Cluster";
    info.verbs = {"delete", "deletecollection", "get",    "list",
                  "patch",  "create",           "update", "watch"};
    const json& subresources = at(v, "subresources");
    info.has_status = subresources.contains("status");
    if (subresources.contains("scale") && subresources["scale"].is_object()) {
      const json& scale = subresources["scale"];
      info.scale =
          ScaleSubresource{str(scale, "specReplicasPath"), str(scale, "statusReplicasPath"),
                           str(scale, "labelSelectorPath")};
    }
    info.generation = info.has_status ? GenerationPolicy::kSpec : GenerationPolicy::kAllButMetadata;
    info.custom = true;
    info.crd_name = str(at(crd, "metadata"), "name");
    info.storage_version = storage;
    info.deprecated = boolean(v, "deprecated");
    if (info.deprecated) {
      const std::string warning = str(v, "deprecationWarning");
      info.deprecation_warning =
          v.contains("deprecationWarning") && v["deprecationWarning"].is_string()
              ? warning
              : info.group + "/" + info.version + " " + info.kind + " is deprecated";
    }
    const json& fields = at(v, "selectableFields");
    if (fields.is_array()) {
      for (const auto& f : fields) {
        std::string path = str(f, "jsonPath");
        if (!path.empty() && path[0] == '.') path.erase(0, 1);
        if (!path.empty()) info.field_labels.push_back(path);
      }
    }
    const json& columns = at(v, "additionalPrinterColumns");
    if (columns.is_array()) {
      for (const auto& c : columns) {
        PrinterColumn col;
        col.name = str(c, "name");
        col.type = str(c, "type");
        col.format = str(c, "format");
        col.description = str(c, "description");
        if (c.contains("priority") && c["priority"].is_number_integer()) {
          col.priority = c["priority"].get<int>();
        }
        col.json_path = str(c, "jsonPath");
        info.columns.push_back(std::move(col));
      }
    }
    const json& schema = at(v, "schema");
    if (schema.contains("openAPIV3Schema")) {
      info.schema = std::make_shared<const json>(schema["openAPIV3Schema"]);
    }
    out.push_back(std::move(info));
  }
  std::stable_sort(out.begin(), out.end(), [](const ResourceInfo& a, const ResourceInfo& b) {
    return compare_kube_versions(a.version, b.version) > 0;
  });
  return out;
}

void set_crd_status(json& crd, bool names_accepted, const std::string& conflict_reason,
                    const std::string& conflict_message, std::string_view now) {
  if (!crd.is_object()) return;
  json& status = crd["status"];
  if (!status.is_object()) status = json::object();
  const json& spec = at(crd, "spec");
  if (names_accepted) {
    status["acceptedNames"] = at(spec, "names");
  } else if (!status.contains("acceptedNames")) {
    status["acceptedNames"] = json{{"plural", ""}, {"kind", ""}};
  }
  if (!status.contains("conditions") || !status["conditions"].is_array()) {
    status["conditions"] = json::array();
  }
  const bool was_established = condition_true(crd, "Established");
  json& conditions = status["conditions"];
  if (names_accepted) {
    put_condition(conditions,
                  condition("NamesAccepted", "True", "NoConflicts", "no conflicts found"), now);
  } else {
    put_condition(conditions,
                  condition("NamesAccepted", "False", conflict_reason, conflict_message), now);
  }
  if (names_accepted && !was_established) {
    put_condition(conditions,
                  condition("Established", "True", "InitialNamesAccepted",
                            "the initial names have been accepted"),
                  now);
  } else if (!names_accepted && !was_established) {
    put_condition(conditions,
                  condition("Established", "False", "NotAccepted", "not all names are accepted"),
                  now);
  }
  if (protected_group(str(spec, "group"))) {
    put_condition(conditions, approval_condition(crd), now);
  }
  const std::string storage = storage_version(at(spec, "versions"));
  if (!status.contains("storedVersions") || !status["storedVersions"].is_array()) {
    status["storedVersions"] = json::array();
  }
  json& stored = status["storedVersions"];
  if (!storage.empty() && std::find(stored.begin(), stored.end(), json(storage)) == stored.end()) {
    stored.push_back(storage);
  }
}

void convert_custom_resource(json& object, std::string_view api_version) {
  if (object.is_object()) object["apiVersion"] = std::string(api_version);
}

}  // namespace cairn::apiserver
