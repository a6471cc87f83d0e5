// Transport implementation: one io_context per connection, every socket operation started
// asynchronously and run to completion on the calling thread with a beast::tcp_stream deadline,
// so that timeouts apply to connect, TLS handshake, write and each read.
#include "kube/transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <tuple>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "kube/detail/text.h"

namespace cairn::kube {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;

struct ServerUrl {
  bool tls = true;
  std::string host;  // without brackets
  std::string port;
  std::string prefix;  // path prefix without trailing '/'
  std::string host_header;
};

Result<ServerUrl> parse_server(const std::string& server) {
  ServerUrl url;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    url.tls = false;
    rest = server.substr(7);
  } else {
    return tl::unexpected(make_error(ErrorKind::kConfig, "server \"" + server +
                                                             "\" must start with https:// or "
                                                             "http://"));
  }
  std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) url.prefix = rest.substr(slash);
  while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string::npos) {
      return tl::unexpected(make_error(ErrorKind::kConfig, "server \"" + server +
                                                               "\": unterminated IPv6 address"));
    }
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      url.port = authority.substr(close + 2);
    }
  } else {
    std::size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) url.port = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    return tl::unexpected(make_error(ErrorKind::kConfig, "server \"" + server + "\" has no host"));
  }
  bool default_port = url.port.empty();
  if (default_port) url.port = url.tls ? "443" : "80";
  if (url.port.find_first_not_of("0123456789") != std::string::npos) {
    return tl::unexpected(make_error(ErrorKind::kConfig, "server \"" + server +
                                                             "\" has a bad port"));
  }
  bool v6 = url.host.find(':') != std::string::npos;
  url.host_header = v6 ? "[" + url.host + "]" : url.host;
  if (!default_port) url.host_header += ":" + url.port;
  return url;
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool idempotent(const std::string& method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

// Failure classes of one attempt, for the retry decision.
enum class Stage { kConnect, kWrite, kRead };

struct AttemptError {
  Error error;
  Stage stage = Stage::kConnect;
  bool nothing_received = true;  // no response byte arrived
};

Error socket_error(const beast::error_code& ec, const std::string& what) {
  if (ec == beast::error::timeout) return make_error(ErrorKind::kTimeout, what + ": timed out");
  if (ec == asio::error::operation_aborted) {
    return make_error(ErrorKind::kCancelled, what + ": cancelled");
  }
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category()) {
    return make_error(ErrorKind::kTls, what + ": " + ec.message());
  }
  if (ec == http::error::body_limit) {
    return make_error(ErrorKind::kDecode, what + ": response body exceeds the size limit");
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return make_error(ErrorKind::kTransport, what + ": malformed HTTP response: " + ec.message());
  }
  return make_error(ErrorKind::kTransport, what + ": " + ec.message());
}

// One TCP or TLS connection with its own io_context.
class Connection {
 public:
  Connection(std::shared_ptr<ssl::context> tls_ctx, bool tls)
      : tls_ctx_(std::move(tls_ctx)) {
    if (tls) {
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls_ctx_);
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
  }

  beast::tcp_stream& tcp_layer() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <class F>
  auto with_stream(F&& f) {
    if (tls_) return f(*tls_);
    return f(*plain_);
  }

  // Starts `start(handler)` and runs the io_context until the operation finished or the
  // deadline closed the socket.
  template <class Start>
  beast::error_code run(std::chrono::steady_clock::duration timeout, Start&& start) {
    beast::error_code result = asio::error::would_block;
    tcp_layer().expires_after(timeout);
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    if (cancelled_.load()) return asio::error::operation_aborted;
    return result;
  }

