// Kubernetes-style field errors; see field_error.h.
#include "api/field_error.h"

namespace cairn::api {
namespace {

// Kubernetes prints values with Go's %#v for strings ("quoted") and %v otherwise; nil is "null".
std::string format_value(const nlohmann::json& value) {
  if (value.is_null()) return "\"null\"";
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string FieldError::str() const {
  std::string out = field + ": ";
  switch (type) {
    case FieldErrorType::kRequired:
      out += "Required value";
      break;
    case FieldErrorType::kInvalid:
      out += "Invalid value: " + format_value(value);
      break;
    case FieldErrorType::kNotSupported:
      out += "Unsupported value: " + format_value(value);
      break;
    case FieldErrorType::kDuplicate:
      out += "Duplicate value: " + format_value(value);
      break;
    case FieldErrorType::kForbidden:
      out += "Forbidden";
      break;
  }
  if (!detail.empty()) {
    out += type == FieldErrorType::kNotSupported ? ": supported values: " : ": ";
    out += detail;
  }
  return out;
}

std::string_view FieldError::cause_reason() const {
  switch (type) {
    case FieldErrorType::kRequired:
      return "FieldValueRequired";
    case FieldErrorType::kInvalid:
      return "FieldValueInvalid";
    case FieldErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case FieldErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case FieldErrorType::kForbidden:
      return "FieldValueForbidden";
  }
  return "FieldValueInvalid";
}

std::string invalid_message(std::string_view kind, std::string_view group, std::string_view name,
                            const FieldErrors& errors) {
  std::string out =
      std::string(kind) + "." + std::string(group) + " \"" + std::string(name) + "\" is invalid: ";
  if (errors.size() == 1) return out + errors[0].str();
  out += '[';
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i) out += ", ";
    out += errors[i].str();
  }
  return out + ']';
}

}  // namespace cairn::api
