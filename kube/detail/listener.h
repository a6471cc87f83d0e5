// Listener: the listening TCP socket and I/O thread of cairn's small plain-HTTP servers
// (ProbeServer, controllers::WebhookReceiver). It binds a bind address ("HOST:PORT", ":PORT" =
// every interface, dual-stack IPv6 with a fallback to IPv4 where the machine has no IPv6,
// "[v6]:PORT", "localhost:PORT" = 127.0.0.1; port 0 picks a free port), accepts connections on
// one I/O thread and hands each socket to the server's callback on that thread. Reading,
// answering and closing the connection is the server's; the listener knows nothing of HTTP.
//
// Ownership: the Listener owns the io_context, the acceptor and the thread. The sockets it hands
// over run on its io_context, so what their handlers use must stay alive until stop() returned;
// handlers still pending then are destroyed with the Listener without running, so their
// destructors must not use the server (a handler holds its session by shared_ptr and the session
// holds the server by raw pointer, as ProbeServer's and WebhookReceiver's do).
//
// Thread-safety: port() from any thread; stop() from any thread, idempotent (also from the
// destructor): it stops the io_context and joins the thread, so `on_accept` and every handler
// of the served connections have returned when it does.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "kube/error.h"

namespace cairn::kube::detail {

class Listener {
 public:
  using OnAccept = std::function<void(boost::asio::ip::tcp::socket)>;

  // Binds `address` and starts accepting. kConfig errors: a malformed address as
  // parse_bind_address reports it, "invalid bind address \"ADDRESS\": <why>" for a host that is
  // not an IP address, and "<error_prefix>cannot open a socket for ADDRESS: <why>" /
  // "<error_prefix>cannot listen on ADDRESS: <why>" (a port in use, no permission).
  static Result<std::unique_ptr<Listener>> start(const std::string& address,
                                                 std::string_view error_prefix, OnAccept on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound port (the chosen one when the address asked for port 0).
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  explicit Listener(OnAccept on_accept);
  void accept();

  OnAccept on_accept_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::mutex mu_;
  bool stopped_ = false;
};

// Shuts a served connection down in both directions and closes it, ignoring errors (the peer
// may be gone already).
void close_connection(boost::asio::ip::tcp::socket& socket);

}  // namespace cairn::kube::detail
