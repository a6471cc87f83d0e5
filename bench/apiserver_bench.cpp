// apiserver_bench: throughput and latency of `cairn apiserver`, driven over HTTP/1.1 keep-alive
// connections like real clients, against a server process of its own. The list and watch
// phases use Boost.Beast, one blocking connection per client; the throughput phases use a lean
// epoll load generator (LoadConnection), so that the client, which shares the machine's cores
// with the server, takes as little of them as it can.
//
// Prints: this machine's single-writer fsync rate (measured in the same run, on the same file
// system as the data directory); ConfigMap creates/s and updates/s with 1, 8 and 64 concurrent
// clients; list latency of 10,000 ConfigMaps; watch event latency (p50/p99) with 100 watchers;
// the server's RSS with 10,000 objects stored; the server's and this program's CPU time per
// write. Targets (issue 3): creates/s with 64 clients at least 2x the fsync rate; list of 10,000
// under 150 ms; watch p99 under 50 ms; RSS under 100 MiB.
//
//   apiserver_bench [--cairn PATH] [--seconds S] [--objects N] [--watchers W] [--dir DIR]
//                   [--only-writes]   (skips the 10,000 objects, list and watch phases)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

[[noreturn]] void die(const std::string& why) {
  std::cerr << "apiserver_bench: " << why << "\n";
  std::exit(1);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// One keep-alive connection.
class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(ioc_) {
    tcp::resolver resolver(ioc_);
    stream_.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
    stream_.socket().set_option(tcp::no_delay(true));
  }

  // Returns (status, body).
  std::pair<int, std::string> request(http::verb method, const std::string& target,
                                      const std::string& body = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/json");
    req.set(http::field::user_agent, "apiserver_bench");
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream_, buffer_, parser);
    return {parser.get().result_int(), std::move(parser.get().body())};
  }

  // Starts a watch and calls `on_line` for every event line until it returns false or the
  // stream ends.
  template <class F>
  void watch(const std::string& target, F on_line) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/json");
    http::write(stream_, req);
    http::response_parser<http::empty_body> parser;
    parser.body_limit(boost::none);
    http::read_header(stream_, buffer_, parser);
    std::string pending;
    bool go_on = true;
    auto on_body = [&](std::uint64_t, beast::string_view data, beast::error_code&) {
      pending.append(data.data(), data.size());
      std::size_t nl;
      while (go_on && (nl = pending.find('\n')) != std::string::npos) {
        go_on = on_line(std::string_view(pending).substr(0, nl));
        pending.erase(0, nl + 1);
      }
      return data.size();
    };
    parser.on_chunk_body(on_body);
    beast::error_code ec;
    while (go_on && !parser.is_done()) {
      http::read_some(stream_, buffer_, parser, ec);
      if (ec) break;
    }
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

struct ServerProcess {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

ServerProcess start_server(const std::string& cairn, const std::filesystem::path& dir) {
  int out[2];
  if (pipe(out) != 0) die("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    const std::string data = (dir / "data").string();
    const std::string kubeconfig = (dir / "kubeconfig").string();
    execl(cairn.c_str(), cairn.c_str(), "apiserver", "--insecure", "--listen", "127.0.0.1:0",
          "--data-dir", data.c_str(), "--kubeconfig-out", kubeconfig.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buf[512];
  ServerProcess s{pid, 0};
  while (s.port == 0) {
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) die("cairn apiserver exited before serving: " + text);
    text.append(buf, static_cast<std::size_t>(n));
    const auto at = text.find("serving on http://127.0.0.1:");
    if (at != std::string::npos) {
      const auto start = at + std::string("serving on http://127.0.0.1:").size();
      const auto end = text.find_first_not_of("0123456789", start);
      if (end != std::string::npos)
        s.port = static_cast<std::uint16_t>(std::stoi(text.substr(start, end - start)));
    }
  }
  // Keep draining stdout so the server never blocks on a full pipe.
  std::thread([fd = out[0]] {
    char b[512];
    while (read(fd, b, sizeof b) > 0) {
    }
    close(fd);
  }).detach();
  return s;
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// CPU seconds (user + system) the process has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Appends 4 KiB and fsyncs, single writer, for `seconds`: the rate a database that fsyncs every
// commit alone could reach.
double fsync_rate(const std::filesystem::path& dir, double seconds) {
  const auto file = dir / "fsync-probe";
  const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
  if (fd < 0) die("cannot open " + file.string());
  std::string block(4096, 'x');
  long n = 0;
  const auto start = Clock::now();
  while (seconds_since(start) < seconds) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) die("write");
    if (::fsync(fd) != 0) die("fsync");
    ++n;
  }
  const double rate = n / seconds_since(start);
  ::close(fd);
  std::filesystem::remove(file);
  return rate;
}

std::string configmap(const std::string& ns, const std::string& name, const json& data) {
  return json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"data", data}}
      .dump();
}

