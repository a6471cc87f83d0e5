// A small blocking HTTP/1.1 client for tests of the API server, plain or TLS (optionally with a
// client certificate), built on Boost.Beast.
//
//   HttpTestClient client(port, HttpTestClient::Tls{ca_file});
//   TestResponse r = client.request("GET", "/api/v1/namespaces");
//   auto watch = client.open_stream("GET", "/api/v1/namespaces?watch=1");
//   std::optional<std::string> line = watch->next_line(std::chrono::seconds(5));
//
// One client is one connection, opened lazily and reused for every request (keep-alive); it
// reconnects when the server closed it. Every operation has a timeout (`timeout` below): a
// test fails instead of hanging. Not thread-safe: one client per thread.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cairn::apiserver::testing {

using TestHeaders = std::vector<std::pair<std::string, std::string>>;

struct TestResponse {
  int status = 0;
  TestHeaders headers;  // names as the server sent them
  std::string body;

  // The first header of that name (case-insensitive), or "".
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (boost::beast::iequals(k, name)) return v;
    return {};
  }
};

// A streamed (chunked) response being read: the status and headers arrived, the body comes in
// chunks. Owned by the caller; closing it (or destroying it) closes its connection.
class TestStream {
 public:
  virtual ~TestStream() = default;
  virtual int status() const = 0;
  virtual const TestHeaders& headers() const = 0;
  // The next whole chunk, waiting at most `timeout`; nullopt on timeout or when the stream
  // ended (ended() tells which).
  virtual std::optional<std::string> next_chunk(std::chrono::milliseconds timeout) = 0;
  // The next '\n'-terminated line of the body (without the '\n'), across chunk boundaries.
  virtual std::optional<std::string> next_line(std::chrono::milliseconds timeout) = 0;
  // True once the server sent the last chunk or closed the connection.
  virtual bool ended() const = 0;
  // Closes the connection at once (the server sees the client go away).
  virtual void close() = 0;
};

class HttpTestClient {
 public:
  struct Tls {
    explicit Tls(std::filesystem::path ca, std::filesystem::path cert = {},
                 std::filesystem::path key = {}, std::string name = "localhost")
        : ca_file(std::move(ca)),
          cert_file(std::move(cert)),
          key_file(std::move(key)),
          server_name(std::move(name)) {}
    std::filesystem::path ca_file;          // trusted server CA (PEM)
    std::filesystem::path cert_file;        // client certificate (PEM); empty = none
    std::filesystem::path key_file;         // its key
    std::string server_name = "localhost";  // SNI and verified name; "" = no SNI, no name check
  };

  explicit HttpTestClient(std::uint16_t port, std::optional<Tls> tls = std::nullopt,
                          std::string host = "127.0.0.1",
                          std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : port_(port), tls_(std::move(tls)), host_(std::move(host)), timeout_(timeout) {}

  // Sends one request and reads the whole response. Adds Host and, for a body, Content-Length.
  // Throws std::runtime_error on connection errors and timeouts. A write error (the server may
  // answer and close before reading an oversized body) is ignored when a response follows.
  TestResponse request(const std::string& method, const std::string& target,
                       const TestHeaders& headers = {}, const std::string& body = "") {
    Conn& c = connection();
    auto req = make_request(method, target, headers, body);
    boost::system::error_code wec;
    run([&](auto& s, auto done) {
      boost::beast::http::async_write(s, req, [done, &wec](auto ec, std::size_t) {
        wec = ec;
        done();
      });
    });
    boost::beast::http::response_parser<boost::beast::http::string_body> parser;
    parser.body_limit(std::uint64_t{1} << 30);
    if (method == "HEAD") parser.skip(true);
    boost::system::error_code rec;
    run([&](auto& s, auto done) {
      boost::beast::http::async_read(s, c.buffer, parser, [done, &rec](auto ec, std::size_t) {
        rec = ec;
        done();
      });
    });
    if (rec) {
      conn_.reset();
      throw std::runtime_error("reading the response failed: " + rec.message() +
                               (wec ? " (writing the request: " + wec.message() + ")" : ""));
    }
    auto res = parser.release();
    TestResponse out;
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) out.headers.emplace_back(f.name_string(), f.value());
    out.body = std::move(res.body());
    if (!res.keep_alive() || wec) conn_.reset();
    return out;
  }

  // Sends a request and returns once the response header arrived; the body is read through
  // the returned TestStream. The stream takes over this client's connection.
  std::unique_ptr<TestStream> open_stream(const std::string& method, const std::string& target,
                                          const TestHeaders& headers = {}) {
    connection();
    auto req = make_request(method, target, headers, "");
    boost::system::error_code ec;
    run([&](auto& s, auto done) {
      boost::beast::http::async_write(s, req, [done, &ec](auto e, std::size_t) {
        ec = e;
        done();
      });
    });
    if (ec) throw std::runtime_error("writing the request failed: " + ec.message());
    auto stream = std::make_unique<Stream>(std::move(conn_), timeout_);
    stream->read_header();
    return stream;
  }

