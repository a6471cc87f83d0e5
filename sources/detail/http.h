// HttpClient: the libcurl transport shared by the HTTP feeds (GitHub Releases, OCI registries).
//
// One request at a time per call; a client may be used from several threads at once (each call
// has its own curl easy handle; counters are atomic). Proxies come from the standard environment
// variables (https_proxy, HTTPS_PROXY, no_proxy, ...), which libcurl reads itself. Redirects are
// followed; libcurl drops an Authorization header when a redirect leaves the original host and
// port, so tokens never reach an asset store. Header values are never logged or put into errors.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/error.h"
#include "sources/feed.h"

namespace cairn::sources::detail {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;  // e.g. {"Authorization", "Bearer ..."}, {"If-None-Match", etag}
  std::string body;
  bool follow_redirects = true;
  // Non-empty: the response body of a 2xx answer is streamed into this file (created or
  // truncated) and hashed on the way; otherwise it is kept in HttpResponse::body.
  std::filesystem::path to_file;
  // Limit on the body (in memory or file); exceeding it fails with kTooLarge.
  std::uint64_t max_bytes = 64ull << 20;
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // of the final response; names in lower case
  std::string body;  // empty when streamed to a file (error bodies are always kept, bounded)
  std::string effective_url;  // after redirects
  std::uint64_t size = 0;     // body bytes received
  std::string sha256;         // hex digest of the body (to_file only)

  // The first value of a header (name case-insensitive), or "".
  std::string header(std::string_view name) const;
};

struct HttpCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> bytes{0};
};

class HttpClient {
 public:
  explicit HttpClient(const FeedOptions& options);

  // One request without retries. Any HTTP status is a response; a failure to get one (connect,
  // reset, stall, TLS, malformed) is a kTransport error, an oversized body kTooLarge. `what`
  // names the request in errors ("release list page 2", "asset metadata.yaml").
  Result<HttpResponse> send(const HttpRequest& request, std::string_view what);
  // As send, but transport errors and 500/502/503/504 answers are retried with exponential
  // backoff (options.max_attempts in all; a Retry-After of a 503 is honoured up to 60 s). The
  // last answer or error is returned.
  Result<HttpResponse> send_with_retry(const HttpRequest& request, std::string_view what);

  const HttpCounters& counters() const { return counters_; }

 private:
  FeedOptions options_;
  HttpCounters counters_;
};

// The target of rel="next" in an RFC 8288 Link header (GitHub and OCI pagination), or "".
// A relative target is resolved against `base_url`.
std::string link_next(std::string_view link_header, std::string_view base_url);

// An RFC 7235 challenge, e.g. `Bearer realm="https://auth/token",service="reg",scope="..."`.
struct AuthChallenge {
  std::string scheme;  // lower case: "bearer", "basic"
  std::vector<std::pair<std::string, std::string>> params;  // names in lower case
  std::string param(std::string_view name) const;
};
AuthChallenge parse_auth_challenge(std::string_view www_authenticate);

// Percent-encodes a URL query value / path segment.
std::string url_escape(std::string_view text);

}  // namespace cairn::sources::detail
