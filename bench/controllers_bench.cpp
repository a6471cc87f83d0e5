// controllers_bench: the ClusterStack and ClusterStackRelease controllers at scale (issue 6).
// `cairn apiserver --insecure` and `cairn manager` run as child processes; F local-directory
// feeds (file://) hold releases v1..v5 of one stack each (docker-demo<i>-1-32, the example stack
// examples/cluster-stacks/docker-demo-1-32 renamed); N namespaces get one ClusterStack per feed
// (autoSubscribe, noProvider, spec.source.url = the feed), N x F stacks in all (default 1,000).
//
// Prints:
//   1. time to converge: from creating the first stack until every stack has Ready True (and
//      the API writes that took, as the store's resourceVersion delta);
//   2. API writes in steady state: the resourceVersion delta over --steady-seconds after
//      convergence, with a --sync-period short enough for several resyncs (target 0); when it
//      is not 0, which objects changed and which field managers wrote them;
//   3. feed lists per poll interval and feed, counted twice: the manager's metric
//      cairn_feed_lists_total (GET /metrics) and inotify IN_OPEN events on each feed directory
//      (a file:// list opens the directory once); target 1;
//   4. manager RSS (VmRSS, VmHWM of /proc/<pid>/status) after convergence, after the steady
//      window and at the end (target under 50 MiB);
//   5. new tag -> its ClusterClass applied through the webhook receiver (target under 2 s): a
//      release vN is renamed into feed 0, POST /hooks/releases/generic {"source": <feed URL>}
//      signed with HMAC-SHA256, then a watch on ClusterClasses notes when docker-demo0-1-32-vN
//      appears in the first namespace and in all N; repeated for v6, v7, v8.
// To explain the figures it also prints the manager's API requests over the steady window and
// its work queue depths (rest_client_requests_total, workqueue_depth from /metrics).
//
// Defaults: 100 namespaces, 10 feeds, --steady-seconds 600, --sync-period 60 (several resyncs
// in the window), --source-interval 30, 8 writer threads, 3 webhook rounds.
//   controllers_bench [--cairn PATH] [--namespaces N] [--feeds F] [--steady-seconds S]
//                     [--sync-period S] [--source-interval S] [--writers W] [--webhook-rounds K]
//                     [--converge-timeout S] [--log-level L] [--keep] [--manager-arg ARG]...
// --log-level is the manager's (default error); --keep leaves the work directory (logs, data,
// cache, feeds) as <dir>-kept; --manager-arg appends one argument to the manager's command line.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/parallel.h"
#include "controllers/setup.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/log.h"
#include "kube/objects.h"
#include "tests/common/process.h"
#include "tests/common/temp_dir.h"

namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using namespace std::chrono_literals;
using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using cairn::bench::parallel;
using cairn::kube::Client;
using cairn::kube::GroupVersionKind;
using cairn::testing::free_port;
using cairn::testing::Process;
using cairn::testing::TempDir;
using cairn::testing::wait_for_port;

const fs::path kExample =
    fs::path(CAIRN_SOURCE_DIR) / "examples/cluster-stacks/docker-demo-1-32";
const GroupVersionKind kNamespaceKind{"", "v1", "Namespace"};
const GroupVersionKind kStackKind{"clusterstack.x-k8s.io", "v1alpha1", "ClusterStack"};
const GroupVersionKind kReleaseKind{"clusterstack.x-k8s.io", "v1alpha1", "ClusterStackRelease"};
const GroupVersionKind kClassKind{"cluster.x-k8s.io", "v1beta1", "ClusterClass"};
constexpr int kReleases = 5;  // v1..v5 in every feed before the stacks are created

// What die() cleans up, since std::exit runs no destructors of locals: the child processes
// (killed and reaped) and the work directory.
struct Cleanup {
  std::vector<pid_t> children;
  fs::path work;
};
Cleanup g_cleanup;

[[noreturn]] void die(const std::string& why) {
  std::cerr << "controllers_bench: " << why << "\n";
  for (pid_t pid : g_cleanup.children) {
    if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
  }
  std::error_code ec;
  if (!g_cleanup.work.empty()) fs::remove_all(g_cleanup.work, ec);
  std::exit(1);
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

double seconds_between(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) die("cannot write " + path.string());
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The last `lines` lines of a child's log, for failure messages.
std::string tail(const std::string& log, int lines = 20) {
  std::size_t at = log.size();
  for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i) {
    at = log.rfind('\n', at - 1);
  }
  return at == std::string::npos ? log : log.substr(at + 1);
}

// ------------------------------------------------------------------ feeds

