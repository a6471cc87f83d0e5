// HttpServer: Boost.Beast over blocking Asio sockets, one thread per connection.
//
// Design: an acceptor thread polls the listening socket and starts one thread per accepted
// connection; that thread does the TLS handshake, parses requests (http_parse.h), calls the
// handler and writes the response with Beast's synchronous API. Blocking I/O with a thread per
// connection is simple and fast enough for a development API server (a handful of kubectl and
// controller clients, tens of watches), and it lets a handler block without an executor.
//
// Timeouts and stop() work the same way for plain and TLS connections: every blocking
// operation runs under a per-connection deadline, and the acceptor thread (which wakes every
// kTick) shuts down the socket of a connection whose deadline passed; stop() shuts down every
// socket. A blocked read or write then fails at once and the connection thread ends. A socket
// is closed only after its thread was joined, so shutting it down from another thread never
// hits a reused file descriptor.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "apiserver/http.h"
#include "apiserver/http_parse.h"

namespace cairn::apiserver {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// How often the acceptor thread checks for stop and for connections past their deadline.
constexpr std::chrono::milliseconds kTick{50};
// How long a closing connection keeps reading (and discarding) what the client still sends, so
// that the kernel does not reset the connection before the client read our last response.
constexpr std::chrono::milliseconds kLingerTime{500};
// How long ResponseStream::next() may wait before the transport checks the client again.
constexpr std::chrono::milliseconds kStreamPoll{250};

std::string status_body(StatusCode code, std::string message) {
  return to_json(Status{code, std::move(message)}).dump();
}

std::string format_endpoint(const tcp::endpoint& ep) {
  const asio::ip::address addr = ep.address();
  if (addr.is_v6()) return "[" + addr.to_string() + "]:" + std::to_string(ep.port());
  return addr.to_string() + ":" + std::to_string(ep.port());
}

std::string openssl_error_text() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

std::string x509_name_entry(X509_NAME* name, int index) {
  X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, index);
  if (entry == nullptr) return {};
  unsigned char* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
  if (len < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

// The client certificate of a finished handshake, when the client CA verified it.
std::optional<ClientCertificate> verified_client_certificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return std::nullopt;
  std::optional<ClientCertificate> out;
  if (SSL_get_verify_result(ssl) == X509_V_OK) {
    out.emplace();
    X509_NAME* subject = X509_get_subject_name(cert);
    int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (i >= 0) out->common_name = x509_name_entry(subject, i);
    for (i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_organizationName, i)) >= 0;)
      out->organizations.push_back(x509_name_entry(subject, i));
  }
  X509_free(cert);
  return out;
}