  // Writes raw bytes (for malformed requests) and returns everything the server sends until
  // it closes the connection or `timeout` passes.
  std::string raw_exchange(const std::string& bytes) {
    Conn& c = connection();
    std::string out;
    boost::system::error_code ec;
    run([&](auto& s, auto done) {
      boost::asio::async_write(s, boost::asio::buffer(bytes), [done, &ec](auto e, std::size_t) {
        ec = e;
        done();
      });
    });
    for (;;) {
      char buf[4096];
      std::size_t n = 0;
      bool finished = true;
      try {
        finished = !c.run_for(
            [&](auto& s, auto done) {
              s.async_read_some(boost::asio::buffer(buf), [done, &ec, &n](auto e, std::size_t k) {
                ec = e;
                n = k;
                done();
              });
            },
            timeout_);
      } catch (const std::exception&) {
        break;
      }
      out.append(buf, n);
      if (finished || ec) break;
    }
    conn_.reset();
    return out;
  }

  // Closes the current connection (the next request opens a new one).
  void disconnect() { conn_.reset(); }

 private:
  // One connection: a plain or TLS stream over its own io_context.
  struct Conn {
    boost::asio::io_context io;
    std::optional<boost::asio::ssl::context> ssl_ctx;
    std::optional<boost::beast::tcp_stream> plain;
    std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure;
    boost::beast::flat_buffer buffer;

    // Starts `op(stream, done)` and runs the io_context until done() was called or `timeout`
    // passed (then the operation is cancelled). Returns whether it completed in time.
    template <class Op>
    bool run_for(Op&& op, std::chrono::milliseconds timeout) {
      bool completed = false;
      auto done = [&completed] { completed = true; };
      io.restart();
      if (secure) {
        op(*secure, done);
      } else {
        op(*plain, done);
      }
      return wait(completed, timeout);
    }

    // Runs the io_context until `completed` or `timeout`; on timeout cancels the socket's
    // operations and returns false.
    bool wait(const bool& completed, std::chrono::milliseconds timeout) {
      const auto until = std::chrono::steady_clock::now() + timeout;
      while (!completed && std::chrono::steady_clock::now() < until) {
        io.restart();
        io.run_one_until(until);
      }
      if (completed) return true;
      boost::system::error_code ec;
      lowest().socket().cancel(ec);
      io.restart();
      while (!completed && io.run_one() > 0) {
      }
      return false;
    }

    boost::beast::tcp_stream& lowest() { return secure ? secure->next_layer() : *plain; }
  };

  class Stream final : public TestStream {
   public:
    Stream(std::unique_ptr<Conn> conn, std::chrono::milliseconds timeout)
        : conn_(std::move(conn)), timeout_(timeout) {
      parser_.body_limit(boost::none);
      on_chunk_ = [this](std::uint64_t remain, boost::beast::string_view body,
                         boost::system::error_code&) {
        partial_.append(body.data(), body.size());
        if (remain == body.size()) {
          chunks_.push_back(std::move(partial_));
          partial_.clear();
        }
        return body.size();
      };
      // Beast keeps a reference to the callback: it lives in this object, like the parser.
      parser_.on_chunk_body(on_chunk_);
    }
    ~Stream() override { close(); }

    void read_header() {
      boost::system::error_code ec;
      const bool in_time = conn_->run_for(
          [&](auto& s, auto done) {
            boost::beast::http::async_read_header(s, conn_->buffer, parser_,
                                                  [done, &ec](auto e, std::size_t) {
                                                    ec = e;
                                                    done();
                                                  });
          },
          timeout_);
      if (!in_time) throw std::runtime_error("timed out waiting for the response header");
      if (ec) throw std::runtime_error("reading the response header failed: " + ec.message());
      const auto& msg = parser_.get();
      status_ = static_cast<int>(msg.result_int());
      for (const auto& f : msg) headers_.emplace_back(f.name_string(), f.value());
      // A body that is not chunked (e.g. an error Status) is delivered as one chunk at its end.
    }

    int status() const override { return status_; }
    const TestHeaders& headers() const override { return headers_; }
    bool ended() const override { return ended_; }

    std::optional<std::string> next_chunk(std::chrono::milliseconds timeout) override {
      const auto until = std::chrono::steady_clock::now() + timeout;
      while (chunks_.empty() && !ended_) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        read_some(left);
      }
      if (chunks_.empty()) return std::nullopt;
      std::string c = std::move(chunks_.front());
      chunks_.pop_front();
      return c;
    }

