// `cairn manager`: the operator process (see kube/manager.h) with the ClusterStack and
// ClusterStackRelease controllers (controllers/setup.h) and their flags (controller_flags.h).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cmd/cairn/commands.h"
#include "cmd/cairn/controller_flags.h"
#include "controllers/setup.h"
#include "kube/config.h"
#include "kube/log.h"
#include "kube/manager.h"

namespace cairn::cmd {
namespace {

struct ManagerFlags {
  std::string kubeconfig;
  std::string namespace_;
  bool leader_elect = true;
  std::string leader_election_namespace;
  std::string leader_election_id = "clusterstack.x-k8s.io";
  double lease_duration = 15, renew_deadline = 10, retry_period = 2;  // seconds
  std::string metrics_bind_address = ":8080";
  std::string health_probe_bind_address = ":9440";
  int concurrency = 1;
  std::string watch_label_selector;
  std::string log_format = "json";
  std::string log_level = "info";
  double qps = 50;
  int burst = 100;
  double sync_period = 300;               // seconds
  double graceful_shutdown_timeout = 30;  // seconds
  ControllerFlags controllers;
};

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

int run_manager(const ManagerFlags& flags) {
  // SIGTERM/SIGINT are taken by sigwait() on a dedicated thread.
  sigset_t signals = block_termination_signals();

  if (!configure_logging_flags("manager", flags.log_format, flags.log_level)) return 2;
  // Bad controller flags are reported before anything connects.
  auto controller_options = controllers_options(flags.controllers, sources::process_env);
  if (!controller_options) {
    std::cerr << "cairn manager: " << controller_options.error().message << "\n";
    return 2;
  }
  kube::Logger log = kube::Logger::root();

  kube::Result<kube::RestConfig> rest;
  if (!flags.kubeconfig.empty()) {
    kube::KubeconfigOptions ko;
    ko.path = flags.kubeconfig;
    rest = kube::load_kubeconfig(ko);
  } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    rest = kube::in_cluster_config();
  } else {
    rest = kube::load_kubeconfig({});
  }
  if (!rest) {
    log.error("cannot load the Kubernetes configuration", {{"error", rest.error().to_string()}});
    return 1;
  }
  rest->qps = flags.qps;
  rest->burst = flags.burst;

  kube::ManagerOptions options;
  options.rest = *rest;
  options.namespace_ = flags.namespace_;
  options.leader_elect = flags.leader_elect;
  options.leader_election_id = flags.leader_election_id;
  options.leader_election_namespace = flags.leader_election_namespace;
  options.lease_duration = ms(flags.lease_duration);
  options.renew_deadline = ms(flags.renew_deadline);
  options.retry_period = ms(flags.retry_period);
  options.metrics_bind_address = flags.metrics_bind_address;
  options.health_probe_bind_address = flags.health_probe_bind_address;
  options.concurrency = flags.concurrency;
  options.watch_label_selector = flags.watch_label_selector;
  options.sync_period = ms(flags.sync_period);
  options.graceful_shutdown_timeout = ms(flags.graceful_shutdown_timeout);
  options.logger = log;
  auto manager = kube::Manager::create(options);
  if (!manager) {
    log.error("cannot create the manager", {{"error", manager.error().to_string()}});
    return 1;
  }
  kube::Manager* m = manager->get();
  log.info("release feeds", {{"feeds", describe_feeds(*controller_options)}});
  auto controllers = controllers::Controllers::create(*m, std::move(*controller_options));
  if (!controllers) {
    log.error("cannot set up the controllers", {{"error", controllers.error().to_string()}});
    return controllers.error().kind == kube::ErrorKind::kConfig ? 2 : 1;
  }
  std::atomic<bool> finished{false};
  std::thread signal_thread([&signals, &finished, m, log] {
    int received = 0;
    sigwait(&signals, &received);
    if (finished) return;  // woken by ourselves after run() returned
    log.info("signal received, shutting down",
             {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
    m->stop();
  });
  auto result = m->run();
  // Wake the signal thread if no signal came (leadership lost, bind error).
  finished = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  if (m->abandoned_work()) {
    // A reconcile is still running on a detached worker; tearing the manager down under it
    // would be unsafe, and the process is done anyway.
    std::_Exit(result ? 0 : 1);
  }
  // Stops the feed pollers, downloads and the webhook receiver before the manager goes.
  controllers->reset();
  if (!result) {
    log.error("manager stopped with an error", {{"error", result.error().to_string()}});
    return 1;
  }
  return 0;
}

}  // namespace

void add_manager_command(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ManagerFlags>();
  CLI::App* cmd = app.add_subcommand("manager",
                                     "Run the cairn operator (controllers, leader "
                                     "election, metrics and health probes)");
  cmd->add_option("--kubeconfig", f->kubeconfig,
                  "Path to a kubeconfig (default: in-cluster, then KUBECONFIG, ~/.kube/config)");
  cmd->add_option("--namespace", f->namespace_, "Watch only this namespace (default: all)");
  cmd->add_option("--leader-elect", f->leader_elect,
                  "Elect a leader on a Lease so that only one replica reconciles")
      ->capture_default_str()
      ->expected(0, 1)
      ->default_str("true");
  cmd->add_option("--leader-election-namespace,--leader-elect-namespace",
                  f->leader_election_namespace,
                  "Namespace of the Lease (default: --namespace, else the pod's or context's)");
  cmd->add_option("--leader-election-id", f->leader_election_id, "Name of the Lease")
      ->capture_default_str();
  cmd->add_option("--leader-elect-lease-duration", f->lease_duration,
                  "Seconds a lease is valid without renewal")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--leader-elect-renew-deadline", f->renew_deadline,
                  "Seconds the leader retries renewing before it gives up")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--leader-elect-retry-period", f->retry_period,
                  "Seconds between attempts to acquire or renew")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--metrics-bind-address", f->metrics_bind_address,
                  "Address of /metrics, HOST:PORT or :PORT; \"0\" disables")
      ->capture_default_str();
  cmd->add_option("--health-probe-bind-address", f->health_probe_bind_address,
                  "Address of /healthz and /readyz; \"0\" disables")
      ->capture_default_str();
  cmd->add_option("--concurrency", f->concurrency, "Reconcile workers per controller")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--watch-label-selector,--watch-filter", f->watch_label_selector,
                  "Reconcile only objects whose labels match (shard with disjoint selectors)");
  cmd->add_option("--log-format", f->log_format, "json or text")
      ->capture_default_str()
      ->check(CLI::IsMember({"json", "text"}));
  cmd->add_option("--log-level", f->log_level, "debug, info, warn or error")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error"}));
  cmd->add_option("--qps", f->qps, "Client requests per second to the API server")
      ->capture_default_str();
  cmd->add_option("--burst", f->burst, "Client request burst")->capture_default_str();
  cmd->add_option("--sync-period", f->sync_period, "Seconds between full resyncs of every informer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--graceful-shutdown-timeout", f->graceful_shutdown_timeout,
                  "Seconds in-flight reconciles get to finish on SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_controller_flags(*cmd, f->controllers, "/tmp/downloads");
  cmd->callback([f, &exit_code] { exit_code = run_manager(*f); });
}

}  // namespace cairn::cmd
