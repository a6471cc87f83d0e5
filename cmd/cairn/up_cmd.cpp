// `cairn up`: the whole of cairn on one machine in one process — the embedded API server in
// --data-dir, cairn's CRDs and permissive Cluster API CRDs installed by server-side apply, and
// the manager with the ClusterStack and ClusterStackRelease controllers; with --demo also a
// local Git feed of the example stack and a ClusterStack subscribed to it (docs/up.md).
//
// Threads: main runs the start-up and then Manager::run(); one thread sigwait()s for
// SIGTERM/SIGINT (blocked everywhere) and stops whatever is running; one thread prints the
// how-to once the manager's endpoints are up.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/server.h"
#include "cmd/cairn/commands.h"
#include "cmd/cairn/controller_flags.h"
#include "cmd/cairn/demo_feed.h"
#include "controllers/setup.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/log.h"
#include "kube/manager.h"
#include "kube/probe_server.h"

namespace cairn::cmd {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr auto kCrdDeadline = std::chrono::seconds(60);
constexpr const char* kFieldManager = "cairn";
constexpr const char* kDemoFieldManager = "cairn-demo";

struct UpFlags {
  std::string data_dir = ".cairn";
  std::string listen = "127.0.0.1:6443";
  bool demo = false;
  std::string demo_source;
  std::string metrics_bind_address = "127.0.0.1:0";
  std::string health_probe_bind_address = "127.0.0.1:0";
  std::string log_format = "text";
  std::string log_level = "info";
  double sync_period = 300;  // seconds
  ControllerFlags controllers;
};

// What the signal thread and the main thread share: a stop request, and the manager to stop
// once it exists.
class Shutdown {
 public:
  void request() {
    std::lock_guard<std::mutex> lock(mu_);
    requested_ = true;
    if (manager_ != nullptr) manager_->stop();
  }
  bool requested() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requested_;
  }
  // False when a stop was requested before the manager could be attached.
  bool attach(kube::Manager* manager) {
    std::lock_guard<std::mutex> lock(mu_);
    manager_ = manager;
    return !requested_;
  }
  void detach() {
    std::lock_guard<std::mutex> lock(mu_);
    manager_ = nullptr;
  }

 private:
  mutable std::mutex mu_;
  bool requested_ = false;
  kube::Manager* manager_ = nullptr;
};

// The data directory lock: one `cairn up` per directory. flock(2) on DIR/up.lock, released by
// the kernel when the process ends however it ends; the file holds the owner's pid for the
// message a second `cairn up` prints.
class DataDirLock {
 public:
  static tl::expected<std::unique_ptr<DataDirLock>, std::string> acquire(const fs::path& dir) {
    const fs::path path = dir / "up.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return tl::unexpected("cannot open " + path.string() + ": " + std::strerror(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char pid[32] = {};
      const ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
      ::close(fd);
      if (err != EWOULDBLOCK) {
        return tl::unexpected("cannot lock " + path.string() + ": " + std::strerror(err));
      }
      std::string owner = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
      while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
      return tl::unexpected(dir.string() + " is in use by another cairn up" +
                            (owner.empty() ? "" : " (pid " + owner + ")") +
                            "; stop it first, or choose another --data-dir");
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The pid only improves a message; the lock itself is held.
    }
    return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
  }
  ~DataDirLock() { ::close(fd_); }
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};