void create_namespace(std::uint16_t port, const std::string& ns) {
  Client c(port);
  auto [status, body] =
      c.request(http::verb::post, "/api/v1/namespaces", json{{"metadata", {{"name", ns}}}}.dump());
  if (status != 201) die("create namespace " + ns + ": " + std::to_string(status) + " " + body);
}

struct Throughput {
  double per_second = 0;
  double server_cpu_us = 0;  // server CPU time per operation
  double client_cpu_us = 0;  // this program's CPU time per operation (it shares the cores)
};

// The load generator of the throughput phases: `clients` keep-alive connections, each with one
// request in flight like a blocking client, all driven by one epoll thread (as wrk or h2load
// drive theirs). It shares the machine's cores with the server, so it is kept lean: requests are
// formatted directly and responses parsed only as far as status, Content-Length and body.
class LoadConnection {
 public:
  explicit LoadConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) die("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      die("cannot connect to the server");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~LoadConnection() { ::close(fd_); }
  LoadConnection(const LoadConnection&) = delete;
  LoadConnection& operator=(const LoadConnection&) = delete;

  int fd() const { return fd_; }

  // Sends one request (small: the socket buffer takes it whole, so a blocking send is fine).
  void send(std::string_view method, const std::string& target, const std::string& body) {
    out_.clear();
    out_.append(method).append(" ").append(target).append(
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\nUser-Agent: "
        "apiserver_bench\r\nContent-Type: application/json\r\nContent-Length: ");
    out_.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    for (std::size_t off = 0; off < out_.size();) {
      const ssize_t n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL);
      if (n <= 0) die("send failed: connection closed by the server");
      off += static_cast<std::size_t>(n);
    }
  }

  // Reads what arrived; returns the status of the response once it is complete (0 = not yet).
  // `body` then holds its body.
  int receive(std::string& body) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        in_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0) die("the server closed a connection");
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno != EINTR) die(std::string("recv failed: ") + std::strerror(errno));
    }
    const auto head_end = in_.find("\r\n\r\n");
    if (head_end == std::string::npos) return 0;
    if (in_.compare(0, 9, "HTTP/1.1 ") != 0) die("malformed response: " + in_.substr(0, 80));
    const int status = std::atoi(in_.c_str() + 9);
    std::string head = in_.substr(0, head_end + 2);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto cl = head.find("\r\ncontent-length:");
    if (cl == std::string::npos) die("response without Content-Length: " + head);
    const std::size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    const std::size_t total = head_end + 4 + length;
    if (in_.size() < total) return 0;
    body.assign(in_, head_end + 4, length);
    in_.erase(0, total);
    return status;
  }

 private:
  int fd_ = -1;
  std::string out_;
  std::string in_;
};

