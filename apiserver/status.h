// Status and Result: the error values of cairn::apiserver.
//
// A Status is a code (mirroring the Kubernetes StatusReason values the API server returns) and a
// human-readable message already phrased as Kubernetes phrases it, so that the HTTP layer can put
// it into a `kind: Status` body unchanged. Plain value types; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace cairn::apiserver {

enum class StatusCode {
  kBadRequest,     // 400 BadRequest: malformed input (selectors, continue tokens, ...)
  kNotFound,       // 404 NotFound
  kAlreadyExists,  // 409 AlreadyExists
  kConflict,       // 409 Conflict: stale resourceVersion or failed precondition
  kGone,           // 410 Expired: resourceVersion or continue token older than the history
  kInvalid,        // 422 Invalid
  kTimeout,        // 504 Timeout
  kUnavailable,    // 503 ServiceUnavailable (store closed or shutting down)
  kInternal,       // 500 InternalError (I/O, database)
};

struct Status {
  StatusCode code = StatusCode::kInternal;
  std::string message;

  // The HTTP status code Kubernetes uses for this reason.
  int http_code() const {
    switch (code) {
      case StatusCode::kBadRequest: return 400;
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

template <class T>
using Result = tl::expected<T, Status>;

inline tl::unexpected<Status> error(StatusCode code, std::string message) {
  return tl::unexpected<Status>(Status{code, std::move(message)});
}

}  // namespace cairn::apiserver