std::string stack_of(int feed) { return "docker-demo" + std::to_string(feed) + "-1-32"; }
std::string class_of(int feed, int version) {
  return stack_of(feed) + "-v" + std::to_string(version);
}

// Release v`version` of feed `feed`'s stack as DIR/<tag>/ (charts as directories, named for the
// stack), written under a hidden temporary name and renamed in, so that a list never sees half
// a release.
void publish(const fs::path& feed_dir, int feed, int version) {
  const std::string stack = stack_of(feed);
  const std::string v = "v" + std::to_string(version);
  const fs::path tmp = feed_dir / (".tmp-" + v);
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const fs::path cls = tmp / (stack + "-cluster-class-" + v);
  fs::copy(kExample / "cluster-class", cls, fs::copy_options::recursive);
  write_text(cls / "Chart.yaml",
             replace_all(replace_all(read_text(cls / "Chart.yaml"), "docker-demo-1-32", stack),
                         "\nversion: v1\n", "\nversion: " + v + "\n"));
  const fs::path addon = tmp / (stack + "-cluster-addon-v1");
  fs::copy(kExample / "cluster-addon", addon, fs::copy_options::recursive);
  write_text(addon / "Chart.yaml",
             replace_all(read_text(addon / "Chart.yaml"), "docker-demo-1-32", stack));
  fs::copy_file(kExample / "cluster-addon-values.yaml", tmp / "cluster-addon-values.yaml");
  write_text(tmp / "metadata.yaml",
             "apiVersion: metadata.clusterstack.x-k8s.io/v1alpha1\nversions:\n  clusterStack: " +
                 v + "\n  kubernetes: v1.32.5\n  components:\n    clusterAddon: v1\n"
                 "    nodeImage: v1\n");
  fs::rename(tmp, feed_dir / (stack + "-" + v));
}

// Counts the opens of each feed directory itself (IN_OPEN without a name): a file:// list
// opens its directory once; a release fetch opens it too, but none happens in steady state.
class DirOpenCounter {
 public:
  explicit DirOpenCounter(const std::vector<fs::path>& dirs) : counts_(dirs.size()) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0) die("inotify_init1 failed");
    for (std::size_t i = 0; i < dirs.size(); ++i) {
      const int wd = inotify_add_watch(fd_, dirs[i].c_str(), IN_OPEN);
      if (wd < 0) die("inotify_add_watch " + dirs[i].string() + " failed");
      index_[wd] = i;
    }
    thread_ = std::thread([this] { run(); });
  }
  ~DirOpenCounter() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  DirOpenCounter(const DirOpenCounter&) = delete;
  DirOpenCounter& operator=(const DirOpenCounter&) = delete;

  std::vector<std::uint64_t> counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  void run() {
    alignas(inotify_event) char buf[64 * 1024];
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) continue;
      std::lock_guard lock(mu_);
      for (ssize_t at = 0; at < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + at);
        if ((ev->mask & IN_OPEN) != 0 && ev->len == 0) {
          auto it = index_.find(ev->wd);
          if (it != index_.end()) ++counts_[it->second];
        }
        at += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  }

  int fd_ = -1;
  std::map<int, std::size_t> index_;
  mutable std::mutex mu_;
  std::vector<std::uint64_t> counts_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ------------------------------------------------------------------ HTTP and the manager

struct HttpReply {
  int status = 0;
  std::string body;
};

// One request over a fresh loopback connection; nullopt on a connection or protocol error.
using Headers = std::vector<std::pair<std::string, std::string>>;

std::optional<HttpReply> http_call(int port, http::verb verb, const std::string& target,
                                   const std::string& body, const Headers& headers) {
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(20s);
  beast::error_code ec;
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                                static_cast<unsigned short>(port)),
                 ec);
  if (ec) return std::nullopt;
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return std::nullopt;
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res, ec);
  if (ec) return std::nullopt;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return HttpReply{static_cast<int>(res.result_int()), res.body()};
}

// "sha256=<hex HMAC-SHA256(secret, body)>", as a webhook sender computes it.
std::string sign(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len) ==
      nullptr) {
    die("HMAC failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

// The manager's /metrics page: sums of the samples of a family whose labels contain a text.
class MetricsPage {
 public:
  explicit MetricsPage(int metrics_port) {
    auto reply = http_call(metrics_port, http::verb::get, "/metrics", "", {});
    if (!reply || reply->status != 200) die("GET /metrics of the manager failed");
    text_ = std::move(reply->body);
  }
  double sum(const std::string& family, const std::string& label = "") const {
    double total = 0;
    std::istringstream lines(text_);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(family, 0) != 0) continue;
      const std::size_t after = family.size();
      if (after < line.size() && line[after] != '{' && line[after] != ' ') continue;
      if (!label.empty() && line.find(label) == std::string::npos) continue;
      total += std::atof(line.substr(line.rfind(' ')).c_str());
    }
    return total;
  }

 private:
  std::string text_;
};

