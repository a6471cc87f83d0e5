// Test helpers for cairn::kube: a scriptable HTTP/1.1 server on loopback (plain TCP or TLS via
// OpenSSL) that can misbehave on purpose (the fake Clock is in fake_clock.h).
//
// FakeServer serves every connection on a thread of its own; every request is passed to the
// handler (possibly from several threads at once), whose Reply says what raw bytes to send and
// what to do with the connection afterwards.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/kube/fake_clock.h"

namespace cairn::kube::testing {

struct RawRequest {
  std::string method;
  std::string target;
  std::string headers;  // raw header block, lower-cased names are not normalised
  std::string body;
  std::size_t connection = 0;  // 1-based number of the connection it arrived on

  std::string header(const std::string& name) const {
    std::string lower_headers = headers;
    std::string lower_name = name;
    for (auto& c : lower_headers) c = static_cast<char>(std::tolower(c));
    for (auto& c : lower_name) c = static_cast<char>(std::tolower(c));
    std::size_t pos = lower_headers.find("\r\n" + lower_name + ":");
    if (pos == std::string::npos) return {};
    pos += lower_name.size() + 3;
    std::size_t end = headers.find("\r\n", pos);
    std::string v = headers.substr(pos, end - pos);
    while (!v.empty() && v.front() == ' ') v.erase(0, 1);
    return v;
  }
};

struct Reply {
  enum class After { kKeepOpen, kClose, kReset, kHang };
  std::string bytes;
  After after = After::kKeepOpen;
};

inline Reply http_reply(int code, const std::string& content_type, const std::string& body,
                        const std::string& extra_headers = "") {
  std::string head = "HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Type: " + content_type +
                     "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
                     extra_headers + "\r\n";
  return Reply{head + body, Reply::After::kKeepOpen};
}

class FakeServer {
 public:
  using Handler = std::function<Reply(const RawRequest&)>;

  // TLS when cert/key files are given.
  explicit FakeServer(Handler handler, const std::filesystem::path& cert = {},
                      const std::filesystem::path& key = {})
      : handler_(std::move(handler)) {
    if (!cert.empty()) {
      ctx_ = SSL_CTX_new(TLS_server_method());
      SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
      SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    }
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeServer() {
    stop_.store(true);
    thread_.join();
    close(listen_fd_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string url(const std::string& host = "127.0.0.1") const {
    return std::string(ctx_ != nullptr ? "https://" : "http://") + host + ":" +
           std::to_string(port_);
  }
  std::size_t connections() const { return connections_.load(); }
  std::vector<RawRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  struct Conn {
    int fd = -1;
    SSL* ssl = nullptr;
  };

  // Waits until `fd` is readable; false when stopping or on error.
  bool wait_readable(int fd) {
    while (!stop_.load()) {
      pollfd p{fd, POLLIN, 0};
      int n = poll(&p, 1, 50);
      if (n > 0) return true;
      if (n < 0) return false;
    }
    return false;
  }

  long read_some(Conn& c, char* buf, int size) {
    if (c.ssl != nullptr && SSL_pending(c.ssl) > 0) return SSL_read(c.ssl, buf, size);
    if (!wait_readable(c.fd)) return -1;
    if (c.ssl != nullptr) return SSL_read(c.ssl, buf, size);
    return ::read(c.fd, buf, static_cast<std::size_t>(size));
  }

  void write_all(Conn& c, const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      long n = c.ssl != nullptr
                   ? SSL_write(c.ssl, data.data() + off, static_cast<int>(data.size() - off))
                   : ::send(c.fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<std::size_t>(n);
    }
  }

  void serve() {
    while (!stop_.load()) {
      if (!wait_readable(listen_fd_)) break;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      std::size_t number = connections_.fetch_add(1) + 1;
      workers_.emplace_back([this, fd, number] {
        Conn c{fd, nullptr};
        bool ok = true;
        if (ctx_ != nullptr) {
          c.ssl = SSL_new(ctx_);
          SSL_set_fd(c.ssl, fd);
          ok = SSL_accept(c.ssl) == 1;
          ERR_clear_error();
        }
        if (ok) handle(c, number);
        if (c.ssl != nullptr) SSL_free(c.ssl);
        close(fd);
      });
    }
    for (auto& w : workers_) w.join();
  }

  void handle(Conn& c, std::size_t number) {
    std::string in;
    char buf[8192];
    for (;;) {
      std::size_t end;
      while ((end = in.find("\r\n\r\n")) == std::string::npos) {
        long n = read_some(c, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      RawRequest req;
      req.connection = number;
      std::string head = in.substr(0, end);
      std::size_t sp1 = head.find(' ');
      std::size_t sp2 = head.find(' ', sp1 + 1);
      req.method = head.substr(0, sp1);
      req.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
      req.headers = head.substr(head.find("\r\n")) + "\r\n";
      std::string length = req.header("Content-Length");
      std::size_t body_len = length.empty() ? 0 : std::stoul(length);
      in.erase(0, end + 4);
      while (in.size() < body_len) {
        long n = read_some(c, buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, static_cast<std::size_t>(n));
      }
      req.body = in.substr(0, body_len);
      in.erase(0, body_len);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      Reply reply = handler_(req);
      if (reply.after == Reply::After::kReset) {
        linger l{1, 0};
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        return;
      }
      write_all(c, reply.bytes);
      if (reply.after == Reply::After::kClose) {
        if (c.ssl != nullptr) SSL_shutdown(c.ssl);
        return;
      }
      if (reply.after == Reply::After::kHang) {
        while (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return;
      }
    }
  }

  Handler handler_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::mutex mu_;
  std::vector<RawRequest> requests_;
  std::vector<std::thread> workers_;  // one per connection; joined when serve() ends
  std::thread thread_;
};

}  // namespace cairn::kube::testing
