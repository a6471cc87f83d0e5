// TcpProxy: a test helper that forwards TCP connections from 127.0.0.1:<port()> to
// 127.0.0.1:<target port>, byte for byte (TLS passes through untouched), and can break them on
// purpose: drop_all() closes every open connection, set_rejecting(true) closes new ones right
// after accepting them (the client sees the connection end before any response), and
// mute_reply_to(prefix) loses the reply of one plain-HTTP request: the first client data that
// starts with `prefix` still reaches the server, but nothing the server sends back on that
// connection reaches the client (a write that is applied while its client sees a timeout).
//
// One thread accepts; each connection is pumped by a thread of its own (poll on both sockets).
// All methods are thread-safe; the destructor stops accepting, drops every connection and joins
// every thread.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace cairn::kube::testing {

class TcpProxy {
 public:
  explicit TcpProxy(std::uint16_t target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("proxy: socket failed");
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("proxy: bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~TcpProxy() {
    stopping_.store(true);
    ::shutdown(listen_fd_, SHUT_RDWR);
    accept_thread_.join();
    ::close(listen_fd_);
    drop_all();
    std::list<std::unique_ptr<Conn>> conns;
    {
      std::lock_guard lock(mu_);
      conns.swap(conns_);
    }
    for (auto& c : conns) c->thread.join();
  }

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // Breaks every open connection (both directions).
  void drop_all() {
    std::lock_guard lock(mu_);
    for (auto& c : conns_) {
      if (c->open) {
        ::shutdown(c->client_fd, SHUT_RDWR);
        ::shutdown(c->server_fd, SHUT_RDWR);
      }
    }
    drops_.fetch_add(1);
  }

  // While true, new connections are closed as soon as they are accepted.
  void set_rejecting(bool rejecting) {
    std::lock_guard lock(mu_);
    rejecting_ = rejecting;
  }

  // Arms the muting of one reply (see above); only for plain HTTP, whose requests are readable.
  void mute_reply_to(std::string prefix) {
    std::lock_guard lock(mu_);
    mute_prefix_ = std::move(prefix);
  }
  std::uint64_t muted_replies() const { return muted_.load(); }

  std::uint64_t connections_accepted() const { return accepted_.load(); }
  std::uint64_t drops() const { return drops_.load(); }

 private:
  struct Conn {
    int client_fd = -1;
    int server_fd = -1;
    bool open = true;  // under mu_; the fds are closed by the pump thread only
    std::thread thread;
  };

  void accept_loop() {
    for (;;) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (stopping_.load()) {
        if (fd >= 0) ::close(fd);
        return;
      }
      if (fd < 0) continue;
      accepted_.fetch_add(1);
      reap();
      // Under mu_, so that a connection is either rejected or visible to a drop_all() that
      // follows set_rejecting(true).
      std::lock_guard lock(mu_);
      if (rejecting_) {
        ::close(fd);
        continue;
      }
      int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(target_port_);
      if (upstream < 0 ||
          ::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (upstream >= 0) ::close(upstream);
        ::close(fd);
        continue;
      }
      auto conn = std::make_unique<Conn>();
      conn->client_fd = fd;
      conn->server_fd = upstream;
      Conn* raw = conn.get();
      conn->thread = std::thread([this, raw] { pump(*raw); });
      conns_.push_back(std::move(conn));
    }
  }

  void pump(Conn& c) {
    char buf[16384];
    pollfd fds[2] = {{c.client_fd, POLLIN, 0}, {c.server_fd, POLLIN, 0}};
    bool done = false;
    bool muted = false;  // the server's replies are dropped
    while (!done) {
      if (::poll(fds, 2, 200) < 0) break;
      for (int i = 0; i < 2 && !done; ++i) {
        if (fds[i].revents == 0) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          done = true;
          break;
        }
        if (i == 0 && !muted) muted = take_mute(buf, static_cast<std::size_t>(n));
        if (i == 1 && muted) continue;
        const int out = fds[1 - i].fd;
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::send(out, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) {
            done = true;
            break;
          }
          off += w;
        }
      }
    }
    std::lock_guard lock(mu_);
    c.open = false;
    ::close(c.client_fd);
    ::close(c.server_fd);
  }

  // Whether client data `data` starts the request whose reply mute_reply_to() asked to lose.
  bool take_mute(const char* data, std::size_t size) {
    std::lock_guard lock(mu_);
    if (mute_prefix_.empty() ||
        std::string_view(data, size).substr(0, mute_prefix_.size()) != mute_prefix_) {
      return false;
    }
    mute_prefix_.clear();
    muted_.fetch_add(1);
    return true;
  }

  // Joins the threads of closed connections.
  void reap() {
    std::list<std::unique_ptr<Conn>> finished;
    {
      std::lock_guard lock(mu_);
      for (auto it = conns_.begin(); it != conns_.end();) {
        if (!(*it)->open) {
          finished.push_back(std::move(*it));
          it = conns_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (auto& c : finished) c->thread.join();
  }

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool rejecting_ = false;  // under mu_
  std::string mute_prefix_;  // under mu_; empty = no reply to mute
  std::atomic<std::uint64_t> muted_{0};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> drops_{0};
  std::mutex mu_;
  std::list<std::unique_ptr<Conn>> conns_;
  std::thread accept_thread_;
};

}  // namespace cairn::kube::testing
