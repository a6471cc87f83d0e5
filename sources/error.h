// Error and Result: the error values of cairn::sources.
//
// Release feeds fail in ways a caller must tell apart: a retry helps with a reset connection or a
// rate limit, never with a hostile archive or a missing release. Every Error carries a kind for
// that decision and a message that names the feed, the release or asset and what to do. Messages
// never contain credentials (tokens, passwords, Authorization headers): feeds print URLs through
// `FeedUrl::str()`, which holds none. Plain value types; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace cairn::sources {

enum class ErrorKind {
  kConfig,          // malformed feed URL, missing environment variable, bad option
  kNotFound,        // the feed, release or asset does not exist
  kUnauthorized,    // 401/403 without rate limiting: missing, wrong or expired credentials
  kRateLimited,     // 403/429 with rate-limit headers; `retry_at` says when to try again
  kTransport,       // connect refused, reset, stalled transfer, timeout, TLS failure, 5xx
  kIntegrity,       // a digest or size does not match what the feed or checksum file says
  kHostileArchive,  // an archive entry escapes, links, is a device, or exceeds a limit
  kInvalidRelease,  // metadata.yaml / clusteraddon.yaml / chart names break the rules
  kTooLarge,        // a download exceeds its size limit
  kIo,              // local file system failure (disk full, permissions)
};

// "Config", "NotFound", ...: also the CamelCase reason controllers put in conditions.
std::string_view kind_name(ErrorKind kind);
// Whether trying again later can succeed (transport, rate limit, I/O; not integrity or content).
bool is_retriable(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kTransport;
  std::string message;
  // For kRateLimited (and a 5xx with Retry-After): the earliest time a retry makes sense.
  std::optional<std::chrono::system_clock::time_point> retry_at;
};

template <class T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> make_error(ErrorKind kind, std::string message) {
  return tl::unexpected<Error>(Error{kind, std::move(message), std::nullopt});
}

// Prefixes context ("feed github://org/repo: ", "release docker-ferrol-1-27-v3: ") to a message.
Error with_context(Error e, std::string_view context);

}  // namespace cairn::sources