// What the steady-state figures need from one /metrics page.
struct ManagerCounters {
  std::uint64_t lists = 0;        // cairn_feed_lists_total
  std::uint64_t list_errors = 0;  // of which result="error"
  std::map<std::string, std::uint64_t> requests;  // rest_client_requests_total by method
};

ManagerCounters counters_of(const MetricsPage& page) {
  ManagerCounters c;
  c.lists = static_cast<std::uint64_t>(page.sum("cairn_feed_lists_total"));
  c.list_errors =
      static_cast<std::uint64_t>(page.sum("cairn_feed_lists_total", "result=\"error\""));
  for (const char* method : {"GET", "PATCH", "PUT", "POST", "DELETE"}) {
    c.requests[method] = static_cast<std::uint64_t>(
        page.sum("rest_client_requests_total", std::string("method=\"") + method + "\""));
  }
  return c;
}

struct Memory {
  double rss_mib = 0;
  double hwm_mib = 0;
  // The part of RSS that is anonymous memory (heap, stacks); the rest is file-backed pages
  // (the program's and its libraries' code and read-only data).
  double anon_mib = 0;
};

double kib_field(const std::string& line, std::size_t label) {
  return std::stod(line.substr(label)) / 1024.0;
}

Memory memory_of(pid_t pid) {
  const std::string proc = "/proc/" + std::to_string(pid);
  Memory m;
  std::string line;
  std::ifstream status(proc + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) m.rss_mib = kib_field(line, 6);
    if (line.rfind("VmHWM:", 0) == 0) m.hwm_mib = kib_field(line, 6);
  }
  std::ifstream rollup(proc + "/smaps_rollup");
  while (std::getline(rollup, line)) {
    if (line.rfind("Anonymous:", 0) == 0) m.anon_mib = kib_field(line, 10);
  }
  return m;
}

void check_alive(Process& child, const char* what) {
  int status = 0;
  if (::waitpid(child.pid(), &status, WNOHANG) == child.pid()) {
    const pid_t pid = child.pid();
    child.forget();
    std::erase(g_cleanup.children, pid);
    die(std::string(what) + " exited; its log ends with:\n" + tail(child.log()));
  }
}

// ------------------------------------------------------------------ API helpers

// The store's latest revision: the resourceVersion of any list.
std::int64_t store_revision(Client& client) {
  cairn::kube::ListOptions o;
  o.limit = 1;
  auto list = client.list(kNamespaceKind, "", o);
  if (!list) die("list namespaces: " + list.error().message);
  return std::stoll((*list)["metadata"]["resourceVersion"].get<std::string>());
}

json list_all(Client& client, const GroupVersionKind& gvk) {
  auto list = client.list_all(gvk, "");
  if (!list) die("list " + gvk.kind + ": " + list.error().message);
  return std::move(*list);
}

std::string namespace_of(int n) {
  char name[32];
  std::snprintf(name, sizeof name, "bench-%03d", n);
  return name;
}

// Records when each ClusterClass (name, namespace) was first added, from one watch over every
// namespace started at a given revision (re-watched from the last event when the server ends
// it).
class ClassWatcher {
 public:
  ClassWatcher(Client& client, std::int64_t revision)
      : client_(client), revision_(std::to_string(revision)) {
    thread_ = std::thread([this] { run(); });
  }
  ~ClassWatcher() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (stream_) stream_->cancel();
    }
    thread_.join();
  }
  ClassWatcher(const ClassWatcher&) = delete;
  ClassWatcher& operator=(const ClassWatcher&) = delete;

  // The times `name` was added, one per namespace, in order, once `count` namespaces have it or
  // `limit` passed (then fewer).
  std::vector<SteadyClock::time_point> wait_for(const std::string& name, std::size_t count,
                                                std::chrono::seconds limit) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, limit, [&] { return added_[name].size() >= count; });
    std::vector<SteadyClock::time_point> out;
    for (const auto& [ns, at] : added_[name]) out.push_back(at);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::optional<SteadyClock::time_point> added_at(const std::string& name, const std::string& ns) {
    std::lock_guard lock(mu_);
    auto it = added_[name].find(ns);
    if (it == added_[name].end()) return std::nullopt;
    return it->second;
  }
  int rewatches() const { return rewatches_; }

 private:
  void run() {
    std::string revision = revision_;
    for (;;) {
      cairn::kube::WatchOptions o;
      o.resource_version = revision;
      auto stream = client_.watch(kClassKind, "", o);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        if (stream) stream_ = std::move(*stream);
      }
      if (!stream) {
        std::this_thread::sleep_for(200ms);
        continue;
      }
      for (;;) {
        auto event = stream_->next();
        if (!event || !*event) {
          if (!event && cairn::kube::is_gone(event.error())) revision.clear();
          break;
        }
        const std::string rv = (*event)->resource_version();
        if (!rv.empty()) revision = rv;
        if ((*event)->type != cairn::kube::EventType::kAdded) continue;
        const json& meta = (*event)->object["metadata"];
        std::lock_guard lock(mu_);
        added_[meta.value("name", "")].emplace(meta.value("namespace", ""), SteadyClock::now());
        cv_.notify_all();
      }
      std::lock_guard lock(mu_);
      stream_.reset();
      if (stopping_) return;
      ++rewatches_;
    }
  }

  Client& client_;
  const std::string revision_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unique_ptr<cairn::kube::WatchStream> stream_;  // replaced only by the watch thread
  std::map<std::string, std::map<std::string, SteadyClock::time_point>> added_;
  std::atomic<int> rewatches_{0};
  std::thread thread_;
};