    std::optional<std::string> next_line(std::chrono::milliseconds timeout) override {
      const auto until = std::chrono::steady_clock::now() + timeout;
      for (;;) {
        const std::size_t nl = lines_.find('\n');
        if (nl != std::string::npos) {
          std::string line = lines_.substr(0, nl);
          lines_.erase(0, nl + 1);
          return line;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto chunk = next_chunk(left);
        if (!chunk) return std::nullopt;
        lines_ += *chunk;
      }
    }

    void close() override {
      if (!conn_) return;
      boost::system::error_code ec;
      conn_->lowest().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
      conn_->lowest().socket().close(ec);
      conn_.reset();
      ended_ = true;
    }

   private:
    // Reads for at most `timeout`; a read still pending then stays pending for the next call.
    void read_some(std::chrono::milliseconds timeout) {
      if (!conn_) {
        ended_ = true;
        return;
      }
      if (!pending_) {
        pending_ = true;
        auto handler = [this](boost::system::error_code e, std::size_t) {
          pending_ = false;
          if (e && e != boost::beast::http::error::need_buffer) {
            ended_ = true;
          } else if (parser_.is_done()) {
            if (!parser_.chunked()) chunks_.push_back(parser_.get().body());
            ended_ = true;
          }
        };
        conn_->io.restart();
        if (conn_->secure) {
          boost::beast::http::async_read_some(*conn_->secure, conn_->buffer, parser_, handler);
        } else {
          boost::beast::http::async_read_some(*conn_->plain, conn_->buffer, parser_, handler);
        }
      } else {
        conn_->io.restart();
      }
      conn_->io.run_one_for(timeout);
    }

    std::unique_ptr<Conn> conn_;
    std::chrono::milliseconds timeout_;
    std::function<std::size_t(std::uint64_t, boost::beast::string_view, boost::system::error_code&)>
        on_chunk_;
    boost::beast::http::response_parser<boost::beast::http::string_body> parser_;
    int status_ = 0;
    TestHeaders headers_;
    std::deque<std::string> chunks_;
    std::string partial_;
    std::string lines_;
    bool pending_ = false;
    bool ended_ = false;
  };

  template <class Op>
  void run(Op&& op) {
    if (!conn_->run_for(std::forward<Op>(op), timeout_)) {
      conn_.reset();
      throw std::runtime_error("HTTP test client: operation timed out");
    }
  }

  boost::beast::http::request<boost::beast::http::string_body> make_request(
      const std::string& method, const std::string& target, const TestHeaders& headers,
      const std::string& body) {
    boost::beast::http::request<boost::beast::http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(boost::beast::http::field::host, host_ + ":" + std::to_string(port_));
    for (const auto& [k, v] : headers) req.insert(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body() = body;
      req.prepare_payload();
    }
    return req;
  }

  Conn& connection() {
    if (conn_) return *conn_;
    auto c = std::make_unique<Conn>();
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address(host_), port_);
    c->plain.emplace(c->io);
    boost::system::error_code ec;
    c->plain->socket().connect(ep, ec);
    if (ec) throw std::runtime_error("connect failed: " + ec.message());
    c->plain->socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);
    if (tls_) {
      c->ssl_ctx.emplace(boost::asio::ssl::context::tls_client);
      c->ssl_ctx->load_verify_file(tls_->ca_file.string());
      c->ssl_ctx->set_verify_mode(boost::asio::ssl::verify_peer);
      if (!tls_->cert_file.empty()) {
        c->ssl_ctx->use_certificate_chain_file(tls_->cert_file.string());
        c->ssl_ctx->use_private_key_file(tls_->key_file.string(), boost::asio::ssl::context::pem);
      }
      c->secure.emplace(std::move(*c->plain), *c->ssl_ctx);
      c->plain.reset();
      if (!tls_->server_name.empty()) {
        SSL_set_tlsext_host_name(c->secure->native_handle(), tls_->server_name.c_str());
        c->secure->set_verify_callback(boost::asio::ssl::host_name_verification(tls_->server_name));
      }
      boost::system::error_code hec;
      bool completed = false;
      c->io.restart();
      c->secure->async_handshake(boost::asio::ssl::stream_base::client,
                                 [&hec, &completed](boost::system::error_code e) {
                                   hec = e;
                                   completed = true;
                                 });
      const bool in_time = c->wait(completed, timeout_);
      if (!in_time) throw std::runtime_error("TLS handshake timed out");
      if (hec) throw std::runtime_error("TLS handshake failed: " + hec.message());
    }
    conn_ = std::move(c);
    return *conn_;
  }

  std::uint16_t port_;
  std::optional<Tls> tls_;
  std::string host_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Conn> conn_;
};

}  // namespace cairn::apiserver::testing