// One accepted connection. Shared between its thread, the acceptor thread (deadlines, reaping)
// and stop(); `socket` is destroyed only after `thread` was joined.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), fd(socket.native_handle()) {}

  tcp::socket socket;
  const int fd;
  // Steady-clock deadline of the current blocking operation in nanoseconds; 0 = none.
  std::atomic<std::int64_t> deadline_ns{0};
  std::atomic<bool> done{false};
  std::thread thread;

  std::mutex mu;  // guards stream, stream_closed, stopping
  std::shared_ptr<ResponseStream> stream;
  bool stream_closed = false;
  bool stopping = false;

  void set_deadline(std::chrono::steady_clock::duration d) {
    deadline_ns.store((Clock::now() + d).time_since_epoch().count());
  }
  void clear_deadline() { deadline_ns.store(0); }

  // Wakes every blocked operation on the socket (the fd stays open).
  void abort() { ::shutdown(fd, SHUT_RDWR); }

  // Calls the current stream's close() unless it was already called.
  void close_stream_once() {
    std::shared_ptr<ResponseStream> s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!stream || stream_closed) return;
      stream_closed = true;
      s = stream;
    }
    s->close();
  }
};

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(const HttpServerOptions& options, HttpHandler handler)
      : options_(options), handler_(std::move(handler)), acceptor_(io_) {}

  ~HttpServerImpl() override { stop(); }

  Result<void> init() {
    error_code ec;
    asio::ip::address address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      tcp::resolver resolver(io_);
      auto results = resolver.resolve(options_.host, "", ec);
      if (ec || results.empty())
        return error(StatusCode::kInternal,
                     "cannot resolve listen address \"" + options_.host + "\": " + ec.message());
      address = results.begin()->endpoint().address();
    }
    const tcp::endpoint endpoint(address, options_.port);
    const std::string where = format_endpoint(endpoint);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) acceptor_.non_blocking(true, ec);
    if (ec) return error(StatusCode::kInternal, "cannot listen on " + where + ": " + ec.message());
    port_ = acceptor_.local_endpoint(ec).port();
    if (options_.tls) {
      if (auto r = init_tls(*options_.tls); !r) return r;
    }
    acceptor_thread_ = std::thread([this] { accept_loop(); });
    return {};
  }

  std::uint16_t port() const override { return port_; }

  void stop() override {
    std::lock_guard<std::mutex> stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    if (acceptor_thread_.joinable()) acceptor_thread_.join();
    std::list<std::shared_ptr<Connection>> connections;
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections.swap(connections_);
    }
    for (auto& c : connections) {
      {
        std::lock_guard<std::mutex> lock(c->mu);
        c->stopping = true;
      }
      c->abort();
      c->close_stream_once();
    }
    for (auto& c : connections)
      if (c->thread.joinable()) c->thread.join();
    error_code ec;
    acceptor_.close(ec);
  }

 private:
  Result<void> init_tls(const TlsFiles& files) {
    ssl_ = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = ssl_->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, files.cert_file.c_str()) != 1)
      return error(
          StatusCode::kInternal,
          "cannot load TLS certificate " + files.cert_file.string() + ": " + openssl_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return error(StatusCode::kInternal,
                   "cannot load TLS key " + files.key_file.string() + ": " + openssl_error_text());
    if (SSL_CTX_check_private_key(ctx) != 1)
      return error(StatusCode::kInternal,
                   "TLS key " + files.key_file.string() + " does not match certificate " +
                       files.cert_file.string() + ": " + openssl_error_text());
    if (!files.client_ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, files.client_ca_file.c_str(), nullptr) != 1)
        return error(
            StatusCode::kInternal,
            "cannot load client CA " + files.client_ca_file.string() + ": " + openssl_error_text());
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(files.client_ca_file.c_str());
      if (names != nullptr) SSL_CTX_set_client_CA_list(ctx, names);
      // Ask for a client certificate but let the handshake succeed without one or with one
      // the CA does not verify: such a client is simply not authenticated by certificate
      // (SSL_get_verify_result tells, see verified_client_certificate).
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    }
    return {};
  }

  void accept_loop() {
    while (!stopping_.load()) {
      pollfd p{acceptor_.native_handle(), POLLIN, 0};
      const int n = ::poll(&p, 1, static_cast<int>(kTick.count()));
      if (stopping_.load()) break;
      if (n > 0) accept_pending();
      supervise();
    }
  }

  void accept_pending() {
    for (;;) {
      error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;  // would_block (nothing more to accept) or a transient error
      std::size_t active;
      {
        std::lock_guard<std::mutex> lock(mu_);
        active = connections_.size();
      }
      if (active >= options_.max_connections) {
        reject(socket);
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto conn = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard<std::mutex> lock(mu_);
        connections_.push_back(conn);
      }
      conn->thread = std::thread([this, conn] {
        serve(*conn);
        conn->done.store(true);
      });
    }
  }

  // Beyond max_connections: a plain client gets a 503 Status, a TLS client (which would need a
  // handshake on this thread first) is just closed.
  void reject(tcp::socket& socket) {
    if (!ssl_) {
      const std::string body =
          status_body(StatusCode::kUnavailable, "too many open connections, try again later");
      const std::string response =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: "
          "application/json\r\nConnection: close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)::send(socket.native_handle(), response.data(), response.size(),
                   MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    ::shutdown(socket.native_handle(), SHUT_RDWR);
    error_code ec;
    socket.close(ec);
  }

  // Joins finished connection threads and aborts connections past their deadline.
  void supervise() {
    std::list<std::shared_ptr<Connection>> finished;
    const std::int64_t now = Clock::now().time_since_epoch().count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = connections_.begin(); it != connections_.end();) {
        if ((*it)->done.load()) {
          finished.push_back(*it);
          it = connections_.erase(it);
          continue;
        }
        const std::int64_t deadline = (*it)->deadline_ns.load();
        if (deadline != 0 && now > deadline) (*it)->abort();
        ++it;
      }
    }
    for (auto& c : finished) c->thread.join();
  }

  void serve(Connection& conn) {
    error_code ec;
    const tcp::endpoint remote = conn.socket.remote_endpoint(ec);
    const std::string remote_address = ec ? std::string() : format_endpoint(remote);
    if (ssl_) {
      ssl::stream<tcp::socket&> stream(conn.socket, *ssl_);
      conn.set_deadline(options_.read_timeout);
      stream.handshake(ssl::stream_base::server, ec);
      conn.clear_deadline();
      if (ec) return finish(conn);
      std::optional<ClientCertificate> cert = verified_client_certificate(stream.native_handle());
      serve_requests(conn, stream, remote_address, &cert);
    } else {
      serve_requests(conn, conn.socket, remote_address, nullptr);
    }
    finish(conn);
  }

  // Stops sending, then reads and drops what the client still sends for a short while (see
  // kLingerTime) or until it closes too.
  void finish(Connection& conn) {
    ::shutdown(conn.fd, SHUT_WR);
    const auto until = Clock::now() + kLingerTime;
    char scratch[16384];
    while (!stopping_.load()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) break;
      pollfd p{conn.fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      const ssize_t n = ::recv(conn.fd, scratch, sizeof(scratch), MSG_DONTWAIT);
      if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) break;
    }
    ::shutdown(conn.fd, SHUT_RDWR);
  }

  template <class Stream>
  void serve_requests(Connection& conn, Stream& stream, const std::string& remote_address,
                      const std::optional<ClientCertificate>* cert) {
    std::string buffer;
    char scratch[65536];
    const HttpParseLimits limits{options_.max_body_bytes, options_.max_header_bytes};
    while (!stopping_.load()) {
      HttpRequestParser parser(limits);
      bool started = !buffer.empty();
      bool continued = false;
      conn.set_deadline(started ? options_.read_timeout : options_.idle_timeout);
      for (;;) {
        if (!buffer.empty()) buffer.erase(0, parser.feed(buffer));
        if (parser.state() != HttpRequestParser::State::kNeedMore) break;
        if (!continued && parser.expects_continue()) {
          continued = true;
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          error_code wec;
          asio::write(stream, asio::buffer(kContinue.data(), kContinue.size()), wec);
          if (wec) return;
        }
        error_code ec;
        const std::size_t n = stream.read_some(asio::buffer(scratch, sizeof(scratch)), ec);
        if (ec) {
          if (!started || stopping_.load()) return;
          parser.finish();
          break;
        }
        if (!started) {
          started = true;
          conn.set_deadline(options_.read_timeout);
        }
        buffer.append(scratch, n);
      }
      conn.clear_deadline();
      switch (parser.state()) {
        case HttpRequestParser::State::kBadRequest:
          write_error(conn, stream, 400, StatusCode::kBadRequest, "malformed HTTP request");
          return;
        case HttpRequestParser::State::kBodyTooLarge:
          write_error(
              conn, stream, 413, StatusCode::kRequestEntityTooLarge,
              "Request entity too large: limit is " + std::to_string(options_.max_body_bytes));
          return;
        case HttpRequestParser::State::kHeaderTooLarge:
          write_error(conn, stream, 431, StatusCode::kBadRequest,
                      "Request Header Fields Too Large");
          return;
        case HttpRequestParser::State::kNeedMore:
          return;
        case HttpRequestParser::State::kComplete:
          break;
      }
      const bool keep_alive = parser.keep_alive();
      const int version = parser.version();
      HttpRequest request = parser.take_request();
      request.tls = cert != nullptr;
      if (cert != nullptr) request.client_certificate = *cert;
      request.remote_address = remote_address;
      HttpResponse response = call_handler(request);
      if (response.stream) {
        if (!write_stream(conn, stream, response, version, keep_alive) || !keep_alive) return;
      } else {
        const bool head = request.method == "HEAD";
        if (!write_response(conn, stream, response, version, keep_alive, head) || !keep_alive)
          return;
      }
    }
  }

  HttpResponse call_handler(HttpRequest& request) {
    // An exception escaping a connection thread would end the process; the handler is not
    // supposed to throw, but a development server should survive a bug in one request.
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      return status_response(500, StatusCode::kInternal,
                             std::string("Internal error occurred: ") + e.what());
    } catch (...) {
      return status_response(500, StatusCode::kInternal, "Internal error occurred: unknown error");
    }
  }

  // A Status object answered by the server itself (the handler never saw the request).
  static HttpResponse status_response(int status, StatusCode code, std::string message) {
    HttpResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = status_body(code, std::move(message));
    return r;
  }

  template <class Fields>
  static void copy_headers(const HttpResponse& response, Fields& fields) {
    for (const auto& [name, value] : response.headers) {
      if (!set_by_transport(name)) fields.insert(name, value);
    }
  }

  // Framing fields: the transport sets them, whatever a handler says.
  static bool set_by_transport(std::string_view name) {
    return boost::beast::iequals(name, "content-length") ||
           boost::beast::iequals(name, "transfer-encoding") ||
           boost::beast::iequals(name, "connection");
  }

  // The status line and header block of `response`, as Beast prints them (fields in the handler's
  // order, then Content-Length, then Connection when it is not the version's default). CR, LF and
  // NUL in a field become spaces: no handler's text can end the header block.
  static std::string response_head(const HttpResponse& response, int version, bool keep_alive) {
    std::string h;
    h.reserve(256);
    h += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    h += std::to_string(response.status);
    h += ' ';
    const std::string_view reason =
        http::obsolete_reason(static_cast<http::status>(response.status));
    h.append(reason.data(), reason.size());
    h += "\r\n";
    auto append_clean = [&h](std::string_view text) {
      for (char c : text) h += c == '\r' || c == '\n' || c == '\0' ? ' ' : c;
    };
    for (const auto& [name, value] : response.headers) {
      if (set_by_transport(name)) continue;
      append_clean(name);
      h += ": ";
      append_clean(value);
      h += "\r\n";
    }
    h += "Content-Length: ";
    h += std::to_string(response.body.size());
    h += "\r\n";
    if (version == 10 && keep_alive) h += "Connection: keep-alive\r\n";
    if (version != 10 && !keep_alive) h += "Connection: close\r\n";
    h += "\r\n";
    return h;
  }

  template <class Stream>
  bool write_error(Connection& conn, Stream& stream, int status, StatusCode code,
                   std::string message) {
    return write_response(conn, stream, status_response(status, code, std::move(message)), 11,
                          false, false);
  }

  template <class Stream>
  bool write_response(Connection& conn, Stream& stream, const HttpResponse& response, int version,
                      bool keep_alive, bool head) {
    const std::string head_text = response_head(response, version, keep_alive);
    const std::array<asio::const_buffer, 2> buffers{
        asio::buffer(head_text), head ? asio::const_buffer() : asio::buffer(response.body)};
    error_code ec;
    conn.set_deadline(options_.read_timeout);
    asio::write(stream, buffers, ec);  // one sendmsg for head and body on plain TCP
    conn.clear_deadline();
    return !ec;
  }

  // True when the client is gone: it closed (FIN, reset or error) its side of the connection.
  static bool peer_gone(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
  }

  // Writes a streamed response; returns false when the connection must close (client gone,
  // write error, server stopping).
  template <class Stream>
  bool write_stream(Connection& conn, Stream& stream, const HttpResponse& response, int version,
                    bool keep_alive) {
    {
      std::lock_guard<std::mutex> lock(conn.mu);
      conn.stream = response.stream;
      conn.stream_closed = false;
      if (conn.stopping) {
        conn.stream_closed = true;
        response.stream->close();
        return false;
      }
    }
    // HTTP/1.0 has no chunked encoding: the body runs until the connection closes.
    const bool chunked = version != 10;
    if (!chunked) keep_alive = false;
    http::response<http::empty_body> res;
    res.version(chunked ? 11 : 10);
    res.result(static_cast<unsigned>(response.status));
    copy_headers(response, res);
    res.keep_alive(keep_alive);
    if (chunked) res.chunked(true);
    http::response_serializer<http::empty_body> sr(res);
    error_code ec;
    conn.set_deadline(options_.read_timeout);
    http::write_header(stream, sr, ec);
    conn.clear_deadline();
    bool ok = !ec;
    while (ok) {
      if (stopping_.load() || peer_gone(conn.fd)) {
        ok = false;
        break;
      }
      std::optional<std::string> chunk = response.stream->next(kStreamPoll);
      if (!chunk) break;
      if (chunk->empty()) continue;
      conn.set_deadline(options_.read_timeout);
      if (chunked) {
        asio::write(stream, http::make_chunk(asio::buffer(*chunk)), ec);
      } else {
        asio::write(stream, asio::buffer(*chunk), ec);
      }
      conn.clear_deadline();
      ok = !ec;
    }
    if (ok && chunked) {
      conn.set_deadline(options_.read_timeout);
      asio::write(stream, http::make_chunk_last(), ec);
      conn.clear_deadline();
      ok = !ec;
    }
    if (!ok) conn.close_stream_once();
    {
      std::lock_guard<std::mutex> lock(conn.mu);
      conn.stream.reset();
    }
    return ok && chunked;
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::unique_ptr<ssl::context> ssl_;
  std::uint16_t port_ = 0;
  std::thread acceptor_thread_;
  std::atomic<bool> stopping_{false};

  std::mutex stop_mu_;  // serialises stop()
  bool stopped_ = false;

  std::mutex mu_;  // guards connections_
  std::list<std::shared_ptr<Connection>> connections_;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
  auto server = std::make_unique<HttpServerImpl>(options, std::move(handler));
  if (auto r = server->init(); !r) return tl::unexpected(r.error());
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace cairn::apiserver