  Result<void> connect(const ServerUrl& url, const std::string& verify_name, bool verify,
                       Millis timeout) {
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = asio::error::would_block;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (ec == asio::error::would_block) {
      resolver.cancel();
      ioc_.restart();
      ioc_.run();
      return tl::unexpected(make_error(ErrorKind::kTimeout, "resolve " + url.host + ": timed out"));
    }
    if (ec) {
      return tl::unexpected(make_error(ErrorKind::kTransport,
                                       "resolve " + url.host + ": " + ec.message()));
    }
    ec = run(timeout, [&](auto handler) {
      tcp_layer().async_connect(endpoints,
                                [handler](beast::error_code e, const tcp::endpoint&) mutable {
                                  handler(e);
                                });
    });
    if (ec) return tl::unexpected(socket_error(ec, "connect " + url.host_header));
    tcp_layer().socket().set_option(tcp::no_delay(true), ec);
    if (!tls_) return {};
    SSL* handle = tls_->native_handle();
    if (!is_ip_address(verify_name)) SSL_set_tlsext_host_name(handle, verify_name.c_str());
    if (verify) {
      if (is_ip_address(verify_name)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), verify_name.c_str());
      } else {
        SSL_set1_host(handle, verify_name.c_str());
      }
    }
    ec = run(timeout, [&](auto handler) {
      tls_->async_handshake(ssl::stream_base::client, handler);
    });
    if (ec) {
      Error e = socket_error(ec, "TLS handshake with " + url.host_header);
      long verify_result = SSL_get_verify_result(handle);
      if (verify_result != X509_V_OK) {
        e.kind = ErrorKind::kTls;
        e.message = "TLS handshake with " + url.host_header +
                    ": certificate verification failed: " +
                    X509_verify_cert_error_string(verify_result);
      }
      return tl::unexpected(e);
    }
    return {};
  }

  void cancel_from_other_thread() {
    cancelled_.store(true);
    asio::post(ioc_, [this] { tcp_layer().socket().cancel(); });
  }
  bool cancelled() const { return cancelled_.load(); }

  // Whether an idle pooled connection may carry the next request: only while the peer has sent
  // nothing since the last response. Readable means it closed (an idle timeout: EOF), reset, or
  // sent bytes nobody asked for (a TLS close_notify); such a connection is dropped before a
  // request is written to it, so that a non-idempotent request (POST, PATCH), which is never
  // retried on a reused connection, is not lost to a server that closed it while idle.
  bool idle_usable() {
    if (buffer.size() != 0) return false;
    pollfd fd{};
    fd.fd = tcp_layer().socket().native_handle();
    fd.events = POLLIN;
    return ::poll(&fd, 1, 0) == 0;
  }

  beast::flat_buffer buffer;
  bool reused = false;

 private:
  asio::io_context ioc_{1};
  std::shared_ptr<ssl::context> tls_ctx_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::atomic<bool> cancelled_{false};
};

std::string header_value(const http::fields& fields, std::string_view name) {
  auto it = fields.find(beast::string_view(name.data(), name.size()));
  return it == fields.end() ? std::string() : std::string(it->value());
}