// `clients` connections each create (or update) objects for `seconds`.
Throughput throughput(const ServerProcess& server, const std::string& ns, int clients,
                      double seconds, bool update, std::vector<int>& created_per_client) {
  const std::uint16_t port = server.port;
  created_per_client.resize(static_cast<std::size_t>(clients));
  std::vector<std::unique_ptr<LoadConnection>> conns;
  std::vector<int> sent(static_cast<std::size_t>(clients), 0);
  const int ep = ::epoll_create1(0);
  if (ep < 0) die("epoll_create1 failed");
  for (int t = 0; t < clients; ++t) {
    conns.push_back(std::make_unique<LoadConnection>(port));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(t);
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, conns.back()->fd(), &ev) != 0) die("epoll_ctl failed");
  }
  const std::string collection = "/api/v1/namespaces/" + ns + "/configmaps";
  // Sends connection t's next request; false when it has nothing to update.
  auto next = [&](int t) {
    const auto ti = static_cast<std::size_t>(t);
    const int created = created_per_client[ti];
    if (update && created == 0) return false;
    const int i = sent[ti]++;
    const int idx = update ? i % created : i;
    const std::string name =
        "c" + std::to_string(clients) + "-" + std::to_string(t) + "-" + std::to_string(idx);
    const std::string body = configmap(ns, name, {{"i", std::to_string(i)}});
    if (update) {
      conns[ti]->send("PUT", collection + "/" + name, body);
    } else {
      conns[ti]->send("POST", collection, body);
    }
    return true;
  };

  const double cpu_before = cpu_seconds(server.pid);
  const double client_before = cpu_seconds(getpid());
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  long ops = 0;
  int in_flight = 0;
  for (int t = 0; t < clients; ++t) in_flight += next(t) ? 1 : 0;
  std::string body;
  epoll_event events[64];
  auto last_response = start;
  while (in_flight > 0) {
    const int n = ::epoll_wait(ep, events, 64, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait failed");
    const auto now = Clock::now();
    if (n > 0) last_response = now;
    if (now - last_response > std::chrono::seconds(30))
      die(std::to_string(in_flight) + " requests got no response for 30 s");
    const bool stopping = now >= until;
    for (int e = 0; e < n; ++e) {
      const int t = static_cast<int>(events[e].data.u32);
      const int status = conns[static_cast<std::size_t>(t)]->receive(body);
      if (status == 0) continue;
      if (status != (update ? 200 : 201))
        die("write failed: " + std::to_string(status) + " " + body);
      ++ops;
      --in_flight;
      if (!update)
        created_per_client[static_cast<std::size_t>(t)] = sent[static_cast<std::size_t>(t)];
      if (!stopping && next(t)) ++in_flight;
    }
  }
  ::close(ep);
  const double n = static_cast<double>(ops);
  return {n / seconds_since(start), (cpu_seconds(server.pid) - cpu_before) * 1e6 / n,
          (cpu_seconds(getpid()) - client_before) * 1e6 / n};
}

