// Listener: binding a bind address (IPv6 dual-stack with an IPv4 fallback), the accept loop on
// the listener's I/O thread, and stopping (detail/listener.h).
#include "kube/detail/listener.h"

#include <boost/asio.hpp>
#include <utility>

#include "kube/probe_server.h"

namespace cairn::kube::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(OnAccept on_accept) : on_accept_(std::move(on_accept)) {}

Result<std::unique_ptr<Listener>> Listener::start(const std::string& address,
                                                  std::string_view error_prefix,
                                                  OnAccept on_accept) {
  auto parsed = parse_bind_address(address);
  if (!parsed) return tl::unexpected(parsed.error());
  const auto& [host, port] = *parsed;
  boost::system::error_code ec;
  const asio::ip::address ip =
      host.empty() ? asio::ip::address(asio::ip::address_v6::any())
                   : asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) {
    return tl::unexpected(make_error(ErrorKind::kConfig,
                                     "invalid bind address \"" + address + "\": " + ec.message()));
  }
  auto fail = [&](const char* what) {
    return tl::unexpected(make_error(
        ErrorKind::kConfig,
        std::string(error_prefix) + "cannot " + what + " " + address + ": " + ec.message()));
  };
  std::unique_ptr<Listener> listener(new Listener(std::move(on_accept)));
  tcp::acceptor& acceptor = listener->acceptor_;
  tcp::endpoint endpoint(ip, port);
  acceptor.open(endpoint.protocol(), ec);
  if (ec && host.empty()) {  // no IPv6 on this machine: all IPv4 interfaces
    endpoint = tcp::endpoint(asio::ip::address_v4::any(), port);
    ec = {};
    acceptor.open(endpoint.protocol(), ec);
  }
  if (ec) return fail("open a socket for");
  if (endpoint.address().is_v6() && host.empty()) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return fail("listen on");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  listener->port_ = acceptor.local_endpoint().port();
  listener->accept();
  Listener* raw = listener.get();
  listener->thread_ = std::thread([raw] { raw->io_.run(); });
  return listener;
}

void Listener::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) on_accept_(std::move(socket));
    accept();
  });
}

Listener::~Listener() { stop(); }

void Listener::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  io_.stop();
  if (thread_.joinable()) thread_.join();
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void close_connection(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

}  // namespace cairn::kube::detail