// Retry-After as delta seconds (the form kube sends); nullopt when absent or not a number.
std::optional<int> retry_after_seconds(const std::string& value) {
  if (value.empty() || value.find_first_not_of("0123456789 ") != std::string::npos) {
    return std::nullopt;
  }
  try {
    return std::stoi(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

class LineStreamImpl final : public LineStream {
 public:
  LineStreamImpl(std::unique_ptr<Connection> conn,
                 std::unique_ptr<http::response_parser<http::buffer_body>> parser,
                 std::size_t max_line)
      : conn_(std::move(conn)), parser_(std::move(parser)), max_line_(max_line) {}

  Result<std::optional<std::string>> next_line(Millis read_timeout) override {
    auto result = read_line(read_timeout);
    if (!result) failed_ = result.error();
    return result;
  }

  void cancel() override { conn_->cancel_from_other_thread(); }

 private:
  Result<std::optional<std::string>> read_line(Millis read_timeout) {
    // A timed-out or broken connection is closed; every later call reports the first failure.
    if (failed_) return tl::unexpected(*failed_);
    auto deadline = std::chrono::steady_clock::now() + read_timeout;
    for (;;) {
      if (conn_->cancelled()) {
        return tl::unexpected(make_error(ErrorKind::kCancelled, "stream cancelled"));
      }
      std::size_t nl = pending_.find('\n', scanned_);
      if (nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        scanned_ = 0;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        return std::optional<std::string>(std::move(line));
      }
      scanned_ = pending_.size();
      if (pending_.size() > max_line_) {
        return tl::unexpected(make_error(ErrorKind::kDecode, "stream line exceeds the size limit"));
      }
      if (done_) {
        if (!pending_.empty()) {
          std::string line = std::move(pending_);
          pending_.clear();
          scanned_ = 0;
          return std::optional<std::string>(std::move(line));
        }
        return std::optional<std::string>();
      }
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        return tl::unexpected(make_error(ErrorKind::kTimeout, "stream read timed out"));
      }
      char buf[16384];
      auto& body = parser_->get().body();
      body.data = buf;
      body.size = sizeof buf;
      beast::error_code ec = conn_->run(left, [&](auto handler) {
        conn_->with_stream([&](auto& s) {
          http::async_read_some(s, conn_->buffer, *parser_, handler);
        });
      });
      pending_.append(buf, sizeof buf - body.size);
      if (ec == http::error::need_buffer) ec = {};
      if (ec == http::error::end_of_stream) {
        done_ = true;
        continue;
      }
      if (ec) return tl::unexpected(socket_error(ec, "stream read"));
      if (parser_->is_done()) done_ = true;
    }
  }

  std::unique_ptr<Connection> conn_;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
  std::size_t max_line_;
  std::string pending_;
  std::size_t scanned_ = 0;
  bool done_ = false;
  std::optional<Error> failed_;
};

class TransportImpl final : public Transport {
 public:
  TransportImpl(RestConfig config, TransportOptions options, ServerUrl url)
      : config_(std::move(config)),
        options_(options),
        clock_(options.clock != nullptr ? *options.clock : Clock::system()),
        url_(std::move(url)),
        limiter_(config_.qps, config_.burst, clock_),
        credentials_(config_, clock_),
        rng_(std::random_device{}()) {
    if (config_.user_agent.empty()) config_.user_agent = default_user_agent();
    verify_name_ = config_.tls_server_name.empty() ? url_.host : config_.tls_server_name;
  }

  Result<void> init() {
    if (!url_.tls) return {};
    auto creds = initial_client_cert();
    return build_tls_context(creds.first, creds.second);
  }

  Result<Response> send(const Request& request) override {
    const Millis timeout =
        request.timeout.count() > 0 ? request.timeout : config_.request_timeout;
    bool auth_retried = false;
    for (int attempt = 0;; ++attempt) {
      limiter_.acquire();
      auto attempt_result = attempt_once(request, timeout);
      if (!attempt_result) {
        const AttemptError& failure = attempt_result.error();
        metrics_.record("<error>", request.method, url_.host_header);
        bool retryable = failure.error.kind == ErrorKind::kTransport &&
                         (idempotent(request.method) || failure.stage == Stage::kConnect);
        if (retryable && attempt < options_.retry.max_retries) {
          clock_.sleep_for(backoff(attempt));
          continue;
        }
        return tl::unexpected(failure.error);
      }
      Response& response = *attempt_result;
      metrics_.record(std::to_string(response.code), request.method, url_.host_header);
      if (response.code == 401 && !auth_retried &&
          (config_.exec || !config_.token_file.empty())) {
        auth_retried = true;
        credentials_.invalidate();
        continue;
      }
      if ((response.code == 429 || response.code >= 500) &&
          attempt < options_.retry.max_retries) {
        if (auto seconds = response.retry_after_seconds) {
          Millis wait = std::min<Millis>(std::chrono::seconds(*seconds),
                                         options_.retry.max_retry_after);
          if (wait.count() == 0) wait = backoff(attempt);
          clock_.sleep_for(wait);
          continue;
        }
      }
      return std::move(response);
    }
  }

  Result<std::unique_ptr<LineStream>> stream(const Request& request) override {
    const Millis timeout =
        request.timeout.count() > 0 ? request.timeout : config_.request_timeout;
    limiter_.acquire();
    auto headers = prepare(request);
    if (!headers) return tl::unexpected(headers.error());
    auto conn = open_connection(timeout);
    if (!conn) {
      metrics_.record("<error>", request.method, url_.host_header);
      return tl::unexpected(conn.error());
    }
    auto& c = **conn;
    http::request<http::string_body> req = build(request, *headers);
    beast::error_code ec = c.run(timeout, [&](auto handler) {
      c.with_stream([&](auto& s) { http::async_write(s, req, handler); });
    });
    if (ec) {
      metrics_.record("<error>", request.method, url_.host_header);
      return tl::unexpected(socket_error(ec, request.method + " " + request.target));
    }
    auto parser = std::make_unique<http::response_parser<http::buffer_body>>();
    parser->body_limit(boost::none);
    ec = c.run(timeout, [&](auto handler) {
      c.with_stream([&](auto& s) { http::async_read_header(s, c.buffer, *parser, handler); });
    });
    if (ec) {
      metrics_.record("<error>", request.method, url_.host_header);
      return tl::unexpected(socket_error(ec, request.method + " " + request.target));
    }
    int code = static_cast<int>(parser->get().result_int());
    metrics_.record(std::to_string(code), request.method, url_.host_header);
    std::string content_type = header_value(parser->get(), "Content-Type");
    auto line_stream = std::make_unique<LineStreamImpl>(std::move(*conn), std::move(parser),
                                                        config_.max_response_bytes);
    if (code >= 200 && code < 300) return std::unique_ptr<LineStream>(std::move(line_stream));
    std::string body;
    for (;;) {
      auto line = line_stream->next_line(timeout);
      if (!line || !*line) break;
      body += **line;
      body += '\n';
      if (body.size() > 65536) break;
    }
    if (code == 401) credentials_.invalidate();
    return tl::unexpected(error_from_response(code, content_type, body));
  }

  const RequestMetrics& metrics() const override { return metrics_; }
  std::uint64_t connections_opened() const override { return opened_.load(); }
  std::size_t idle_connections() const override {
    std::lock_guard lock(pool_mu_);
    return idle_.size();
  }
  const RestConfig& config() const override { return config_; }

 private:
  struct Prepared {
    std::string authorization;
  };

  std::pair<std::string, std::string> initial_client_cert() {
    return {config_.client_cert_pem, config_.client_key_pem};
  }

  Result<void> build_tls_context(const std::string& cert, const std::string& key) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    beast::error_code ec;
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1,
                     ec);
    if (config_.insecure_skip_tls_verify) {
      ctx->set_verify_mode(ssl::verify_none, ec);
    } else {
      ctx->set_verify_mode(ssl::verify_peer, ec);
      if (!config_.ca_pem.empty()) {
        ctx->add_certificate_authority(asio::buffer(config_.ca_pem), ec);
        if (ec) {
          return tl::unexpected(make_error(ErrorKind::kConfig,
                                           "certificate authority: " + ec.message()));
        }
      } else {
        ctx->set_default_verify_paths(ec);
      }
    }
    if (!cert.empty()) {
      ctx->use_certificate_chain(asio::buffer(cert), ec);
      if (ec) {
        return tl::unexpected(make_error(ErrorKind::kConfig, "client certificate: " +
                                                                 ec.message()));
      }
      ctx->use_private_key(asio::buffer(key), ssl::context::pem, ec);
      if (ec) {
        return tl::unexpected(make_error(ErrorKind::kConfig, "client key: " + ec.message()));
      }
    }
    std::lock_guard lock(pool_mu_);
    tls_ctx_ = std::move(ctx);
    tls_cert_ = cert;
    idle_.clear();  // connections made with the old identity
    return {};
  }

  Result<Prepared> prepare(const Request&) {
    Prepared p;
    auto creds = credentials_.get();
    if (!creds) return tl::unexpected(creds.error());
    if (!url_.tls) return p;  // never send credentials in clear text
    bool cert_changed = false;
    {
      std::lock_guard lock(pool_mu_);
      cert_changed = creds->client_cert_pem != tls_cert_;
    }
    if (cert_changed) {
      if (auto r = build_tls_context(creds->client_cert_pem, creds->client_key_pem); !r) {
        return tl::unexpected(r.error());
      }
    }
    if (!creds->bearer_token.empty()) {
      p.authorization = "Bearer " + creds->bearer_token;
    } else if (!config_.username.empty()) {
      p.authorization = "Basic " + detail::base64_encode(config_.username + ":" +
                                                         config_.password);
    }
    return p;
  }

  http::request<http::string_body> build(const Request& request, const Prepared& prepared) {
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(url_.prefix + request.target);
    req.version(11);
    req.set(http::field::host, url_.host_header);
    req.set(http::field::user_agent, config_.user_agent);
    req.set(http::field::accept, request.accept);
    if (!prepared.authorization.empty()) {
      req.set(http::field::authorization, prepared.authorization);
    }
    if (!request.content_type.empty()) req.set(http::field::content_type, request.content_type);
    req.keep_alive(true);
    req.body() = request.body;
    req.prepare_payload();
    return req;
  }

  Result<std::unique_ptr<Connection>> open_connection(Millis timeout) {
    std::shared_ptr<ssl::context> ctx;
    {
      std::lock_guard lock(pool_mu_);
      ctx = tls_ctx_;
    }
    auto conn = std::make_unique<Connection>(ctx, url_.tls);
    opened_.fetch_add(1);
    auto r = conn->connect(url_, verify_name_, !config_.insecure_skip_tls_verify,
                           std::min(timeout, config_.connect_timeout));
    if (!r) return tl::unexpected(r.error());
    return conn;
  }

  // The most recently used idle connection that is still usable; the others the server closed
  // meanwhile are dropped (closed after the lock is released).
  std::unique_ptr<Connection> take_idle() {
    std::vector<std::unique_ptr<Connection>> dropped;
    std::lock_guard lock(pool_mu_);
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (!conn->idle_usable()) {
        dropped.push_back(std::move(conn));
        continue;
      }
      conn->reused = true;
      return conn;
    }
    return nullptr;
  }

  void give_back(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(pool_mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(conn));
  }

  tl::expected<Response, AttemptError> attempt_once(const Request& request, Millis timeout) {
    auto prepared = prepare(request);
    if (!prepared) return tl::unexpected(AttemptError{prepared.error(), Stage::kConnect, true});
    http::request<http::string_body> req = build(request, *prepared);
    for (int stale_retry = 0;; ++stale_retry) {
      std::unique_ptr<Connection> conn = stale_retry == 0 ? take_idle() : nullptr;
      if (!conn) {
        auto fresh = open_connection(timeout);
        if (!fresh) return tl::unexpected(AttemptError{fresh.error(), Stage::kConnect, true});
        conn = std::move(*fresh);
      }
      auto result = exchange(*conn, request, req, timeout);
      if (!result) {
        const AttemptError& failure = result.error();
        bool stale = conn->reused && failure.nothing_received &&
                     failure.error.kind == ErrorKind::kTransport &&
                     (idempotent(request.method) || failure.stage == Stage::kWrite);
        if (stale && stale_retry == 0) continue;
        return tl::unexpected(failure);
      }
      if (result->second) give_back(std::move(conn));
      return std::move(result->first);
    }
  }

  // Writes the request and reads the whole response; .second = connection reusable.
  tl::expected<std::pair<Response, bool>, AttemptError> exchange(
      Connection& conn, const Request& request, http::request<http::string_body>& req,
      Millis timeout) {
    const std::string what = request.method + " " + request.target;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    beast::error_code ec = conn.run(timeout, [&](auto handler) {
      conn.with_stream([&](auto& s) { http::async_write(s, req, handler); });
    });
    if (ec) return tl::unexpected(AttemptError{socket_error(ec, what), Stage::kWrite, true});
    http::response_parser<http::string_body> parser;
    parser.body_limit(config_.max_response_bytes);
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) left = Millis(1);
    ec = conn.run(left, [&](auto handler) {
      conn.with_stream([&](auto& s) { http::async_read(s, conn.buffer, parser, handler); });
    });
    if (ec) {
      bool nothing = !parser.got_some() && conn.buffer.size() == 0;
      return tl::unexpected(AttemptError{socket_error(ec, what), Stage::kRead, nothing});
    }
    auto& msg = parser.get();
    Response response;
    response.code = static_cast<int>(msg.result_int());
    response.content_type = header_value(msg, "Content-Type");
    for (const auto& field : msg) {
      if (beast::iequals(field.name_string(), "Warning")) {
        response.warnings.emplace_back(field.value());
      }
    }
    response.retry_after_seconds = retry_after_seconds(header_value(msg, "Retry-After"));
    response.body = std::move(msg.body());
    return std::make_pair(std::move(response), msg.keep_alive());
  }

  Millis backoff(int attempt) {
    auto base = options_.retry.base_backoff.count();
    long long cap = options_.retry.max_backoff.count();
    long long d = base << std::min(attempt, 20);
    if (d > cap || d <= 0) d = cap;
    std::lock_guard lock(rng_mu_);
    std::uniform_int_distribution<long long> jitter(d / 2, d);
    return Millis(jitter(rng_));
  }

  RestConfig config_;
  TransportOptions options_;
  Clock& clock_;
  ServerUrl url_;
  std::string verify_name_;
  RateLimiter limiter_;
  CredentialSource credentials_;
  RequestMetrics metrics_;
  std::atomic<std::uint64_t> opened_{0};
  mutable std::mutex pool_mu_;
  std::shared_ptr<ssl::context> tls_ctx_;
  std::string tls_cert_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

}  // namespace

