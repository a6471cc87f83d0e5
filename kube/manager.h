// Manager: what `cairn manager` runs — one Client, shared informers, the controllers, leader
// election on a Lease, an event recorder, and the metrics and probe endpoints.
//
// run() starts, in order: the metrics and probe servers, the informers of every registered
// controller (caches fill while the process waits for leadership, so a new leader starts warm),
// leader election (when enabled), and once leading, the controllers' workers. It blocks until
// stop() is called (e.g. on SIGTERM) or leadership is lost.
//
// Shutdown (stop()): work queues stop taking keys, in-flight reconciles get until
// `graceful_shutdown_timeout` to finish, informers stop, the Lease is released (holder cleared,
// so another replica takes over at its next retry rather than after the lease duration), and
// the servers close. Losing the lease makes run() return an error: the process must exit,
// because its caches and in-flight work can no longer be trusted to be exclusive.
//
// /healthz answers "ping"; /readyz reports "informers" (every informer synced) and, with
// leader election, passes on followers too (a follower is ready to take over).
//
// Thread-safety: create the manager and its controllers on one thread, then call run() on one
// thread; stop() and the accessors may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "kube/client.h"
#include "kube/controller.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/leader.h"
#include "kube/log.h"
#include "kube/metrics.h"
#include "kube/probe_server.h"

namespace cairn::kube {

struct ManagerOptions {
  RestConfig rest;
  std::string namespace_;  // restrict informers to one namespace; "" = all
  bool leader_elect = true;
  std::string leader_election_id = "clusterstack.x-k8s.io";  // the Lease name (Go operator's)
  // "" = namespace_, else the configuration's namespace (in-cluster: the pod's).
  std::string leader_election_namespace;
  std::string leader_election_identity;  // "" = hostname + "_" + random
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  std::string metrics_bind_address = ":8080";       // "0" disables
  std::string health_probe_bind_address = ":9440";  // "0" disables
  int concurrency = 1;               // workers per controller unless its builder sets its own
  std::string watch_label_selector;  // applied to every controller's primary kind (sharding)
  std::chrono::milliseconds sync_period{std::chrono::minutes(5)};  // informer resync
  std::chrono::milliseconds graceful_shutdown_timeout{std::chrono::seconds(30)};
  std::string event_component = "cairn";
  Logger logger = Logger::root();
  Metrics* metrics = nullptr;  // nullptr = Metrics::global()
};

class Manager {
 public:
  // Creates the client (no I/O yet) and validates the options (selector syntax, bind
  // addresses, lease durations); kConfig errors say which flag is wrong.
  static Result<std::unique_ptr<Manager>> create(ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  Client& client() { return *client_; }
  EventRecorder& events() { return *events_; }
  Metrics& metrics() { return *metrics_; }
  const ManagerOptions& options() const { return options_; }
  const Logger& logger() const { return options_.logger; }

  // The shared informer for (gvk, label selector) in the manager's namespace, created on first
  // use; started by run() (or at once when run() is already running).
  Informer& informer(const GroupVersionKind& gvk, const std::string& label_selector = "");

  // Blocks until stop() or lost leadership (error). Errors also when a server cannot bind.
  Result<void> run();
  // Begins shutdown; returns at once. Async-signal-unsafe: call it from a normal thread.
  void stop();
  bool is_leader() const;
  // The ports the servers listen on (0 when disabled or not started), for tests.
  std::uint16_t metrics_port() const;
  std::uint16_t probe_port() const;
  // True after run() when a reconcile was still running at the shutdown deadline. Its worker
  // thread was left behind: exit the process without destroying the manager (std::_Exit).
  bool abandoned_work() const { return abandoned_; }

 private:
  friend class ControllerBuilder;
  explicit Manager(ManagerOptions options);
  Result<void> make_elector();
  Result<Controller*> add_controller(std::unique_ptr<Controller> controller);
  Result<void> start_servers();
  bool wait_for_caches();  // false when shutdown began first
  void shutdown();

  ManagerOptions options_;
  Metrics* metrics_ = nullptr;
  std::unique_ptr<Client> client_;
  std::shared_ptr<void> request_source_;
  std::unique_ptr<EventRecorder> events_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool lost_leadership_ = false;
  bool running_ = false;
  bool controllers_started_ = false;
  bool leading_ = false;
  bool shut_down_ = false;
  std::atomic<bool> abandoned_{false};
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::unique_ptr<Informer>>
      informers_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::unique_ptr<LeaderElector> elector_;
  std::unique_ptr<ProbeServer> metrics_server_;
  std::unique_ptr<ProbeServer> probe_server_;
};

}  // namespace cairn::kube
