// Validation, pruning and defaulting of custom resources against structural schemas. The checks
// and texts mirror kube-openapi's validator as apiextensions-apiserver converts its errors into
// field errors (see schema.h).
#include "apiserver/schema.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "apiserver/detail/go_text.h"

namespace cairn::apiserver {

using nlohmann::json;
using schema_detail::regex_partial_match;
using schema_detail::string_matches_format;

namespace {

constexpr std::size_t kMaxCauses = 1000;

// The type name kube-openapi gives a JSON value in type errors.
std::string json_type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    default:
      return "object";
  }
}

// Whether a float is an integer as go-openapi's swag.IsFloat64AJSONInteger decides.
bool float_is_json_integer(double f) {
  if (!std::isfinite(f) || std::fabs(f) > 9007199254740992.0) return false;
  const double g = std::trunc(f);
  if (f == g) return true;
  const double diff = std::fabs(f - g);
  const double sum = std::fabs(f) + std::fabs(g);
  return sum > 0 && diff / sum < 1e-9;
}

std::string in_body(const std::string& name) { return name + " in body"; }

std::size_t utf8_length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool get_bool(const json& schema, const char* key) {
  auto it = schema.find(key);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

std::string schema_type(const json& schema) {
  auto it = schema.find("type");
  if (it != schema.end() && it->is_string()) return it->get<std::string>();
  return "";
}

const json* member(const json& schema, const char* key) {
  if (!schema.is_object()) return nullptr;
  auto it = schema.find(key);
  return it == schema.end() ? nullptr : &*it;
}

// The ObjectMeta fields a custom resource's metadata keeps after pruning.
bool is_object_meta_field(const std::string& key) {
  static const char* const kFields[] = {"name",
                                        "generateName",
                                        "namespace",
                                        "selfLink",
                                        "uid",
                                        "resourceVersion",
                                        "generation",
                                        "creationTimestamp",
                                        "deletionTimestamp",
                                        "deletionGracePeriodSeconds",
                                        "labels",
                                        "annotations",
                                        "ownerReferences",
                                        "finalizers",
                                        "managedFields"};
  return std::find(std::begin(kFields), std::end(kFields), key) != std::end(kFields);
}

class Validator {
 public:
  Validator(std::vector<StatusCause>& out, std::string field_prefix)
      : out_(out), field_prefix_(std::move(field_prefix)) {}

  // `name` is the path kube-openapi uses in messages ("spec.size"; "" at the root).
  void validate(const json& schema, const json& value, const std::string& name, bool root) {
    if (full() || !schema.is_object()) return;
    const bool type_ok = check_type(schema, value, name);
    if (value.is_null() && type_ok) return;
    check_combinators(schema, value, name);
    if (value.is_string()) check_string(schema, value.get_ref<const std::string&>(), name);
    if (value.is_number()) check_number(schema, value, name);
    if (value.is_array()) check_array(schema, value, name);
    check_enum(schema, value, name);
    if (value.is_object()) check_object(schema, value, name, root);
  }

 private:
  bool full() const { return out_.size() >= kMaxCauses; }

  std::string field(const std::string& name) const {
    if (field_prefix_.empty()) return name.empty() ? "<nil>" : name;
    return name.empty() ? field_prefix_ : field_prefix_ + "." + name;
  }

  void add(std::string reason, std::string message, std::string fld) {
    if (full()) return;
    out_.push_back(StatusCause{std::move(reason), std::move(message), std::move(fld)});
  }
  void invalid(const std::string& name, const std::string& bad, const std::string& detail) {
    add("FieldValueInvalid", "Invalid value: " + bad + ": " + detail, field(name));
  }
  // Errors kube-openapi raises without a field (the combinators) land on kube's nil path.
  void unnamed(const std::string& detail) {
    add("FieldValueInvalid", "Invalid value: \"\": " + detail,
        field_prefix_.empty() ? "<nil>" : field_prefix_);
  }

  bool check_type(const json& schema, const json& value, const std::string& name) {
    std::string want = schema_type(schema);
    const bool int_or_string = get_bool(schema, "x-kubernetes-int-or-string");
    if (int_or_string) want = "integer,string";
    if (want.empty()) return true;
    if (value.is_null()) {
      if (get_bool(schema, "nullable")) return true;
      type_error(name, want, "null");
      return false;
    }
    const std::string have = json_type_name(value);
    bool ok = false;
    if (int_or_string) {
      ok = value.is_string() || value.is_number_integer() ||
           (value.is_number_float() && float_is_json_integer(value.get<double>()));
    } else if (want == have) {
      ok = true;
    } else if (want == "integer" && value.is_number_float()) {
      ok = float_is_json_integer(value.get<double>());
    } else if (want == "number" && value.is_number()) {
      ok = true;
    }
    if (!ok) type_error(name, want, have);
    return ok;
  }

  void type_error(const std::string& name, const std::string& want, const std::string& have) {
    add("FieldValueTypeInvalid",
        "Invalid value: " + go::value(have) + ": " + in_body(name) + " must be of type " + want +
            ": " + go::value(have),
        field(name));
  }

  // Validates `value` against `sub` into a scratch list; returns the number of causes.
  std::vector<StatusCause> sub_validate(const json& sub, const json& value, const std::string& name,
                                        bool root) {
    std::vector<StatusCause> scratch;
    Validator v(scratch, field_prefix_);
    v.validate(sub, value, name, root);
    return scratch;
  }

  void merge(std::vector<StatusCause>&& causes) {
    for (auto& c : causes) {
      if (full()) return;
      out_.push_back(std::move(c));
    }
  }

  void check_combinators(const json& schema, const json& value, const std::string& name) {
    const std::string quoted = go::quote(name);
    if (const json* all = member(schema, "allOf"); all && all->is_array()) {
      std::size_t passed = 0;
      std::vector<StatusCause> failures;
      for (const auto& sub : *all) {
        auto causes = sub_validate(sub, value, name, false);
        if (causes.empty()) {
          ++passed;
        } else {
          for (auto& c : causes) failures.push_back(std::move(c));
        }
      }
      if (passed != all->size()) {
        std::string detail = quoted + " must validate all the schemas (allOf)";
        detail += passed == 0 ? ". None validated"
                              : ". Validated " + std::to_string(passed) + " over " +
                                    std::to_string(all->size());
        unnamed(detail);
        merge(std::move(failures));
      }
    }
    if (const json* any = member(schema, "anyOf"); any && any->is_array() && !any->empty()) {
      bool matched = false;
      std::vector<StatusCause> best;
      bool have_best = false;
      for (const auto& sub : *any) {
        auto causes = sub_validate(sub, value, name, false);
        if (causes.empty()) {
          matched = true;
          break;
        }
        if (!have_best || causes.size() < best.size()) {
          best = std::move(causes);
          have_best = true;
        }
      }
      if (!matched) {
        unnamed(quoted + " must validate at least one schema (anyOf)");
        merge(std::move(best));
      }
    }
    if (const json* one = member(schema, "oneOf"); one && one->is_array() && !one->empty()) {
      std::size_t passed = 0;
      std::vector<StatusCause> best;
      bool have_best = false;
      for (const auto& sub : *one) {
        auto causes = sub_validate(sub, value, name, false);
        if (causes.empty()) {
          ++passed;
        } else if (!have_best || causes.size() < best.size()) {
          best = std::move(causes);
          have_best = true;
        }
      }
      if (passed != 1) {
        std::string detail = quoted + " must validate one and only one schema (oneOf). ";
        detail += passed == 0 ? "Found none valid"
                              : "Found " + std::to_string(passed) + " valid alternatives";
        unnamed(detail);
        if (passed == 0) merge(std::move(best));
      }
    }
    if (const json* no = member(schema, "not"); no && no->is_object()) {
      if (sub_validate(*no, value, name, false).empty()) {
        unnamed(quoted + " must not validate the schema (not)");
      }
    }
  }

  void check_string(const json& schema, const std::string& s, const std::string& name) {
    const std::size_t len = utf8_length(s);
    if (const json* max = member(schema, "maxLength"); max && max->is_number()) {
      if (static_cast<double>(len) > max->get<double>()) {
        add("FieldValueTooLong", "Too long: value is too long", field(name));
      }
    }
    if (const json* min = member(schema, "minLength"); min && min->is_number()) {
      if (static_cast<double>(len) < min->get<double>()) {
        invalid(name, go::quote(s),
                in_body(name) + " should be at least " + go::value(*min) + " chars long");
      }
    }
    if (const json* pat = member(schema, "pattern"); pat && pat->is_string()) {
      const std::string& pattern = pat->get_ref<const std::string&>();
      std::string error;
      auto matched = regex_partial_match(pattern, s, &error);
      if (!matched.has_value()) {
        invalid(name, go::quote(s),
                in_body(name) + " should match '" + pattern +
                    ", but pattern is invalid: error parsing regexp: " + error + "'");
      } else if (!*matched) {
        invalid(name, go::quote(s), in_body(name) + " should match '" + pattern + "'");
      }
    }
    if (const json* fmt = member(schema, "format"); fmt && fmt->is_string()) {
      const std::string& format = fmt->get_ref<const std::string&>();
      if (!string_matches_format(format, s)) {
        add("FieldValueTypeInvalid",
            "Invalid value: " + go::quote(s) + ": " + in_body(name) + " must be of type " + format +
                ": " + go::quote(s),
            field(name));
      }
    }
  }

  void check_number(const json& schema, const json& value, const std::string& name) {
    const bool is_int = value.is_number_integer();
    const double d = value.get<double>();
    // Integers compare against the limit truncated to an integer, as kube-openapi does.
    auto limit_text = [&](const json& limit) {
      if (is_int) return std::to_string(static_cast<std::int64_t>(limit.get<double>()));
      return go::format_float(limit.get<double>());
    };
    if (const json* max = member(schema, "maximum"); max && max->is_number()) {
      const bool exclusive = get_bool(schema, "exclusiveMaximum");
      const double m = is_int ? std::trunc(max->get<double>()) : max->get<double>();
      if ((!exclusive && d > m) || (exclusive && d >= m)) {
        invalid(name, go::value(value),
                in_body(name) +
                    (exclusive ? " should be less than " : " should be less than or equal to ") +
                    limit_text(*max));
      }
    }
    if (const json* min = member(schema, "minimum"); min && min->is_number()) {
      const bool exclusive = get_bool(schema, "exclusiveMinimum");
      const double m = is_int ? std::trunc(min->get<double>()) : min->get<double>();
      if ((!exclusive && d < m) || (exclusive && d <= m)) {
        invalid(
            name, go::value(value),
            in_body(name) +
                (exclusive ? " should be greater than " : " should be greater than or equal to ") +
                limit_text(*min));
      }
    }
    if (const json* mul = member(schema, "multipleOf"); mul && mul->is_number()) {
      const double factor = mul->get<double>();
      if (factor > 0) {
        bool multiple = false;
        const auto int_factor = static_cast<std::int64_t>(factor);
        if (is_int && int_factor != 0) {
          multiple = value.get<std::int64_t>() % int_factor == 0;
        } else {
          multiple = float_is_json_integer(factor < 1 ? 1 / factor * d : d / factor);
        }
        if (!multiple) {
          invalid(name, go::value(value),
                  in_body(name) + " should be a multiple of " +
                      (is_int && int_factor != 0 ? std::to_string(int_factor)
                                                 : go::format_float(factor)));
        }
      }
    }
  }

  void check_array(const json& schema, const json& value, const std::string& name) {
    if (const json* items = member(schema, "items"); items && items->is_object()) {
      for (std::size_t i = 0; i < value.size() && !full(); ++i) {
        validate(*items, value[i], name + "[" + std::to_string(i) + "]", false);
      }
    }
    const auto size = static_cast<std::int64_t>(value.size());
    if (const json* min = member(schema, "minItems"); min && min->is_number()) {
      if (static_cast<double>(size) < min->get<double>()) {
        invalid(name, std::to_string(size),
                in_body(name) + " should have at least " + go::value(*min) + " items");
      }
    }
    if (const json* max = member(schema, "maxItems"); max && max->is_number()) {
      if (static_cast<double>(size) > max->get<double>()) {
        add("FieldValueTooMany", "Too many: " + std::to_string(size) + ": has too many items",
            field(name));
      }
    }
    if (get_bool(schema, "uniqueItems")) {
      bool duplicate = false;
      for (std::size_t i = 0; i < value.size() && !duplicate; ++i) {
        for (std::size_t j = 0; j < i && !duplicate; ++j) duplicate = value[i] == value[j];
      }
      if (duplicate) invalid(name, "\"\"", in_body(name) + " shouldn't contain duplicates");
    }
    check_list_type(schema, value, name);
  }

  void check_list_type(const json& schema, const json& value, const std::string& name) {
    const json* type = member(schema, "x-kubernetes-list-type");
    if (!type || !type->is_string()) return;
    if (*type == "set") {
      for (std::size_t i = 0; i < value.size() && !full(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (value[i] == value[j]) {
            add("FieldValueDuplicate", "Duplicate value: " + go::value(value[i]),
                field(name + "[" + std::to_string(i) + "]"));
            break;
          }
        }
      }
      return;
    }
    if (*type != "map") return;
    const json* keys = member(schema, "x-kubernetes-list-map-keys");
    if (!keys || !keys->is_array() || keys->empty()) return;
    std::vector<json> seen;
    for (std::size_t i = 0; i < value.size() && !full(); ++i) {
      if (!value[i].is_object()) continue;
      json key = json::object();
      for (const auto& k : *keys) {
        if (!k.is_string()) continue;
        auto it = value[i].find(k.get<std::string>());
        if (it != value[i].end()) key[k.get<std::string>()] = *it;
      }
      if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
        add("FieldValueDuplicate", "Duplicate value: " + go::marshal(key),
            field(name + "[" + std::to_string(i) + "]"));
      } else {
        seen.push_back(std::move(key));
      }
    }
  }

  void check_enum(const json& schema, const json& value, const std::string& name) {
    const json* values = member(schema, "enum");
    if (!values || !values->is_array() || values->empty()) return;
    for (const auto& allowed : *values) {
      if (allowed == value) return;
    }
    std::string detail = "supported values: ";
    bool first = true;
    for (const auto& allowed : *values) {
      if (!first) detail += ", ";
      first = false;
      detail += go::quote(allowed.is_string() ? allowed.get<std::string>() : go::marshal(allowed));
    }
    add("FieldValueNotSupported", "Unsupported value: " + go::value(value) + ": " + detail,
        field(name));
  }

  void check_object(const json& schema, const json& value, const std::string& name, bool root) {
    const bool resource_root = root || get_bool(schema, "x-kubernetes-embedded-resource");
    if (get_bool(schema, "x-kubernetes-embedded-resource")) {
      for (const char* key : {"apiVersion", "kind"}) {
        auto it = value.find(key);
        if (it == value.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
          add("FieldValueRequired", "Required value: must not be empty", field(child(name, key)));
        }
      }
    }
    // kube-openapi stops checking an object whose property count is out of bounds.
    const auto count = static_cast<std::int64_t>(value.size());
    if (const json* min = member(schema, "minProperties"); min && min->is_number()) {
      if (static_cast<double>(count) < min->get<double>()) {
        invalid(name, std::to_string(count),
                in_body(name) + " should have at least " + go::value(*min) + " properties");
        return;
      }
    }
    if (const json* max = member(schema, "maxProperties"); max && max->is_number()) {
      if (static_cast<double>(count) > max->get<double>()) {
        add("FieldValueTooMany", "Too many: " + std::to_string(count) + ": has too many items",
            field(name));
        return;
      }
    }
    const json* props = member(schema, "properties");
    const json* additional = member(schema, "additionalProperties");
    for (const auto& [key, item] : value.items()) {
      if (full()) return;
      const json* prop = nullptr;
      if (props && props->is_object()) {
        auto it = props->find(key);
        if (it != props->end()) prop = &*it;
      }
      if (resource_root && key == "metadata") {
        if (prop) check_metadata(*prop, item, child(name, key));
        continue;
      }
      if (prop) {
        validate(*prop, item, child(name, key), false);
      } else if (additional && additional->is_object()) {
        validate(*additional, item, child(name, key), false);
      } else if (additional && additional->is_boolean() && !additional->get<bool>()) {
        invalid(name, go::quote(key), name + "." + key + " in body is a forbidden property");
      }
    }
    if (const json* required = member(schema, "required"); required && required->is_array()) {
      for (const auto& r : *required) {
        if (r.is_string() && !value.contains(r.get<std::string>())) {
          add("FieldValueRequired", "Required value", field(child(name, r.get<std::string>())));
        }
      }
    }
  }

  // Root metadata: only the schema's name and generateName restrictions apply.
  void check_metadata(const json& schema, const json& value, const std::string& name) {
    const json* props = member(schema, "properties");
    if (!props || !props->is_object() || !value.is_object()) return;
    for (const char* key : {"generateName", "name"}) {
      auto s = props->find(key);
      auto v = value.find(key);
      if (s != props->end() && v != value.end()) validate(*s, *v, child(name, key), false);
    }
  }

  static std::string child(const std::string& name, const std::string& key) {
    return name.empty() ? key : name + "." + key;
  }

  std::vector<StatusCause>& out_;
  std::string field_prefix_;
};