// Creates `n` ConfigMaps in `ns` with 64 clients.
void load(std::uint16_t port, const std::string& ns, int n) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&] {
      Client c(port);
      for (int i; (i = next.fetch_add(1)) < n;) {
        const std::string body =
            configmap(ns, "obj-" + std::to_string(i),
                      {{"key", "value-" + std::to_string(i)}, {"other", "some text here"}});
        auto [status, text] =
            c.request(http::verb::post, "/api/v1/namespaces/" + ns + "/configmaps", body);
        if (status != 201) die("load failed: " + std::to_string(status) + " " + text);
      }
    });
  }
  for (auto& th : threads) th.join();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  std::string cairn = std::string(CAIRN_BINARY_DIR) + "/cairn";
  double seconds = 5;
  int objects = 10'000;
  int watchers = 100;
  std::string dir_arg;
  bool only_writes = false;  // skip the 10,000-object, list and watch phases
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--cairn")
      cairn = value();
    else if (a == "--seconds")
      seconds = std::stod(value());
    else if (a == "--objects")
      objects = std::stoi(value());
    else if (a == "--watchers")
      watchers = std::stoi(value());
    else if (a == "--dir")
      dir_arg = value();
    else if (a == "--only-writes")
      only_writes = true;
    else
      die("unknown argument " + a);
  }
  signal(SIGPIPE, SIG_IGN);
  std::filesystem::path dir = dir_arg.empty() ? std::filesystem::temp_directory_path() /
                                                    ("cairn-bench-" + std::to_string(getpid()))
                                              : std::filesystem::path(dir_arg);
  std::filesystem::create_directories(dir);

  std::printf("apiserver_bench: %s, %u cores\n", cairn.c_str(),
              std::thread::hardware_concurrency());
  const double fsyncs = fsync_rate(dir, 2.0);
  std::printf("fsync rate (single writer, 4 KiB appends): %.0f/s\n", fsyncs);

  const ServerProcess server = start_server(cairn, dir);
  const std::uint16_t port = server.port;
  std::printf("server pid %d, port %u, RSS at start %.1f MiB\n", server.pid, port,
              rss_kib(server.pid) / 1024.0);

  // 10,000 objects: load, RSS, list latency.
  if (!only_writes) {
    create_namespace(port, "list");
    auto t0 = Clock::now();
    load(port, "list", objects);
    std::printf("loaded %d ConfigMaps in %.2f s (64 clients)\n", objects, seconds_since(t0));
    {
      Client c(port);
      std::vector<double> ms;
      for (int i = 0; i < 10; ++i) {
        const auto t = Clock::now();
        auto [status, body] = c.request(http::verb::get, "/api/v1/namespaces/list/configmaps");
        ms.push_back(seconds_since(t) * 1000);
        if (status != 200) die("list failed");
        if (i == 0) {
          const auto n = json::parse(body)["items"].size();
          if (static_cast<int>(n) != objects) die("list returned " + std::to_string(n) + " items");
        }
      }
      std::printf("list %d ConfigMaps: median %.1f ms, max %.1f ms (10 runs; target < 150 ms)\n",
                  objects, percentile(ms, 0.5), percentile(ms, 1.0));
    }
    std::printf("RSS with %d objects: %.1f MiB (target < 100 MiB)\n", objects,
                rss_kib(server.pid) / 1024.0);

    // Watch latency: `watchers` watches of one namespace; a writer stamps each object with the
    // send time; every watcher measures the delay until the event arrives.
    {
      create_namespace(port, "watch");
      std::mutex mu;
      std::vector<double> latencies;
      std::atomic<int> ready{0};
      const int events = 200;
      std::vector<std::unique_ptr<Client>> clients;
      for (int w = 0; w < watchers; ++w) clients.push_back(std::make_unique<Client>(port));
      std::vector<std::thread> threads;
      const auto epoch = Clock::now();
      for (int w = 0; w < watchers; ++w) {
        threads.emplace_back([&, w] {
          int seen = 0;
          std::vector<double> mine;
          ready.fetch_add(1);
          clients[static_cast<std::size_t>(w)]->watch(
              "/api/v1/namespaces/watch/configmaps?watch=1&timeoutSeconds=120",
              [&](std::string_view line) {
                const auto now = std::chrono::duration<double>(Clock::now() - epoch).count();
                auto ev = json::parse(line, nullptr, false);
                if (ev.is_discarded() || ev.value("type", "") != "ADDED") return true;
                const double sent = std::stod(ev["object"]["data"]["sent"].get<std::string>());
                mine.push_back((now - sent) * 1000);
                return ++seen < events;
              });
          std::lock_guard lock(mu);
          latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
      }
      while (ready.load() < watchers) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // watches established
      Client writer(port);
      for (int i = 0; i < events; ++i) {
        const double sent = std::chrono::duration<double>(Clock::now() - epoch).count();
        auto [status, body] = writer.request(
            http::verb::post, "/api/v1/namespaces/watch/configmaps",
            configmap("watch", "w-" + std::to_string(i), {{"sent", std::to_string(sent)}}));
        if (status != 201) die("watch writer failed: " + body);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      for (auto& th : threads) th.join();
      std::printf(
          "watch latency, %d watchers x %d events: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
          "(%zu samples; target p99 < 50 ms)\n",
          watchers, events, percentile(latencies, 0.5), percentile(latencies, 0.99),
          percentile(latencies, 1.0), latencies.size());
    }
  }

  // Throughput with 1, 8, 64 concurrent clients.
  create_namespace(port, "tp");
  double creates64 = 0;
  double fsyncs_adjacent = 0;
  for (int clients : {1, 8, 64}) {
    std::vector<int> created;
    // The disk's speed drifts on a shared machine: measure it again next to the phase the
    // target is about, and hold the target against the faster of the two measurements.
    if (clients == 64) fsyncs_adjacent = fsync_rate(dir, 2.0);
    const Throughput creates = throughput(server, "tp", clients, seconds, false, created);
    const Throughput updates = throughput(server, "tp", clients, seconds, true, created);
    if (clients == 64) creates64 = creates.per_second;
    std::printf(
        "%2d clients: %7.0f creates/s  %7.0f updates/s   CPU per create: server %4.0f us, "
        "client %3.0f us; per update: server %4.0f us, client %3.0f us\n",
        clients, creates.per_second, updates.per_second, creates.server_cpu_us,
        creates.client_cpu_us, updates.server_cpu_us, updates.client_cpu_us);
  }
  const double fsync_ref = std::max(fsyncs, fsyncs_adjacent);
  std::printf("fsync rate again before the 64-client phase: %.0f/s\n", fsyncs_adjacent);
  std::printf(
      "creates/s with 64 clients = %.1fx the fsync rate of %.0f/s, the faster of the two "
      "(target >= 2x)\n",
      creates64 / fsync_ref, fsync_ref);
  std::printf("RSS at the end: %.1f MiB\n", rss_kib(server.pid) / 1024.0);

  kill(server.pid, SIGTERM);
  int status = 0;
  waitpid(server.pid, &status, 0);
  if (dir_arg.empty()) std::filesystem::remove_all(dir);
  return 0;
}
