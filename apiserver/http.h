// The HTTP(S) transport of the embedded API server (Boost.Beast over Asio, OpenSSL for TLS).
//
// The transport knows nothing of Kubernetes: it accepts connections, reads HTTP/1.1 requests
// (keep-alive, bodies up to a limit), hands each to a handler on the connection's thread and
// writes the response, either whole (Content-Length) or streamed with chunked encoding (watch).
// TLS is the default; a client certificate, when the client presents one that the client CA
// verifies, is reported to the handler. Plain HTTP only when asked (and the caller restricts it
// to loopback).
//
// Thread-safety: HttpServer methods are safe from any thread. The handler is called
// concurrently from many connection threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apiserver/status.h"

namespace cairn::apiserver {

// A verified TLS client certificate: subject CN and O values.
struct ClientCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query, percent-encoded
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // the target after '?', without it ("" when absent)
  // Header fields with lower-case names, in arrival order (repeated names repeated).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool tls = false;
  std::optional<ClientCertificate> client_certificate;
  std::string remote_address;  // "127.0.0.1:53412"

  // The first header of that (lower-case) name, or "".
  std::string_view header(std::string_view lower_case_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_case_name) return v;
    return {};
  }
};

// A streamed (chunked) response body, e.g. a watch. The transport calls next() repeatedly on
// the connection's thread and writes every non-empty chunk at once (flushed), until next()
// returns nullopt; between calls it checks whether the client is still there. close() is
// called once when the client went away or the server stops (possibly from another thread,
// while next() waits: next() must then return promptly).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // The next chunk, waiting at most `max_wait`: "" = nothing yet, nullopt = end of the stream.
  virtual std::optional<std::string> next(std::chrono::milliseconds max_wait) = 0;
  virtual void close() = 0;
};

struct HttpResponse {
  int status = 200;
  // Header fields (Content-Type, Warning, ...). Content-Length / Transfer-Encoding are set
  // by the transport.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::shared_ptr<ResponseStream> stream;  // when set: chunked, body ignored
};

using HttpHandler = std::function<HttpResponse(HttpRequest& request)>;

struct TlsFiles {
  std::filesystem::path cert_file;       // serving certificate chain (PEM)
  std::filesystem::path key_file;        // its private key (PEM)
  std::filesystem::path client_ca_file;  // CA that signs client certificates (PEM); optional
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;        // 0 = any free port (see HttpServer::port())
  std::optional<TlsFiles> tls;   // unset = plain HTTP
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // larger bodies get 413 (kube's limit)
  std::size_t max_header_bytes = 1024 * 1024;
  std::chrono::seconds idle_timeout{120};        // keep-alive connections idle this long close
  std::chrono::seconds read_timeout{60};         // a request must arrive whole within this
  std::size_t max_connections = 4096;
};

class HttpServer {
 public:
  // Binds and starts serving on background threads. Errors (address in use, bad certificate
  // files) come back as Status with a clear message.
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                   HttpHandler handler);
  virtual ~HttpServer() = default;
  virtual std::uint16_t port() const = 0;  // the bound port
  // Stops accepting, closes streams (ResponseStream::close) and connections; waits for the
  // connection threads. Idempotent; the destructor calls it.
  virtual void stop() = 0;
};

}  // namespace cairn::apiserver