// ---- pruning ----

void prune_node(const json& schema, json& value, const std::string& path, bool resource_root,
                std::vector<std::string>& dropped);

std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

void prune_object(const json& schema, json& value, const std::string& path, bool resource_root,
                  std::vector<std::string>& dropped) {
  const bool preserve = get_bool(schema, "x-kubernetes-preserve-unknown-fields");
  const json* props = member(schema, "properties");
  const json* additional = member(schema, "additionalProperties");
  std::vector<std::string> drop;
  for (auto& [key, item] : value.items()) {
    const std::string sub = child_path(path, key);
    if (resource_root && (key == "apiVersion" || key == "kind")) continue;
    if (resource_root && key == "metadata") {
      if (!item.is_object()) continue;
      std::vector<std::string> meta_drop;
      for (const auto& [mkey, mval] : item.items()) {
        (void)mval;
        if (!is_object_meta_field(mkey)) meta_drop.push_back(mkey);
      }
      for (const auto& k : meta_drop) {
        dropped.push_back(child_path(sub, k));
        item.erase(k);
      }
      continue;
    }
    const json* prop = nullptr;
    if (props && props->is_object()) {
      auto it = props->find(key);
      if (it != props->end()) prop = &*it;
    }
    if (prop) {
      prune_node(*prop, item, sub, false, dropped);
    } else if (additional && additional->is_object()) {
      prune_node(*additional, item, sub, false, dropped);
    } else if (!preserve && !(additional && additional->is_boolean() && additional->get<bool>())) {
      dropped.push_back(sub);
      drop.push_back(key);
    }
  }
  for (const auto& k : drop) value.erase(k);
}

