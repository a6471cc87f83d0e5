// ProbeServer: bind-address parsing, the /metrics, /healthz and /readyz answers, and the
// per-connection HTTP loop on a detail::Listener (probe_server.h).
#include "kube/probe_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <map>
#include <mutex>
#include <vector>

#include "kube/detail/listener.h"

namespace cairn::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<std::pair<std::string, std::uint16_t>> parse_bind_address(const std::string& address) {
  auto bad = [&](const char* want) {
    return tl::unexpected(
        make_error(ErrorKind::kConfig, "invalid bind address \"" + address + "\": want " + want));
  };
  std::string host;
  std::string port_text;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return bad("[IPv6]:PORT");
    host = address.substr(1, close - 1);
    port_text = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) return bad("HOST:PORT or :PORT");
    host = address.substr(0, colon);
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port > 65535)
    return bad("HOST:PORT with PORT 0-65535");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

struct ProbeServer::Impl {
  ProbeServerOptions options;
  mutable std::mutex mu;
  std::map<std::string, ProbeCheck> healthz;  // sorted output, as kube-apiserver's
  std::map<std::string, ProbeCheck> readyz;
  // Last: stopped and destroyed first, so no connection outlives what it reads.
  std::unique_ptr<detail::Listener> listener;

  // Runs the checks of one endpoint. `only` names a single check ("/healthz/<name>").
  http::response<http::string_body> probe(const std::map<std::string, ProbeCheck>& checks_in,
                                          const std::string& endpoint, const std::string& only,
                                          bool verbose) {
    std::map<std::string, ProbeCheck> checks;
    {
      std::lock_guard lock(mu);
      checks = checks_in;
    }
    http::response<http::string_body> res;
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set("X-Content-Type-Options", "nosniff");
    if (!only.empty()) {
      auto it = checks.find(only);
      if (it == checks.end()) {
        res.result(http::status::not_found);
        res.body() = "404 page not found\n";
        return res;
      }
      checks = {{it->first, it->second}};
    }
    std::string lines;
    std::string failures;
    for (const auto& [name, check] : checks) {
      std::optional<std::string> failure;
      try {
        failure = check();
      } catch (const std::exception& e) {
        failure = std::string("check threw: ") + e.what();
      }
      if (failure) {
        lines += "[-]" + name + " failed: " + *failure + "\n";
        failures += name + ": " + *failure + "; ";
      } else {
        lines += "[+]" + name + " ok\n";
      }
    }
    if (!failures.empty()) {
      res.result(http::status::internal_server_error);
      res.body() = lines + endpoint + " check failed\n";
      options.logger.warn(endpoint + " check failed", {{"failures", failures}});
    } else {
      res.result(http::status::ok);
      res.body() = verbose ? lines + endpoint + " check passed\n" : std::string("ok");
    }
    return res;
  }

  http::response<http::string_body> respond(const http::request<http::string_body>& req) {
    std::string target(req.target());
    bool verbose = false;
    if (auto q = target.find('?'); q != std::string::npos) {
      const std::string query = target.substr(q + 1);
      verbose = query == "verbose" || query.rfind("verbose=", 0) == 0 ||
                query.find("&verbose") != std::string::npos;
      target.resize(q);
    }
    http::response<http::string_body> res;
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = "method not allowed\n";
      return res;
    }
    if (target == "/metrics" && options.metrics != nullptr) {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = options.metrics->text();
      return res;
    }
    if (options.probes) {
      for (const char* endpoint : {"/healthz", "/readyz"}) {
        const std::string e = endpoint;
        const auto& checks = e == "/healthz" ? healthz : readyz;
        if (target == e) return probe(checks, e.substr(1), "", verbose);
        if (target.rfind(e + "/", 0) == 0)
          return probe(checks, e.substr(1), target.substr(e.size() + 1), true);
      }
    }
    res.result(http::status::not_found);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = "404 page not found\n";
    return res;
  }

  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl* impl, tcp::socket socket) : impl(impl), stream(std::move(socket)) {}
    Impl* impl;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::response<http::string_body> res;

    void read() {
      req = {};
      stream.expires_after(std::chrono::seconds(10));
      http::async_read(stream, buffer, req,
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         self->write();
                       });
    }
    void write() {
      res = impl->respond(req);
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (req.method() == http::verb::head) res.body().clear();
      http::async_write(stream, res,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (ec || !self->res.keep_alive()) return self->close();
                          self->read();
                        });
    }
    void close() { detail::close_connection(stream.socket()); }
  };
};

Result<std::unique_ptr<ProbeServer>> ProbeServer::start(ProbeServerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Impl* raw = impl.get();
  auto listener = detail::Listener::start(raw->options.address, "", [raw](tcp::socket socket) {
    std::make_shared<Impl::Session>(raw, std::move(socket))->read();
  });
  if (!listener) return tl::unexpected(listener.error());
  impl->listener = std::move(*listener);
  return std::unique_ptr<ProbeServer>(new ProbeServer(std::move(impl)));
}

ProbeServer::ProbeServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ProbeServer::~ProbeServer() { stop(); }

void ProbeServer::add_healthz_check(const std::string& name, ProbeCheck check) {
  std::lock_guard lock(impl_->mu);
  impl_->healthz[name] = std::move(check);
}

void ProbeServer::add_readyz_check(const std::string& name, ProbeCheck check) {
  std::lock_guard lock(impl_->mu);
  impl_->readyz[name] = std::move(check);
}

std::uint16_t ProbeServer::port() const { return impl_->listener->port(); }

void ProbeServer::stop() { impl_->listener->stop(); }

}  // namespace cairn::kube