// Applies the demo objects. Each line of the result says what happened to one object.
tl::expected<std::vector<std::string>, std::string> apply_demo_objects(
    kube::Client& client, const sources::FeedUrl& feed) {
  std::vector<std::string> report;
  kube::PatchOptions apply;
  apply.field_manager = kDemoFieldManager;
  for (const json& object : demo_objects(feed)) {
    auto gvk = kube::GroupVersionKind::of(object);
    if (!gvk) return tl::unexpected(gvk.error().to_string());
    const std::string ns = object["metadata"].value("namespace", "");
    const std::string name = object["metadata"]["name"].get<std::string>();
    const std::string what =
        object["kind"].get<std::string>() + " " + (ns.empty() ? name : ns + "/" + name);
    auto existing = client.get(*gvk, ns, name);
    if (!existing && !kube::is_not_found(existing.error())) {
      return tl::unexpected("cannot read " + what + ": " + existing.error().to_string());
    }
    auto applied = client.apply(object, apply);
    if (!applied && kube::is_conflict(applied.error())) {
      // Someone changed fields the demo set (e.g. kubectl edit of spec.versions): keep theirs.
      report.push_back(what + " kept as changed by another field manager");
      continue;
    }
    if (!applied) {
      return tl::unexpected("cannot apply " + what + ": " + applied.error().to_string());
    }
    report.push_back(what + (existing ? " exists (re-applied)" : " created"));
  }
  return report;
}

// "http://HOST:PORT" for a bind address ("" and wildcard hosts print as 127.0.0.1).
std::string endpoint_url(const std::string& bind_address, std::uint16_t port) {
  std::string host = "127.0.0.1";
  auto parsed = kube::parse_bind_address(bind_address);
  if (parsed && !parsed->first.empty() && parsed->first != "0.0.0.0" && parsed->first != "::" &&
      parsed->first != "[::]") {
    host = parsed->first.find(':') != std::string::npos ? "[" + parsed->first + "]" : parsed->first;
  }
  return "http://" + host + ":" + std::to_string(port);
}

bool enabled(const std::string& bind_address) {
  return !bind_address.empty() && bind_address != "0";
}