void prune_node(const json& schema, json& value, const std::string& path, bool resource_root,
                std::vector<std::string>& dropped) {
  if (!schema.is_object()) return;
  if (value.is_object()) {
    const bool embedded = get_bool(schema, "x-kubernetes-embedded-resource");
    prune_object(schema, value, path, resource_root || embedded, dropped);
  } else if (value.is_array()) {
    const json* items = member(schema, "items");
    if (!items || !items->is_object()) return;
    for (std::size_t i = 0; i < value.size(); ++i) {
      prune_node(*items, value[i], path + "[" + std::to_string(i) + "]", false, dropped);
    }
  }
}

// ---- defaulting ----

void default_node(const json& schema, json& value);

// Defaults or drops a null/missing member `key` of `object` whose schema is `prop`.
void default_member(const json& prop, json& object, const std::string& key) {
  if (!prop.is_object()) return;
  auto it = object.find(key);
  const json* def = member(prop, "default");
  if (it == object.end()) {
    if (def) object[key] = *def;
  } else if (it->is_null() && !get_bool(prop, "nullable")) {
    if (def) {
      *it = *def;
    } else {
      object.erase(it);
    }
  }
}

void default_node(const json& schema, json& value) {
  if (!schema.is_object()) return;
  if (value.is_object()) {
    const json* props = member(schema, "properties");
    if (props && props->is_object()) {
      for (const auto& [key, prop] : props->items()) default_member(prop, value, key);
    }
    const json* additional = member(schema, "additionalProperties");
    if (additional && additional->is_object()) {
      std::vector<std::string> keys;
      for (const auto& [key, item] : value.items()) {
        (void)item;
        if (!(props && props->is_object() && props->contains(key))) keys.push_back(key);
      }
      for (const auto& key : keys) default_member(*additional, value, key);
    }
    for (auto& [key, item] : value.items()) {
      if (props && props->is_object()) {
        auto it = props->find(key);
        if (it != props->end()) {
          default_node(*it, item);
          continue;
        }
      }
      if (additional && additional->is_object()) default_node(*additional, item);
    }
  } else if (value.is_array()) {
    const json* items = member(schema, "items");
    if (!items || !items->is_object()) return;
    const json* def = member(*items, "default");
    for (auto& item : value) {
      if (item.is_null() && def && !get_bool(*items, "nullable")) item = *def;
      default_node(*items, item);
    }
  }
}

}  // namespace

std::vector<StatusCause> validate_against_schema(const json& schema, const json& object) {
  std::vector<StatusCause> out;
  Validator v(out, "");
  v.validate(schema, object, "", true);
  return out;
}

std::vector<StatusCause> schema_detail::validate_value_at(const json& schema, const json& value,
                                                          const std::string& field_prefix) {
  std::vector<StatusCause> out;
  Validator v(out, field_prefix);
  v.validate(schema, value, "", false);
  return out;
}

std::vector<std::string> prune_unknown_fields(const json& schema, json& object) {
  std::vector<std::string> dropped;
  if (object.is_object() && schema.is_object()) prune_object(schema, object, "", true, dropped);
  return dropped;
}

std::vector<std::string> schema_detail::prune_value(const json& schema, json& value) {
  std::vector<std::string> dropped;
  prune_node(schema, value, "", false, dropped);
  return dropped;
}

void apply_schema_defaults(const json& schema, json& object) { default_node(schema, object); }

std::string format_cause(const StatusCause& cause) {
  if (cause.field.empty()) return cause.message;
  return cause.field + ": " + cause.message;
}

}  // namespace cairn::apiserver
