// check_structural_schema: apiextensions' validation of a CRD version's openAPIV3Schema (the
// OpenAPI checks, then the structural-schema invariants, sorted as kube sorts them).
#include <algorithm>
#include <string>
#include <vector>

#include "apiserver/detail/go_text.h"
#include "apiserver/schema.h"

namespace cairn::apiserver {

using nlohmann::json;
using schema_detail::prune_value;
using schema_detail::regex_partial_match;
using schema_detail::validate_value_at;

namespace {

enum class Level { kRoot, kItem, kField };

StatusCause required(const std::string& field, const std::string& detail) {
  return {"FieldValueRequired", detail.empty() ? "Required value" : "Required value: " + detail,
          field};
}
StatusCause forbidden(const std::string& field, const std::string& detail) {
  return {"FieldValueForbidden", "Forbidden: " + detail, field};
}
StatusCause invalid(const std::string& field, const json& bad, const std::string& detail) {
  return {"FieldValueInvalid", "Invalid value: " + go::value(bad) + ": " + detail, field};
}
StatusCause not_supported(const std::string& field, const json& bad,
                          const std::vector<std::string>& values) {
  std::string detail;
  for (const auto& v : values) detail += (detail.empty() ? "" : ", ") + go::quote(v);
  return {"FieldValueNotSupported",
          "Unsupported value: " + go::value(bad) + ": supported values: " + detail, field};
}

bool flag(const json& s, const char* key) {
  auto it = s.find(key);
  return it != s.end() && it->is_boolean() && it->get<bool>();
}

std::string type_of(const json& s) {
  auto it = s.find("type");
  return it != s.end() && it->is_string() ? it->get<std::string>() : "";
}

const json* get(const json& s, const char* key) {
  if (!s.is_object()) return nullptr;
  auto it = s.find(key);
  return it == s.end() ? nullptr : &*it;
}

std::string key_path(const std::string& path, const std::string& key) {
  return path + ".properties[" + key + "]";
}

bool is_int_or_string_any_of(const json& any) {
  return any.is_array() && any.size() == 2 && any[0] == json{{"type", "integer"}} &&
         any[1] == json{{"type", "string"}};
}

class Checker {
 public:
  std::vector<StatusCause> openapi;     // reported first, in traversal order
  std::vector<StatusCause> structural;  // sorted by their text, as ValidateStructural does

  void node(const json& s, Level lvl, const std::string& path) {
    if (!s.is_object()) {
      openapi.push_back(invalid(path, s, "must be a schema object"));
      return;
    }
    openapi_checks(s, path);
    const std::string type = type_of(s);
    if (type == "array" && !get(s, "items")) {
      structural.push_back(required(path + ".items", "must be specified"));
    }
    if (const json* items = get(s, "items")) {
      if (items->is_array()) {
        openapi.push_back(
            forbidden(path + ".items", "items must be a schema object and not an array"));
      } else {
        node(*items, Level::kItem, path + ".items");
      }
    }
    const json* props = get(s, "properties");
    if (props && props->is_object()) {
      for (const auto& [k, v] : props->items()) node(v, Level::kField, key_path(path, k));
    }
    if (const json* additional = get(s, "additionalProperties")) {
      if (lvl == Level::kRoot) {
        structural.push_back(
            forbidden(path + ".additionalProperties", "must not be used at the root"));
      }
      if (additional->is_object()) node(*additional, Level::kField, path + ".additionalProperties");
    }
    const bool int_or_string = flag(s, "x-kubernetes-int-or-string");
    const bool preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
    const bool embedded = flag(s, "x-kubernetes-embedded-resource");
    if (int_or_string && preserve) {
      structural.push_back(invalid(path + ".x-kubernetes-preserve-unknown-fields", true,
                                   "must be false if x-kubernetes-int-or-string is true"));
    }
    if (int_or_string && embedded) {
      structural.push_back(invalid(path + ".x-kubernetes-embedded-resource", true,
                                   "must be false if x-kubernetes-int-or-string is true"));
    }
    value_validation(s, int_or_string, path);

    if (embedded && type != "object") {
      if (type.empty()) {
        structural.push_back(
            required(path + ".type", "must be object if x-kubernetes-embedded-resource is true"));
      } else {
        structural.push_back(invalid(path + ".type", type,
                                     "must be object if x-kubernetes-embedded-resource is true"));
      }
    } else if (type.empty() && !int_or_string && !preserve) {
      const char* detail = lvl == Level::kRoot   ? "must not be empty at the root"
                           : lvl == Level::kItem ? "must not be empty for specified array items"
                                                 : "must not be empty for specified object fields";
      structural.push_back(required(path + ".type", detail));
    }
    if (embedded && get(s, "additionalProperties")) {
      structural.push_back(forbidden(path + ".additionalProperties",
                                     "must not be used if x-kubernetes-embedded-resource is set"));
    }
    if (lvl == Level::kRoot && !type.empty() && type != "object") {
      structural.push_back(invalid(path + ".type", type, "must be object at the root"));
    }
    const bool check_metadata = lvl == Level::kRoot || embedded;
    if (props && props->is_object() && check_metadata) {
      for (const char* key : {"kind", "apiVersion"}) {
        auto it = props->find(key);
        if (it != props->end() && type_of(*it) != "string") {
          structural.push_back(
              invalid(key_path(path, key) + ".type", type_of(*it), "must be string"));
        }
      }
      auto meta = props->find("metadata");
      if (meta != props->end() && type_of(*meta) != "object") {
        structural.push_back(
            invalid(key_path(path, "metadata") + ".type", type_of(*meta), "must be object"));
      }
    }
    if (props && props->is_object() && lvl == Level::kRoot) {
      auto meta = props->find("metadata");
      if (meta != props->end() && meta->is_object() && !metadata_only_names(*meta)) {
        structural.push_back(forbidden(key_path(path, "metadata"),
                                       "must not specify anything other than name and "
                                       "generateName, but metadata is implicitly specified"));
      }
    }
    if (embedded && !preserve && !(props && props->is_object() && !props->empty())) {
      structural.push_back(required(path + ".properties",
                                    "must not be empty if x-kubernetes-embedded-resource is true "
                                    "without x-kubernetes-preserve-unknown-fields"));
    }
    check_default(s, lvl, path);
  }