int run_up(UpFlags flags) {
  // SIGTERM/SIGINT are taken by sigwait() on a dedicated thread, in every thread started later.
  sigset_t signals = block_termination_signals();

  if (!configure_logging_flags("up", flags.log_format, flags.log_level)) return 2;
  if (flags.data_dir.empty()) {
    std::cerr << "cairn up: --data-dir: must not be empty\n";
    return 2;
  }
  std::error_code ec;
  const fs::path data_dir = fs::absolute(flags.data_dir, ec).lexically_normal();
  if (ec) {
    std::cerr << "cairn up: --data-dir: " << flags.data_dir << ": " << ec.message() << "\n";
    return 2;
  }
  if (flags.controllers.cache_dir.empty()) {
    flags.controllers.cache_dir = (data_dir / "cache").string();
  }
  auto options = controllers_options(flags.controllers, sources::process_env);
  if (!options) {
    std::cerr << "cairn up: " << options.error().message << "\n";
    return 2;
  }
  if (auto listen = apiserver::parse_listen_address(flags.listen); !listen) {
    std::cerr << "cairn up: --listen: " << listen.error().message << "\n";
    return 2;
  }
  fs::path demo_example;
  if (flags.demo) {
    auto found = find_demo_example(flags.demo_source);
    if (!found) {
      std::cerr << "cairn up: --demo: " << found.error().message << "\n";
      return 2;
    }
    demo_example = *found;
  }
  kube::Logger log = kube::Logger::root().with("component", "up");

  fs::create_directories(data_dir, ec);
  if (ec) {
    std::cerr << "cairn up: cannot create " << data_dir.string() << ": " << ec.message() << "\n";
    return 1;
  }
  auto lock = DataDirLock::acquire(data_dir);
  if (!lock) {
    std::cerr << "cairn up: " << lock.error() << "\n";
    return 1;
  }

  Shutdown shutdown;
  std::atomic<bool> finished{false};
  std::thread signal_thread([&signals, &finished, &shutdown, log] {
    int received = 0;
    sigwait(&signals, &received);
    if (finished) return;  // woken by ourselves at the end
    log.info("signal received, shutting down",
             {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
    shutdown.request();
  });
  // Ends the signal thread (waking it when no signal came) and returns `code`.
  auto finish = [&](int code) {
    finished = true;
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
    return code;
  };

  apiserver::ApiServerConfig server_config;
  server_config.data_dir = data_dir;
  server_config.listen = flags.listen;
  server_config.kubeconfig_out = data_dir / "kubeconfig";
  auto server = apiserver::ApiServer::start(server_config);
  if (!server) {
    std::cerr << "cairn up: cannot start the API server: " << server.error().message << "\n";
    return finish(1);
  }
  log.info("API server started",
           {{"url", (*server)->url()}, {"kubeconfig", (*server)->kubeconfig().string()}});

  kube::KubeconfigOptions kubeconfig;
  kubeconfig.path = (*server)->kubeconfig();
  auto rest = kube::load_kubeconfig(kubeconfig);
  if (!rest) {
    std::cerr << "cairn up: cannot load " << kubeconfig.path.string() << ": "
              << rest.error().to_string() << "\n";
    return finish(1);
  }
  rest->qps = 50;
  rest->burst = 100;
  auto client = kube::Client::create(*rest);
  if (!client) {
    std::cerr << "cairn up: " << client.error().to_string() << "\n";
    return finish(1);
  }

  auto installed = controllers::install_crds(**client, true, kCrdDeadline, kFieldManager);
  if (!installed) {
    std::cerr << "cairn up: " << installed.error().message << "\n";
    return finish(1);
  }
  if (shutdown.requested()) return finish(0);
  log.info("CRDs installed");

  std::vector<std::string> demo_report;
  if (flags.demo) {
    auto feed = ensure_demo_feed(data_dir / "demo-feed", demo_example);
    if (!feed) {
      std::cerr << "cairn up: --demo: " << feed.error().message << "\n";
      return finish(1);
    }
    std::string tags;
    for (const std::string& tag : feed->tags) tags += (tags.empty() ? "" : ", ") + tag;
    demo_report.push_back("Git feed " + feed->url.str() + " (from " + demo_example.string() +
                          "): " + (feed->created.empty() ? "tags present: " : "tags created: ") +
                          tags);
    allow_source(*options, feed->url);
    auto applied = apply_demo_objects(**client, feed->url);
    if (!applied) {
      std::cerr << "cairn up: --demo: " << applied.error() << "\n";
      return finish(1);
    }
    for (auto& line : *applied) demo_report.push_back(std::move(line));
  }

  kube::ManagerOptions manager_options;
  manager_options.rest = *rest;
  manager_options.leader_elect = false;
  manager_options.metrics_bind_address = flags.metrics_bind_address;
  manager_options.health_probe_bind_address = flags.health_probe_bind_address;
  manager_options.sync_period =
      std::chrono::milliseconds(static_cast<std::int64_t>(flags.sync_period * 1000));
  manager_options.logger = kube::Logger::root();
  auto manager = kube::Manager::create(manager_options);
  if (!manager) {
    std::cerr << "cairn up: " << manager.error().message << "\n";
    return finish(manager.error().kind == kube::ErrorKind::kConfig ? 2 : 1);
  }
  kube::Manager* m = manager->get();
  log.info("release feeds", {{"feeds", describe_feeds(*options)}});
  const std::string webhook_bind = options->webhook_bind_address;
  auto controllers = controllers::Controllers::create(*m, std::move(*options));
  if (!controllers) {
    std::cerr << "cairn up: " << controllers.error().message << "\n";
    return finish(controllers.error().kind == kube::ErrorKind::kConfig ? 2 : 1);
  }

  std::ostringstream howto;
  const fs::path kubeconfig_path = (*server)->kubeconfig();
  howto << "\n  export KUBECONFIG=" << kubeconfig_path.string() << "\n"
        << "  kubectl get clusterstacks -A\n"
        << "  kubectl get clusterstackreleases,clusterclasses -A\n\n";
  if (!demo_report.empty()) {
    howto << "Demo:\n";
    for (const auto& line : demo_report) howto << "  " << line << "\n";
    howto << "\n";
  }
  howto << "Logs go to stderr (" << flags.log_format << "; --log-format json|text).\n";
  if (const std::uint16_t port = (*controllers)->webhook_port(); port != 0) {
    howto << "Release webhook: POST " << endpoint_url(webhook_bind, port)
          << "/hooks/releases/github (also /generic, /registry)\n";
  }
  const std::string api_url = (*server)->url();

  std::thread announcer([&] {
    // The endpoints' ports are known once run() has started the servers.
    const bool want_metrics = enabled(flags.metrics_bind_address);
    const bool want_probes = enabled(flags.health_probe_bind_address);
    while (!finished &&
           ((want_metrics && m->metrics_port() == 0) || (want_probes && m->probe_port() == 0))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (finished) return;
    std::ostringstream out;
    out << "cairn up: ready; API server " << api_url << ", data in " << data_dir.string() << "\n"
        << howto.str();
    if (want_metrics) {
      out << "Metrics: " << endpoint_url(flags.metrics_bind_address, m->metrics_port())
          << "/metrics\n";
    }
    if (want_probes) {
      out << "Health: " << endpoint_url(flags.health_probe_bind_address, m->probe_port())
          << "/readyz\n";
    }
    out << "Stop with Ctrl-C; `cairn up` on the same --data-dir resumes.\n";
    std::cout << out.str() << std::flush;
  });

  kube::Result<void> result;
  if (shutdown.attach(m)) result = m->run();
  shutdown.detach();
  const bool abandoned = m->abandoned_work();
  finish(0);
  announcer.join();
  if (abandoned) {
    // A reconcile still runs on a detached worker: tearing the controllers down under it would
    // be unsafe. The store commits on stop, so the data survives the immediate exit.
    (*server)->stop();
    std::_Exit(result ? 0 : 1);
  }
  controllers->reset();
  manager->reset();
  (*server)->stop();
  if (!result) {
    std::cerr << "cairn up: the manager stopped with an error: " << result.error().to_string()
              << "\n";
    return 1;
  }
  std::cout << "cairn up: stopped\n" << std::flush;
  return 0;
}

}  // namespace

void add_up_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* cmd = app.add_subcommand(
      "up",
      "Run cairn on this machine: the embedded API server, cairn's and Cluster API's CRDs and "
      "the controllers in one process (--demo adds an example feed and ClusterStack)");
  cmd->add_option("--data-dir", f->data_dir,
                  "Directory for the database, certificates, kubeconfig and release cache")
      ->capture_default_str();
  cmd->add_option("--listen", f->listen, "Address of the API server, HOST:PORT")
      ->capture_default_str();
  cmd->add_flag("--demo", f->demo,
                "Create a local Git feed of the docker-demo-1-32 example and a ClusterStack "
                "demo/demo that uses it");
  cmd->add_option("--demo-source", f->demo_source,
                  "The example stack directory (or an examples/ root) the demo feed is made from "
                  "(default: the source tree, then /usr/share/cairn/examples)");
  cmd->add_option("--metrics-bind-address", f->metrics_bind_address,
                  "Address of /metrics, HOST:PORT (port 0: a free port); \"0\" disables")
      ->capture_default_str();
  cmd->add_option("--health-probe-bind-address", f->health_probe_bind_address,
                  "Address of /healthz and /readyz; \"0\" disables")
      ->capture_default_str();
  cmd->add_option("--log-format", f->log_format, "text or json")->capture_default_str();
  cmd->add_option("--log-level", f->log_level, "debug, info, warn or error")->capture_default_str();
  cmd->add_option("--sync-period", f->sync_period,
                  "Seconds between full resyncs of every informer (each release is re-checked "
                  "for drift at least this often)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_controller_flags(*cmd, f->controllers, "", "DATA_DIR/cache");
  cmd->callback([f, &exit_code] { exit_code = run_up(*f); });
}

}  // namespace cairn::cmd