void RequestMetrics::record(const std::string& code, const std::string& method,
                            const std::string& host) {
  std::lock_guard lock(mu_);
  for (auto& c : counts_) {
    if (c.code == code && c.method == method && c.host == host) {
      ++c.count;
      return;
    }
  }
  counts_.push_back(RequestCount{code, method, host, 1});
}

std::vector<RequestCount> RequestMetrics::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<RequestCount> out = counts_;
  std::sort(out.begin(), out.end(), [](const RequestCount& a, const RequestCount& b) {
    return std::tie(a.code, a.method, a.host) < std::tie(b.code, b.method, b.host);
  });
  return out;
}

std::uint64_t RequestMetrics::count(const std::string& code, const std::string& method) const {
  std::lock_guard lock(mu_);
  std::uint64_t n = 0;
  for (const auto& c : counts_) {
    if (c.code == code && c.method == method) n += c.count;
  }
  return n;
}

RateLimiter::RateLimiter(double qps, int burst, Clock& clock)
    : qps_(qps),
      burst_(std::max(1, burst)),
      clock_(clock),
      tokens_(std::max(1, burst)),
      last_(clock.now()) {}

void RateLimiter::acquire() {
  if (qps_ <= 0) return;
  std::chrono::nanoseconds wait{0};
  {
    std::lock_guard lock(mu_);
    auto now = clock_.now();
    double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
    tokens_ -= 1;  // reserve; a negative balance is the queue of waiters
    if (tokens_ < 0) {
      wait = std::chrono::nanoseconds(static_cast<long long>(-tokens_ / qps_ * 1e9));
    }
  }
  clock_.sleep_for(wait);
}

Result<std::unique_ptr<Transport>> Transport::create(const RestConfig& config,
                                                     TransportOptions options) {
  auto url = parse_server(config.server);
  if (!url) return tl::unexpected(url.error());
  auto impl = std::make_unique<TransportImpl>(config, options, std::move(*url));
  if (auto r = impl->init(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<Transport>(std::move(impl));
}

}  // namespace cairn::kube