 private:
  // ValidateCustomResourceDefinitionOpenAPISchema's checks that do not concern structure.
  void openapi_checks(const json& s, const std::string& path) {
    if (get(s, "$ref")) openapi.push_back(forbidden(path + ".$ref", "$ref is not supported"));
    if (const json* t = get(s, "type")) {
      static const std::vector<std::string> kTypes = {"array",  "boolean", "integer",
                                                      "number", "object",  "string"};
      if (!t->is_string() ||
          std::find(kTypes.begin(), kTypes.end(), t->get<std::string>()) == kTypes.end()) {
        openapi.push_back(not_supported(path + ".type", *t, kTypes));
      }
    }
    if (get(s, "additionalProperties") && get(s, "properties")) {
      openapi.push_back(forbidden(path + ".additionalProperties",
                                  "additionalProperties and properties are mutual exclusive"));
    }
    if (flag(s, "uniqueItems")) {
      openapi.push_back(forbidden(
          path + ".uniqueItems",
          "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
    }
    const json* list_type = get(s, "x-kubernetes-list-type");
    const json* map_keys = get(s, "x-kubernetes-list-map-keys");
    if (list_type) {
      static const std::vector<std::string> kListTypes = {"atomic", "set", "map"};
      if (!list_type->is_string() || std::find(kListTypes.begin(), kListTypes.end(),
                                               list_type->get<std::string>()) == kListTypes.end()) {
        openapi.push_back(not_supported(path + ".x-kubernetes-list-type", *list_type, kListTypes));
      } else if (type_of(s) != "array") {
        openapi.push_back(invalid(path + ".type", type_of(s),
                                  "must be array if x-kubernetes-list-type is specified"));
      } else if (*list_type == "map" && (!map_keys || !map_keys->is_array() || map_keys->empty())) {
        openapi.push_back(required(path + ".x-kubernetes-list-map-keys",
                                   "must not be empty if x-kubernetes-list-type is map"));
      }
    }
    if (map_keys && (!list_type || *list_type != "map")) {
      openapi.push_back(forbidden(path + ".x-kubernetes-list-map-keys",
                                  "must not be set if x-kubernetes-list-type is not map"));
    }
    if (const json* pattern = get(s, "pattern"); pattern && pattern->is_string()) {
      std::string error;
      if (!regex_partial_match(pattern->get<std::string>(), "", &error).has_value()) {
        structural.push_back(invalid(path + ".pattern", *pattern,
                                     "must be a valid regular expression, but isn't: " + error));
      }
    }
  }

  // Root metadata may only be `type: object` with name/generateName properties.
  static bool metadata_only_names(const json& meta) {
    for (const auto& [k, v] : meta.items()) {
      if (k == "type" || k == "default") continue;
      if (k != "properties" || !v.is_object()) return false;
      for (const auto& [pk, pv] : v.items()) {
        (void)pv;
        if (pk != "name" && pk != "generateName") return false;
      }
    }
    return true;
  }

  void value_validation(const json& s, bool int_or_string, const std::string& path) {
    const bool skip_any_of =
        int_or_string && get(s, "anyOf") && is_int_or_string_any_of(s["anyOf"]);
    bool skip_first_all_of_any_of = false;
    if (const json* all = get(s, "allOf");
        int_or_string && all && all->is_array() && !all->empty()) {
      const json* first_any = get((*all)[0], "anyOf");
      skip_first_all_of_any_of = first_any && is_int_or_string_any_of(*first_any);
    }
    value_validation_at(s, skip_any_of, skip_first_all_of_any_of, path);
  }

  void value_validation_at(const json& s, bool skip_any_of, bool skip_first_all_of_any_of,
                           const std::string& path) {
    if (const json* any = get(s, "anyOf"); any && any->is_array() && !skip_any_of) {
      for (std::size_t i = 0; i < any->size(); ++i) {
        nested((*any)[i], false, path + ".anyOf[" + std::to_string(i) + "]");
      }
    }
    if (const json* all = get(s, "allOf"); all && all->is_array()) {
      for (std::size_t i = 0; i < all->size(); ++i) {
        nested((*all)[i], skip_first_all_of_any_of && i == 0,
               path + ".allOf[" + std::to_string(i) + "]");
      }
    }
    if (const json* one = get(s, "oneOf"); one && one->is_array()) {
      for (std::size_t i = 0; i < one->size(); ++i) {
        nested((*one)[i], false, path + ".oneOf[" + std::to_string(i) + "]");
      }
    }
    if (const json* no = get(s, "not")) nested(*no, false, path + ".not");
  }

  // A schema under allOf/anyOf/oneOf/not: value validation only, no structure.
  void nested(const json& s, bool skip_any_of, const std::string& path) {
    if (!s.is_object()) return;
    openapi_checks(s, path);
    value_validation_at(s, skip_any_of, false, path);
    if (const json* items = get(s, "items"); items && items->is_object()) {
      nested(*items, false, path + ".items");
    }
    if (const json* props = get(s, "properties"); props && props->is_object()) {
      for (const auto& [k, v] : props->items()) nested(v, false, key_path(path, k));
      if (props->contains("metadata")) {
        structural.push_back(
            forbidden(key_path(path, "metadata"), "must not be specified in a nested context"));
      }
    }
    struct Rule {
      const char* key;
      const char* detail;
    };
    static const Rule kRules[] = {
        {"type", "must be empty to be structural"},
        {"additionalProperties", "must be undefined to be structural"},
        {"default", "must be undefined to be structural"},
        {"title", "must be empty to be structural"},
        {"description", "must be empty to be structural"},
        {"nullable", "must be false to be structural"},
        {"x-kubernetes-preserve-unknown-fields", "must be false to be structural"},
        {"x-kubernetes-embedded-resource", "must be false to be structural"},
        {"x-kubernetes-int-or-string", "must be false to be structural"},
        {"x-kubernetes-list-map-keys", "must be empty to be structural"},
        {"x-kubernetes-list-type", "must be undefined to be structural"},
    };
    for (const auto& rule : kRules) {
      const json* v = get(s, rule.key);
      if (!v) continue;
      const bool set = v->is_boolean()  ? v->get<bool>()
                       : v->is_string() ? !v->get_ref<const std::string&>().empty()
                       : v->is_array()  ? !v->empty()
                                        : true;
      if (set) structural.push_back(forbidden(path + "." + rule.key, rule.detail));
    }
  }

  // A default must validate against its schema and survive pruning unchanged.
  void check_default(const json& s, Level lvl, const std::string& path) {
    const json* def = get(s, "default");
    if (!def) return;
    (void)lvl;
    const std::string field = path + ".default";
    if (def->is_null() && !flag(s, "nullable")) {
      openapi.push_back(forbidden(field, "must not be null for non-nullable fields"));
      return;
    }
    for (auto& cause : validate_value_at(s, *def, field)) openapi.push_back(std::move(cause));
    json pruned = *def;
    if (!prune_value(s, pruned).empty()) {
      openapi.push_back(invalid(field, *def, "must not have unknown fields"));
    }
  }
};

}  // namespace

std::vector<StatusCause> check_structural_schema(const json& schema, const std::string& path) {
  Checker checker;
  checker.node(schema, Level::kRoot, path);
  std::stable_sort(
      checker.structural.begin(), checker.structural.end(),
      [](const StatusCause& a, const StatusCause& b) { return format_cause(a) < format_cause(b); });
  std::vector<StatusCause> out = std::move(checker.openapi);
  for (auto& c : checker.structural) out.push_back(std::move(c));
  return out;
}

}  // namespace cairn::apiserver
