// Label and field selectors, as `?labelSelector=` and `?fieldSelector=` spell them.
//
// LabelSelector::parse follows apimachinery's labels.Parse: equality (`a=b`, `a==b`, `a!=b`),
// set-based (`a in (x,y)`, `a notin (x)`, `a`, `!a`) and the integer comparisons `a>1`, `a<5`
// (node-affinity style; accepted because the Go parser accepts them). Keys and values are
// validated with the label rules and errors read like kube-apiserver's
// ("unable to parse requirement: ..."). FieldSelector::parse follows fields.ParseSelector
// (`f=v`, `f==v`, `f!=v`, comma = AND, `\` escapes in values). Whether a field may be selected on
// depends on the resource: check_field_selector() gives kube's BadRequest for the others.
//
// Selectors are immutable values once parsed; const methods are safe from any thread.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "apiserver/status.h"

namespace cairn::apiserver {

// ------------------------------------------------------------------ validation helpers

// Kubernetes' validation messages (k8s.io/apimachinery/pkg/util/validation); empty = valid.
std::vector<std::string> label_key_errors(std::string_view key);      // IsQualifiedName
std::vector<std::string> label_value_errors(std::string_view value);  // IsValidLabelValue
std::vector<std::string> dns1123_subdomain_errors(std::string_view value);
// validation.RegexError: "<msg> (e.g. 'x' or 'y', regex used for validation is '<fmt>')".
std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples);

// ------------------------------------------------------------------ label selectors

enum class LabelOperator {
  kEquals,        // =
  kDoubleEquals,  // ==
  kNotEquals,     // !=
  kIn,            // in (...)
  kNotIn,         // notin (...)
  kExists,        // key
  kDoesNotExist,  // !key
  kGreaterThan,   // >
  kLessThan,      // <
};

struct LabelRequirement {
  std::string key;
  LabelOperator op = LabelOperator::kExists;
  std::vector<std::string> values;  // sorted, unique

  bool matches(const nlohmann::json& labels) const;
  std::string to_string() const;  // kube's canonical form, e.g. "a in (x,y)"
};

class LabelSelector {
 public:
  LabelSelector() = default;  // matches everything

  // Parses a selector string; "" (or only blanks) selects everything. BadRequest on errors.
  static Result<LabelSelector> parse(std::string_view text);

  // `labels` is metadata.labels (an object of strings); null or missing means no labels.
  bool matches(const nlohmann::json& labels) const;
  // Matches an object by its metadata.labels.
  bool matches_object(const nlohmann::json& object) const;

  bool empty() const { return requirements_.empty(); }
  const std::vector<LabelRequirement>& requirements() const { return requirements_; }
  std::string to_string() const;  // requirements sorted by key, joined with ","

 private:
  std::vector<LabelRequirement> requirements_;
};

// ------------------------------------------------------------------ field selectors

struct FieldRequirement {
  std::string field;  // e.g. "metadata.name"
  bool equals = true; // false for !=
  std::string value;  // unescaped
};

class FieldSelector {
 public:
  FieldSelector() = default;  // matches everything

  // Parses a selector string; "" selects everything. BadRequest on errors.
  static Result<FieldSelector> parse(std::string_view text);

  // Matches an object: the value of a field is looked up along its dotted path in the object
  // (strings as they are, numbers and booleans in their JSON spelling, missing = "").
  bool matches_object(const nlohmann::json& object) const;

  bool empty() const { return requirements_.empty(); }
  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  std::string to_string() const;

 private:
  std::vector<FieldRequirement> requirements_;
};

// The field labels kube-apiserver supports for a resource: metadata.name and metadata.namespace
// everywhere, plus the per-type ones of kube-api.md §13 (events, secrets, namespaces, jobs).
std::vector<std::string> supported_field_labels(std::string_view group, std::string_view resource);

// BadRequest unless every field of `selector` is in `supported`. Built-in resources get
// `field label not supported: <f>`; custom resources kube's CRD wording
// (`"<f>" is not a known field selector: only "metadata.name", "metadata.namespace"`).
Result<void> check_field_selector(const FieldSelector& selector,
                                  std::span<const std::string> supported, bool custom_resource);

// The value a field selector compares for `field` in `object` (see matches_object).
std::string field_value(const nlohmann::json& object, std::string_view field);

}  // namespace cairn::apiserver
