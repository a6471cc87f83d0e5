#include "kube/error.h"

#include <algorithm>

namespace cairn::kube {
namespace {

std::string_view kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kApi: return "api";
    case ErrorKind::kConfig: return "config";
    case ErrorKind::kTransport: return "transport";
    case ErrorKind::kTls: return "tls";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kCancelled: return "cancelled";
    case ErrorKind::kDecode: return "decode";
    case ErrorKind::kNoMatch: return "no match";
  }
  return "error";
}

std::string string_field(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  if (it != obj.end() && it->is_string()) return it->get<std::string>();
  return {};
}

}  // namespace

std::string Error::to_string() const {
  if (kind == ErrorKind::kApi) return message;
  return std::string(kind_name(kind)) + ": " + message;
}

Error make_error(ErrorKind kind, std::string message) {
  Error e;
  e.kind = kind;
  e.message = std::move(message);
  return e;
}

std::string_view reason_for_code(int http_code) {
  switch (http_code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "";
  }
}

Error error_from_status(const nlohmann::json& status, int fallback_code) {
  Error e;
  e.kind = ErrorKind::kApi;
  e.code = fallback_code;
  if (!status.is_object()) {
    e.reason = std::string(reason_for_code(fallback_code));
    e.message = "an error on the server (\"unknown\") has prevented the request from succeeding";
    return e;
  }
  if (auto it = status.find("code"); it != status.end() && it->is_number_integer()) {
    e.code = it->get<int>();
  }
  e.reason = string_field(status, "reason");
  if (e.reason.empty()) e.reason = std::string(reason_for_code(e.code));
  e.message = string_field(status, "message");
  if (auto it = status.find("details"); it != status.end() && it->is_object()) {
    e.details = *it;
    if (auto c = it->find("causes"); c != it->end() && c->is_array()) {
      for (const auto& cause : *c) {
        if (!cause.is_object()) continue;
        e.causes.push_back(StatusCause{string_field(cause, "reason"),
                                       string_field(cause, "message"),
                                       string_field(cause, "field")});
      }
    }
    if (auto r = it->find("retryAfterSeconds"); r != it->end() && r->is_number_integer()) {
      e.retry_after_seconds = std::max(0, r->get<int>());
    }
  }
  if (e.message.empty()) {
    e.message = "the server responded with the status code " + std::to_string(e.code) +
                " but did not return more information";
  }
  return e;
}

Error error_from_response(int http_code, std::string_view content_type, std::string_view body) {
  if (content_type.find("json") != std::string_view::npos) {
    nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object() && string_field(parsed, "kind") == "Status") {
      return error_from_status(parsed, http_code);
    }
  }
  Error e;
  e.kind = ErrorKind::kApi;
  e.code = http_code;
  e.reason = std::string(reason_for_code(http_code));
  if (e.reason.empty()) e.reason = http_code >= 500 ? "InternalError" : "Unknown";
  constexpr std::size_t kExcerpt = 256;
  std::string excerpt(body.substr(0, kExcerpt));
  if (body.size() > kExcerpt) excerpt += "...";
  e.message = "the server responded with the status code " + std::to_string(http_code);
  if (!excerpt.empty()) e.message += ": " + excerpt;
  return e;
}

bool is_api_error(const Error& e) { return e.kind == ErrorKind::kApi; }
bool is_not_found(const Error& e) { return is_api_error(e) && e.reason == "NotFound"; }
bool is_already_exists(const Error& e) {
  return is_api_error(e) && e.reason == "AlreadyExists";
}
bool is_conflict(const Error& e) { return is_api_error(e) && e.reason == "Conflict"; }
bool is_invalid(const Error& e) { return is_api_error(e) && e.reason == "Invalid"; }
bool is_bad_request(const Error& e) { return is_api_error(e) && e.reason == "BadRequest"; }
bool is_gone(const Error& e) {
  return is_api_error(e) && (e.code == 410 || e.reason == "Expired" || e.reason == "Gone");
}
bool is_too_many_requests(const Error& e) {
  return is_api_error(e) && (e.code == 429 || e.reason == "TooManyRequests");
}
bool is_unauthorized(const Error& e) {
  return is_api_error(e) && (e.code == 401 || e.reason == "Unauthorized");
}
bool is_forbidden(const Error& e) {
  return is_api_error(e) && (e.code == 403 || e.reason == "Forbidden");
}
bool is_timeout(const Error& e) {
  return e.kind == ErrorKind::kTimeout ||
         (is_api_error(e) && (e.reason == "Timeout" || e.code == 504));
}
bool is_server_error(const Error& e) {
  return is_api_error(e) && (e.code >= 500 || e.reason == "InternalError");
}
bool is_transport_error(const Error& e) {
  return e.kind == ErrorKind::kTransport || e.kind == ErrorKind::kTls ||
         e.kind == ErrorKind::kTimeout;
}
bool is_no_match(const Error& e) { return e.kind == ErrorKind::kNoMatch; }

}  // namespace cairn::kube
