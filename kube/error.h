// Error and Result: the error values of cairn::kube.
//
// An Error is either an API error decoded from a Kubernetes `Status` body (kind kApi: HTTP code,
// reason, message, details, causes), or a client-side failure that never reached a Status:
// configuration problems, transport failures (connect, reset, TLS), timeouts, cancellation,
// undecodable responses, and unknown kinds (REST mapping). The predicates below mirror
// apimachinery's `errors.IsNotFound` & co. Plain value types; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

namespace cairn::kube {

enum class ErrorKind {
  kApi,        // the server answered with an error status (code/reason/message set)
  kConfig,     // kubeconfig, in-cluster or credential-plugin problem
  kTransport,  // connect refused, reset, unexpected end of stream, malformed HTTP
  kTls,        // TLS handshake or certificate verification failed
  kTimeout,    // connect, request or stream read timed out on the client side
  kCancelled,  // cancelled by the caller (e.g. WatchStream::cancel)
  kDecode,     // the response was not the JSON it should be (truncated, wrong content type)
  kNoMatch,    // the REST mapper knows no resource for a kind
};

struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

struct Error {
  ErrorKind kind = ErrorKind::kApi;
  int code = 0;         // HTTP status code (0 when no response was received)
  std::string reason;   // Status reason ("NotFound", "Expired", ...); "" when unknown
  std::string message;  // human-readable; for kApi the server's message
  nlohmann::json details;  // the Status `details` object as sent (null when absent)
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;  // details.retryAfterSeconds or the Retry-After header

  // "<message>" for API errors, "<kind>: <message>" otherwise.
  std::string to_string() const;
};

template <class T>
using Result = tl::expected<T, Error>;

Error make_error(ErrorKind kind, std::string message);

// Decodes an error response. A JSON `kind: Status` body gives code/reason/message/details; any
// other body yields an error synthesised from the HTTP code, as client-go's
// `newUnstructuredResponseError` does (reason from the code, message naming the code and a
// bounded excerpt of the body).
Error error_from_response(int http_code, std::string_view content_type, std::string_view body);
// Decodes a Status object (e.g. the object of a watch ERROR event). `fallback_code` is used
// when the Status carries no `code`.
Error error_from_status(const nlohmann::json& status, int fallback_code);
// The reason kube associates with an HTTP status code ("NotFound" for 404, ...; "" if none).
std::string_view reason_for_code(int http_code);

bool is_api_error(const Error& e);
bool is_not_found(const Error& e);
bool is_already_exists(const Error& e);
bool is_conflict(const Error& e);
bool is_invalid(const Error& e);
bool is_bad_request(const Error& e);
bool is_gone(const Error& e);  // 410 Gone or reason Expired (both forms kube sends)
bool is_too_many_requests(const Error& e);
bool is_unauthorized(const Error& e);
bool is_forbidden(const Error& e);
bool is_timeout(const Error& e);  // server Timeout (504) or a client-side timeout
bool is_server_error(const Error& e);  // 5xx or InternalError
bool is_transport_error(const Error& e);  // kTransport, kTls or kTimeout (no API answer)
bool is_no_match(const Error& e);

}  // namespace cairn::kube
