// FieldError: one validation failure at a field path, printed as Kubernetes prints them
// (k8s.io/apimachinery/pkg/util/validation/field), e.g.
//   spec.kubernetesVersion: Invalid value: "1.x": must be <major>.<minor>, e.g. "1.27"
//   spec.provider: Required value
//   spec.channel: Unsupported value: "beta": supported values: "stable", "custom"
//   spec.versions[1]: Duplicate value: "v2"
// and invalid_message() aggregates them into the message of a 422 Invalid status. Plain values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::api {

enum class FieldErrorType { kRequired, kInvalid, kNotSupported, kDuplicate, kForbidden };

struct FieldError {
  FieldErrorType type = FieldErrorType::kInvalid;
  std::string field;     // "spec.versions[1]"
  nlohmann::json value;  // the offending value (null for Required)
  std::string detail;    // for kNotSupported: the supported values, already quoted and joined

  std::string str() const;  // "<field>: <type text>[: <value>][: <detail>]"
  // The `reason` of a StatusCause: FieldValueRequired, FieldValueInvalid, ...
  std::string_view cause_reason() const;
};

using FieldErrors = std::vector<FieldError>;

// `<Kind>.<group> "<name>" is invalid: <error>` or `... is invalid: [<e1>, <e2>]`, as
// kube-apiserver words a 422 for custom resources.
std::string invalid_message(std::string_view kind, std::string_view group, std::string_view name,
                            const FieldErrors& errors);

}  // namespace cairn::api
