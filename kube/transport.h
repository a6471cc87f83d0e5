// Transport: HTTP/1.1 over TCP or TLS to one API server, on Boost.Beast and OpenSSL.
//
// - TLS verifies the server against RestConfig::ca_pem (or the system roots), including the
//   DNS name or IP address in the certificate's SAN (tls_server_name overrides the name), and
//   presents the client certificate when one is configured. insecure_skip_tls_verify skips
//   verification. Credentials (Authorization header) are sent only over TLS, as client-go does.
// - Keep-alive connections are pooled (up to `max_idle_connections` idle) and reused; a request
//   that fails on a reused connection before any response byte arrived (the server closed it
//   while idle) is repeated once on a fresh connection.
// - A token-bucket limiter (RestConfig::qps / burst) runs before every request, including
//   retries; waiting goes through the injectable Clock.
// - Retries: 429 and 5xx answers with Retry-After (waiting Retry-After, capped), and
//   connection failures of idempotent requests (GET/HEAD/PUT/DELETE/OPTIONS) with exponential
//   backoff and jitter, up to RetryPolicy::max_retries. A 401 makes the CredentialSource forget
//   exec-plugin / token-file results and the request is tried once more.
// - Every response is counted by code, method and host (rest_client_requests_total).
//
// Thread-safety: a Transport is safe to use from many threads at once; each request uses its
// own connection. A LineStream is used by one thread, except cancel(), which any thread may
// call while the stream is alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/clock.h"
#include "kube/config.h"
#include "kube/error.h"

namespace cairn::kube {

struct Request {
  std::string method = "GET";
  std::string target;  // "/api/v1/namespaces?limit=5", appended to the server's path prefix
  std::string body;
  std::string content_type;  // sent when non-empty
  std::string accept = "application/json";
  std::chrono::milliseconds timeout{0};  // whole request; 0 = RestConfig::request_timeout
};

struct Response {
  int code = 0;
  std::string content_type;
  std::string body;
  std::vector<std::string> warnings;  // Warning header texts
  std::optional<int> retry_after_seconds;  // Retry-After in delta seconds, when sent
};

struct RequestCount {
  std::string code;  // "200", "404", ... or "<error>" when no response arrived
  std::string method;
  std::string host;
  std::uint64_t count = 0;
};

// Counters for rest_client_requests_total. Thread-safe.
class RequestMetrics {
 public:
  void record(const std::string& code, const std::string& method, const std::string& host);
  std::vector<RequestCount> snapshot() const;  // sorted by (code, method, host)
  std::uint64_t count(const std::string& code, const std::string& method) const;

 private:
  mutable std::mutex mu_;
  std::vector<RequestCount> counts_;
};

// Token bucket: `burst` tokens, refilled at `qps` per second. acquire() blocks (through the
// clock) until a token is available. qps <= 0 disables limiting. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(double qps, int burst, Clock& clock);
  void acquire();

 private:
  double qps_;
  double burst_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct RetryPolicy {
  int max_retries = 5;
  std::chrono::milliseconds base_backoff{100};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(5)};
  std::chrono::milliseconds max_retry_after{std::chrono::seconds(10)};
};

struct TransportOptions {
  Clock* clock = nullptr;  // nullptr = Clock::system(); must outlive the Transport
  RetryPolicy retry;
  std::size_t max_idle_connections = 4;
};

// The body of a streaming response (watch), read line by line.
class LineStream {
 public:
  virtual ~LineStream() = default;
  // The next line without its '\n' (empty lines are skipped). nullopt once the body ended
  // cleanly. Errors: kTimeout when no complete line arrived within `read_timeout`, kCancelled
  // after cancel(), kTransport when the connection broke, kDecode when a line exceeds the
  // response size limit.
  virtual Result<std::optional<std::string>> next_line(std::chrono::milliseconds read_timeout) = 0;
  // Makes a pending or future next_line() return kCancelled promptly. Any thread.
  virtual void cancel() = 0;
};

class Transport {
 public:
  // Validates the configuration (URL, PEM material) and prepares the TLS context. No I/O.
  static Result<std::unique_ptr<Transport>> create(const RestConfig& config,
                                                   TransportOptions options = {});
  virtual ~Transport() = default;

  // Sends the request (with limiting and retries) and returns the final HTTP response of any
  // status; errors only when no usable response arrived (transport, TLS, timeout, body over the
  // size limit) or credentials could not be obtained.
  virtual Result<Response> send(const Request& request) = 0;
  // Sends the request and returns the body as a line stream once a 2xx header arrived. A
  // non-2xx answer is read in full and returned as an error decoded by error_from_response.
  // `request.timeout` bounds connecting and the response header only.
  virtual Result<std::unique_ptr<LineStream>> stream(const Request& request) = 0;

  virtual const RequestMetrics& metrics() const = 0;
  virtual std::uint64_t connections_opened() const = 0;
  virtual std::size_t idle_connections() const = 0;
  virtual const RestConfig& config() const = 0;
};

}  // namespace cairn::kube
