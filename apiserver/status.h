// Status and Result: the error values of cairn::apiserver.
//
// A Status is a code (mirroring the Kubernetes StatusReason values the API server returns) and a
// human-readable message already phrased as Kubernetes phrases it, so that the HTTP layer can put
// it into a `kind: Status` body unchanged. Plain value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <tl/expected.hpp>

namespace cairn::apiserver {

enum class StatusCode {
  kBadRequest,     // 400 BadRequest: malformed input (selectors, continue tokens, ...)
  kUnauthorized,   // 401 Unauthorized
  kForbidden,      // 403 Forbidden
  kNotFound,       // 404 NotFound
  kAlreadyExists,  // 409 AlreadyExists
  kConflict,       // 409 Conflict: stale resourceVersion or failed precondition
  kMethodNotAllowed,      // 405 MethodNotAllowed
  kNotAcceptable,         // 406 NotAcceptable
  kGone,           // 410 Expired: resourceVersion or continue token older than the history
  kRequestEntityTooLarge, // 413 RequestEntityTooLarge
  kUnsupportedMediaType,  // 415 UnsupportedMediaType
  kInvalid,        // 422 Invalid
  kTooManyRequests,       // 429 TooManyRequests
  kTimeout,        // 504 Timeout
  kUnavailable,    // 503 ServiceUnavailable (store closed or shutting down)
  kInternal,       // 500 InternalError (I/O, database)
};

// One entry of details.causes: a field-level reason ("FieldValueRequired", ...).
struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

// The `details` of a Status body. NotFound/AlreadyExists/Conflict name the plural resource in
// `kind`; Invalid names the Kind. Empty fields are omitted from JSON.
struct StatusDetails {
  std::string name;
  std::string group;
  std::string kind;
  std::string uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

struct Status {
  StatusCode code = StatusCode::kInternal;
  std::string message;
  std::optional<StatusDetails> details = std::nullopt;

  // The HTTP status code Kubernetes uses for this reason.
  int http_code() const {
    switch (code) {
      case StatusCode::kBadRequest: return 400;
      case StatusCode::kUnauthorized: return 401;
      case StatusCode::kForbidden: return 403;
      case StatusCode::kMethodNotAllowed: return 405;
      case StatusCode::kNotAcceptable: return 406;
      case StatusCode::kRequestEntityTooLarge: return 413;
      case StatusCode::kUnsupportedMediaType: return 415;
      case StatusCode::kTooManyRequests: return 429;
      case StatusCode::kNotFound: return 404;
      case StatusCode::kAlreadyExists:
      case StatusCode::kConflict: return 409;
      case StatusCode::kGone: return 410;
      case StatusCode::kInvalid: return 422;
      case StatusCode::kTimeout: return 504;
      case StatusCode::kUnavailable: return 503;
      case StatusCode::kInternal: return 500;
    }
    return 500;
  }

  // The `reason` field of a Kubernetes Status body (410 is "Expired", as kube-apiserver sends).
  std::string_view reason() const {
    switch (code) {
      case StatusCode::kBadRequest: return "BadRequest";
      case StatusCode::kUnauthorized: return "Unauthorized";
      case StatusCode::kForbidden: return "Forbidden";
      case StatusCode::kMethodNotAllowed: return "MethodNotAllowed";
      case StatusCode::kNotAcceptable: return "NotAcceptable";
      case StatusCode::kRequestEntityTooLarge: return "RequestEntityTooLarge";
      case StatusCode::kUnsupportedMediaType: return "UnsupportedMediaType";
      case StatusCode::kTooManyRequests: return "TooManyRequests";
      case StatusCode::kNotFound: return "NotFound";
      case StatusCode::kAlreadyExists: return "AlreadyExists";
      case StatusCode::kConflict: return "Conflict";
      case StatusCode::kGone: return "Expired";
      case StatusCode::kInvalid: return "Invalid";
      case StatusCode::kTimeout: return "Timeout";
      case StatusCode::kUnavailable: return "ServiceUnavailable";
      case StatusCode::kInternal: return "InternalError";
    }
    return "InternalError";
  }
};

// The `kind: Status` body (apiVersion v1, status Failure, message, reason, details, code).
nlohmann::json to_json(const Status& status);
// The `kind: Status` body of a successful delete: status Success, details as given.
nlohmann::json success_status_json(const StatusDetails& details);

template <class T>
using Result = tl::expected<T, Status>;

inline tl::unexpected<Status> error(StatusCode code, std::string message) {
  return tl::unexpected<Status>(Status{code, std::move(message)});
}

inline tl::unexpected<Status> error(StatusCode code, std::string message, StatusDetails details) {
  return tl::unexpected<Status>(Status{code, std::move(message), std::move(details)});
}

}  // namespace cairn::apiserver