// What changed after `revision`: per kind, the objects whose resourceVersion is newer, with the
// field managers of their managedFields entries written since `since` (RFC 3339, UTC). Deleted
// objects are not seen. For explaining steady-state writes.
void explain_writes(Client& client, std::int64_t revision, const std::string& since) {
  auto resources = client.resources();
  if (!resources) die("discovery: " + resources.error().message);
  bool any = false;
  std::set<std::string> seen;  // group/kind: a kind served in several versions is listed once
  for (const auto& r : *resources) {
    if (std::find(r.verbs.begin(), r.verbs.end(), "list") == r.verbs.end()) continue;
    if (!seen.insert(r.gvk.group + "/" + r.gvk.kind).second) continue;
    auto list = client.list_all(r.gvk, "");
    if (!list) continue;
    int changed = 0;
    std::map<std::string, int> managers;
    std::string example;
    for (const json& item : (*list)["items"]) {
      const json& meta = item["metadata"];
      if (std::stoll(meta.value("resourceVersion", "0")) <= revision) continue;
      ++changed;
      if (example.empty()) example = meta.value("namespace", "") + "/" + meta.value("name", "");
      for (const json& entry : meta.value("managedFields", json::array())) {
        if (entry.value("time", "") < since) continue;
        std::string who = entry.value("manager", "?") + " " + entry.value("operation", "?");
        if (entry.contains("subresource")) who += " /" + entry.value("subresource", "");
        ++managers[who];
      }
    }
    if (changed == 0) continue;
    any = true;
    std::printf("    %s: %d objects changed (e.g. %s); managers:", r.gvk.kind.c_str(), changed,
                example.c_str());
    for (const auto& [who, n] : managers) std::printf(" [%s] x%d", who.c_str(), n);
    std::printf("\n");
  }
  if (!any) std::printf("    no live object changed: the writes were deletions\n");
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "1.234 s", or "n/a" for a time not reached (negative).
std::string format_seconds(double s) {
  if (s < 0) return "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

const char* verdict(bool met) { return met ? "met" : "MISSED"; }

}  // namespace

int main(int argc, char** argv) {
  std::string cairn = std::string(CAIRN_BINARY_DIR) + "/cairn";
  int namespaces = 100;
  int feeds = 10;
  int steady_seconds = 600;
  int sync_period = 60;
  int source_interval = 30;
  int writers = 8;
  int webhook_rounds = 3;
  int converge_timeout = 3600;
  std::string log_level = "error";
  bool keep = false;
  std::vector<std::string> manager_args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + arg);
      return argv[++i];
    };
    auto number = [&](int low) { return std::max(low, std::atoi(value().c_str())); };
    if (arg == "--cairn") {
      cairn = value();
    } else if (arg == "--namespaces") {
      namespaces = number(1);
    } else if (arg == "--feeds") {
      feeds = number(1);
    } else if (arg == "--steady-seconds") {
      steady_seconds = number(1);
    } else if (arg == "--sync-period") {
      sync_period = number(1);
    } else if (arg == "--source-interval") {
      source_interval = number(1);
    } else if (arg == "--writers") {
      writers = number(1);
    } else if (arg == "--webhook-rounds") {
      webhook_rounds = number(0);
    } else if (arg == "--converge-timeout") {
      converge_timeout = number(1);
    } else if (arg == "--log-level") {
      log_level = value();
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--manager-arg") {
      manager_args.push_back(value());
    } else {
      die("usage: controllers_bench [--cairn PATH] [--namespaces N] [--feeds F] "
          "[--steady-seconds S] [--sync-period S] [--source-interval S] [--writers W] "
          "[--webhook-rounds K] [--converge-timeout S] [--log-level L] [--keep] "
          "[--manager-arg ARG]...");
    }
  }
  const int stacks = namespaces * feeds;
  cairn::kube::configure_logging(cairn::kube::LogFormat::kText, cairn::kube::LogLevel::kError);

  TempDir work("cairn-controllers-bench");
  g_cleanup.work = work.path();
  std::vector<fs::path> feed_dirs;
  std::vector<std::string> feed_urls;
  for (int f = 0; f < feeds; ++f) {
    feed_dirs.push_back(work / "feeds" / ("feed" + std::to_string(f)));
    fs::create_directories(feed_dirs.back());
    for (int v = 1; v <= kReleases; ++v) publish(feed_dirs.back(), f, v);
    feed_urls.push_back("file://" + feed_dirs.back().string());
  }

  // The API server.
  const int api_port = free_port();
  const fs::path kubeconfig = work / "kubeconfig";
  Process apiserver({cairn, "apiserver", "--insecure", "--listen",
                     "127.0.0.1:" + std::to_string(api_port), "--data-dir",
                     (work / "data").string(), "--kubeconfig-out", kubeconfig.string()},
                    work / "apiserver.log");
  g_cleanup.children.push_back(apiserver.pid());
  if (!wait_for_port(api_port, 60s)) die("cairn apiserver did not start:\n" + apiserver.log());
  for (int i = 0; i < 100 && !fs::exists(kubeconfig); ++i) std::this_thread::sleep_for(100ms);
  cairn::kube::KubeconfigOptions ko;
  ko.path = kubeconfig;
  auto rest = cairn::kube::load_kubeconfig(ko);
  if (!rest) die("kubeconfig: " + rest.error().message);
  rest->qps = 0;
  cairn::kube::ClientOptions co;
  co.transport.max_idle_connections = static_cast<std::size_t>(writers) + 2;
  auto created_client = Client::create(*rest, co);
  if (!created_client) die("client: " + created_client.error().message);
  Client& client = **created_client;
  if (auto r = cairn::controllers::install_crds(client, true, 60s); !r) {
    die("install_crds: " + r.error().message);
  }
  parallel(namespaces, writers, [&](int n) {
    auto r = client.create(json{{"apiVersion", "v1"},
                                {"kind", "Namespace"},
                                {"metadata", {{"name", namespace_of(n)}}}});
    if (!r) die("create namespace: " + r.error().message);
  });

  // The manager.
  const int metrics_port = free_port();
  const int webhook_port = free_port();
  std::string secret;
  {
    std::random_device random;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) secret += kHex[random() % 16];
  }
  const fs::path secret_file = work / "webhook-secret";
  write_text(secret_file, secret + "\n");
  fs::permissions(secret_file, fs::perms::owner_read | fs::perms::owner_write);
  std::vector<std::string> manager_argv = {
      cairn,
      "manager",
      "--kubeconfig",
      kubeconfig.string(),
      "--leader-elect=false",
      "--cache-dir",
      (work / "cache").string(),
      "--allowed-source",
      "file://" + (work / "feeds").string() + "/*",
      "--source-interval",
      std::to_string(source_interval) + "s",
      "--release-webhook-bind-address",
      "127.0.0.1:" + std::to_string(webhook_port),
      "--release-webhook-secret-file",
      secret_file.string(),
      "--metrics-bind-address",
      "127.0.0.1:" + std::to_string(metrics_port),
      "--health-probe-bind-address",
      "0",
      "--sync-period",
      std::to_string(sync_period),
      "--log-level",
      log_level};
  manager_argv.insert(manager_argv.end(), manager_args.begin(), manager_args.end());
  std::string manager_line;
  for (std::size_t i = 1; i < manager_argv.size(); ++i) manager_line += " " + manager_argv[i];
  Process manager(manager_argv, work / "manager.log");
  g_cleanup.children.insert(g_cleanup.children.begin(), manager.pid());
  if (!wait_for_port(metrics_port, 60s) || !wait_for_port(webhook_port, 60s)) {
    check_alive(manager, "cairn manager");
    die("cairn manager does not serve /metrics or the webhook receiver:\n" + manager.log());
  }
  std::printf("controllers_bench: %d ClusterStacks (%d namespaces x %d feeds, %d releases each); "
              "manager pid %d:\n  cairn%s\n",
              stacks, namespaces, feeds, kReleases, static_cast<int>(manager.pid()),
              manager_line.c_str());
  std::fflush(stdout);

  // 1. Converge.
  const std::int64_t rv_before = store_revision(client);
  const auto t0 = SteadyClock::now();
  parallel(stacks, writers, [&](int i) {
    const int f = i % feeds;
    const std::string name = "demo" + std::to_string(f);
    json stack = {{"apiVersion", "clusterstack.x-k8s.io/v1alpha1"},
                  {"kind", "ClusterStack"},
                  {"metadata", {{"name", name}, {"namespace", namespace_of(i / feeds)}}},
                  {"spec",
                   {{"provider", "docker"},
                    {"name", name},
                    {"kubernetesVersion", "1.32"},
                    {"channel", "stable"},
                    {"autoSubscribe", true},
                    {"noProvider", true},
                    {"versions", json::array()},
                    {"source", {{"url", feed_urls[static_cast<std::size_t>(f)]}}}}}};
    auto r = client.create(stack);
    if (!r) die("create ClusterStack: " + r.error().message);
  });
  const double create_s = seconds_since(t0);
  std::printf("created %d ClusterStacks in %.1f s with %d client threads\n", stacks, create_s,
              writers);
  std::fflush(stdout);
  int ready = 0;
  auto last_progress = SteadyClock::now();
  for (;;) {
    const json list = list_all(client, kStackKind);
    ready = 0;
    for (const json& item : list["items"]) {
      if (cairn::kube::is_condition_true(item, "Ready")) ++ready;
    }
    if (ready == stacks) break;
    check_alive(manager, "cairn manager");
    if (seconds_since(t0) > converge_timeout) {
      die(std::to_string(ready) + " of " + std::to_string(stacks) + " stacks Ready after " +
          std::to_string(converge_timeout) + " s; the manager's log ends with:\n" +
          tail(manager.log()));
    }
    if (seconds_since(last_progress) >= 30) {
      last_progress = SteadyClock::now();
      const Memory m = memory_of(manager.pid());
      std::printf("  %6.0f s: %d/%d stacks Ready, %lld API writes, manager RSS %.1f MiB\n",
                  seconds_since(t0), ready, stacks,
                  static_cast<long long>(store_revision(client) - rv_before), m.rss_mib);
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(2s);
  }
  const double converge_s = seconds_since(t0);
  const std::int64_t rv_converged = store_revision(client);
  const Memory mem_converged = memory_of(manager.pid());
  std::printf("converged: %d/%d stacks Ready after %.1f s; %lld API writes (%.1f per stack); "
              "manager VmRSS %.1f MiB (%.1f MiB anonymous, %.1f MiB file-backed), VmHWM "
              "%.1f MiB\n",
              ready, stacks, converge_s, static_cast<long long>(rv_converged - rv_before),
              static_cast<double>(rv_converged - rv_before) / stacks, mem_converged.rss_mib,
              mem_converged.anon_mib, mem_converged.rss_mib - mem_converged.anon_mib,
              mem_converged.hwm_mib);
  std::fflush(stdout);

  // 2 and 3. Steady state.
  DirOpenCounter opens(feed_dirs);
  const std::string window_start = utc_now();
  const std::int64_t rv_start = store_revision(client);
  const ManagerCounters counters_start = counters_of(MetricsPage(metrics_port));
  const std::vector<std::uint64_t> opens_start = opens.counts();
  const auto w0 = SteadyClock::now();
  std::int64_t rv_last = rv_start;
  std::uint64_t lists_last = counters_start.lists;
  for (int t = 0; t < steady_seconds;) {
    const int step = std::min(60, steady_seconds - t);
    std::this_thread::sleep_until(w0 + std::chrono::seconds(t + step));
    t += step;
    check_alive(manager, "cairn manager");
    const std::int64_t rv = store_revision(client);
    const MetricsPage page(metrics_port);
    const std::uint64_t l = counters_of(page).lists;
    std::printf("  steady %4d s: %+lld API writes, +%llu feed lists; ClusterStackRelease queue "
                "depth %.0f, ClusterStack queue depth %.0f\n",
                t, static_cast<long long>(rv - rv_last),
                static_cast<unsigned long long>(l - lists_last),
                page.sum("workqueue_depth", "name=\"clusterstackrelease\""),
                page.sum("workqueue_depth", "name=\"clusterstack\""));
    std::fflush(stdout);
    rv_last = rv;
    lists_last = l;
  }
  const double window_s = seconds_since(w0);
  const std::int64_t rv_end = store_revision(client);
  const ManagerCounters counters_end = counters_of(MetricsPage(metrics_port));
  const std::vector<std::uint64_t> opens_end = opens.counts();
  const Memory mem_steady = memory_of(manager.pid());
  const std::int64_t steady_writes = rv_end - rv_start;
  const std::uint64_t lists = counters_end.lists - counters_start.lists;
  const std::uint64_t list_errors = counters_end.list_errors - counters_start.list_errors;
  std::string requests;
  std::uint64_t requests_total = 0;
  for (const auto& [method, n] : counters_end.requests) {
    const std::uint64_t d = n - counters_start.requests.at(method);
    requests_total += d;
    if (d > 0) requests += " " + method + " " + std::to_string(d);
  }
  std::uint64_t opens_min = ~0ull, opens_max = 0, opens_sum = 0;
  for (std::size_t f = 0; f < feed_dirs.size(); ++f) {
    const std::uint64_t n = opens_end[f] - opens_start[f];
    opens_min = std::min(opens_min, n);
    opens_max = std::max(opens_max, n);
    opens_sum += n;
  }
  const double intervals = window_s / source_interval;
  const double lists_per_interval = static_cast<double>(lists) / feeds / intervals;
  // A poll every interval, counted from the end of the previous list, fits at most
  // floor(intervals) + 1 lists into the window, depending on where the window starts.
  const auto most_lists = static_cast<std::uint64_t>(intervals) + 1;
  std::printf("  manager API requests over the window: %llu (%.1f/s):%s\n",
              static_cast<unsigned long long>(requests_total), requests_total / window_s,
              requests.c_str());
  if (steady_writes != 0) {
    std::printf("  steady-state writers (objects with a newer resourceVersion):\n");
    explain_writes(client, rv_start, window_start);
  }

  // 5. New tag -> ClusterClass through the webhook receiver.
  struct Round {
    int version = 0;
    int http_status = 0;
    std::string answer;
    double release_queue = 0;  // ClusterStackRelease work queue depth just before the POST
    double stack_queue = 0;    // ClusterStack work queue depth just before the POST
    double ns0_s = -1;         // the first namespace (bench-000); -1: not within the limit
    double first_s = -1;       // the earliest namespace
    double median_s = -1;
    double all_s = -1;         // the last namespace; -1 when not all within the limit
    std::size_t seen = 0;
  };
  constexpr auto kRoundLimit = std::chrono::seconds(300);
  std::vector<Round> rounds;
  {
    ClassWatcher watcher(client, store_revision(client));
    for (int r = 0; r < webhook_rounds; ++r) {
      Round round;
      round.version = kReleases + 1 + r;
      const std::string cls = class_of(0, round.version);
      publish(feed_dirs[0], 0, round.version);
      {
        const MetricsPage page(metrics_port);
        round.release_queue = page.sum("workqueue_depth", "name=\"clusterstackrelease\"");
        round.stack_queue = page.sum("workqueue_depth", "name=\"clusterstack\"");
      }
      const std::string body = json{{"source", feed_urls[0]}}.dump();
      const auto posted = SteadyClock::now();
      auto reply = http_call(webhook_port, http::verb::post, "/hooks/releases/generic", body,
                             {{"Content-Type", "application/json"},
                              {"X-Cairn-Signature-256", sign(secret, body)}});
      if (!reply) die("POST to the webhook receiver failed");
      round.http_status = reply->status;
      round.answer = reply->body;
      while (!round.answer.empty() &&
             std::isspace(static_cast<unsigned char>(round.answer.back())) != 0) {
        round.answer.pop_back();
      }
      const auto times =
          watcher.wait_for(cls, static_cast<std::size_t>(namespaces), kRoundLimit);
      round.seen = times.size();
      if (!times.empty()) {
        round.first_s = seconds_between(posted, times.front());
        round.median_s = seconds_between(posted, times[times.size() / 2]);
      }
      if (times.size() == static_cast<std::size_t>(namespaces)) {
        round.all_s = seconds_between(posted, times.back());
      }
      if (auto at = watcher.added_at(cls, namespace_of(0))) {
        round.ns0_s = seconds_between(posted, *at);
      }
      std::printf("  webhook v%d: HTTP %d %s (work queues before the POST: ClusterStackRelease "
                  "%.0f, ClusterStack %.0f)\n"
                  "    %s: first namespace %s; earliest %s, median %s, all %zu/%d %s\n",
                  round.version, round.http_status, round.answer.c_str(), round.release_queue,
                  round.stack_queue, cls.c_str(), format_seconds(round.ns0_s).c_str(),
                  format_seconds(round.first_s).c_str(), format_seconds(round.median_s).c_str(),
                  round.seen, namespaces, format_seconds(round.all_s).c_str());
      std::fflush(stdout);
      rounds.push_back(round);
      // Let the round finish (feed 0's stacks Ready on the new release, the replaced releases
      // collected) before the next tag, so rounds do not overlap.
      const auto settle = SteadyClock::now();
      const std::string latest = class_of(0, round.version) + " ";
      const std::string prefix = stack_of(0) + "-";
      int done = 0;
      int releases = 0;
      while (SteadyClock::now() - settle < kRoundLimit) {
        done = 0;
        const json stack_list = list_all(client, kStackKind);
        for (const json& item : stack_list["items"]) {
          if (item["metadata"].value("name", "") == "demo0" &&
              cairn::kube::is_condition_true(item, "Ready") &&
              item["status"].value("latestRelease", "").rfind(latest, 0) == 0) {
            ++done;
          }
        }
        releases = 0;
        const json release_list = list_all(client, kReleaseKind);
        for (const json& item : release_list["items"]) {
          if (item["metadata"].value("name", "").rfind(prefix, 0) == 0) ++releases;
        }
        if (done == namespaces && releases == namespaces) break;
        std::this_thread::sleep_for(1s);
      }
      std::printf("    settled after %.1f s: %d/%d demo0 stacks Ready on v%d, %d %s* releases\n",
                  seconds_since(settle), done, namespaces, round.version, releases,
                  prefix.c_str());
    }
    if (watcher.rewatches() > 0) {
      std::printf("  (the ClusterClass watch was re-established %d times)\n", watcher.rewatches());
    }
  }
  const Memory mem_end = memory_of(manager.pid());

  // Summary.
  const double target_mib = 50;
  std::printf("\n== controllers_bench summary ==\n");
  std::printf("setup: %d ClusterStacks = %d namespaces x %d file:// feeds, %d releases each; "
              "manager --sync-period %d s, --source-interval %d s%s\n",
              stacks, namespaces, feeds, kReleases, sync_period, source_interval,
              manager_args.empty() ? "" : " (+ --manager-arg flags above)");
  std::printf("1. converge: %.1f s from the first create to %d/%d stacks Ready (creates took "
              "%.1f s); %lld API writes\n",
              converge_s, ready, stacks, create_s,
              static_cast<long long>(rv_converged - rv_before));
  std::printf("2. steady-state API writes: %lld over %.0f s (%.1f resyncs) (target 0: %s)\n",
              static_cast<long long>(steady_writes), window_s, window_s / sync_period,
              verdict(steady_writes == 0));
  std::printf("3. feed lists: %.2f per feed per %d s interval (cairn_feed_lists_total: %llu "
              "lists, %llu failed, %d feeds, %.1f intervals; inotify opens per feed min %llu "
              "max %llu, total %llu) (target 1: %s)\n",
              lists_per_interval, source_interval, static_cast<unsigned long long>(lists),
              static_cast<unsigned long long>(list_errors), feeds, intervals,
              static_cast<unsigned long long>(opens_min),
              static_cast<unsigned long long>(opens_max),
              static_cast<unsigned long long>(opens_sum),
              verdict(lists <= most_lists * static_cast<std::uint64_t>(feeds) &&
                      opens_max <= most_lists));
  std::printf("4. manager RSS: converged VmRSS %.1f / VmHWM %.1f MiB; after steady window "
              "%.1f / %.1f MiB; end %.1f / %.1f MiB, of which %.1f MiB anonymous (target under "
              "%.0f MiB: %s)\n",
              mem_converged.rss_mib, mem_converged.hwm_mib, mem_steady.rss_mib,
              mem_steady.hwm_mib, mem_end.rss_mib, mem_end.hwm_mib, mem_end.anon_mib, target_mib,
              verdict(mem_end.hwm_mib < target_mib));
  bool webhook_met = true;
  for (const Round& round : rounds) {
    webhook_met = webhook_met && round.ns0_s >= 0 && round.ns0_s < 2.0;
    std::printf("5. webhook v%d -> ClusterClass: first namespace %s, all %zu/%d namespaces %s "
                "(release queue depth at the POST %.0f)\n",
                round.version, format_seconds(round.ns0_s).c_str(), round.seen, namespaces,
                format_seconds(round.all_s).c_str(), round.release_queue);
  }
  std::printf("5. new tag -> ClusterClass in the first namespace through the webhook (target "
              "under 2 s): %s\n",
              rounds.empty() ? "not measured (--webhook-rounds 0)" : verdict(webhook_met));
  const Memory api_mem = memory_of(apiserver.pid());
  std::printf("(apiserver VmRSS %.1f MiB, VmHWM %.1f MiB at the end)\n", api_mem.rss_mib,
              api_mem.hwm_mib);
  manager.stop();
  apiserver.stop();
  if (keep) {
    const fs::path kept = work.path().string() + "-kept";
    fs::rename(work.path(), kept);
    std::printf("work directory kept: %s (manager.log, apiserver.log, data/, cache/, feeds/)\n",
                kept.c_str());
  }
  return 0;
}
