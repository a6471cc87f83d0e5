#include "kube/manager.h"

#include "kube/config.h"

namespace cairn::kube {

namespace {

Error config_error(const std::string& message) { return make_error(ErrorKind::kConfig, message); }

}  // namespace

Result<std::unique_ptr<Manager>> Manager::create(ManagerOptions options) {
  if (!options.watch_label_selector.empty()) {
    auto selector = LabelSelector::parse(options.watch_label_selector);
    if (!selector)
      return tl::unexpected(config_error("--watch-label-selector: " + selector.error().message));
  }
  for (const auto& [flag, address] :
       {std::pair<const char*, std::string>{"--metrics-bind-address", options.metrics_bind_address},
        {"--health-probe-bind-address", options.health_probe_bind_address}}) {
    if (address == "0" || address.empty()) continue;
    auto parsed = parse_bind_address(address);
    if (!parsed)
      return tl::unexpected(config_error(std::string(flag) + ": " + parsed.error().message));
  }
  if (options.concurrency < 1)
    return tl::unexpected(config_error("--concurrency must be at least 1"));
  if (options.leader_elect) {
    if (options.leader_election_id.empty())
      return tl::unexpected(config_error("leader election needs a lease name"));
    if (options.leader_election_namespace.empty()) {
      options.leader_election_namespace =
          !options.namespace_.empty() ? options.namespace_ : options.rest.default_namespace;
    }
  }
  auto manager = std::unique_ptr<Manager>(new Manager(std::move(options)));
  auto client = Client::create(manager->options_.rest);
  if (!client) return tl::unexpected(client.error());
  manager->client_ = std::move(*client);
  manager->request_source_ =
      manager->metrics_->add_request_source(manager->client_->transport().metrics());
  if (auto elected = manager->make_elector(); !elected) return tl::unexpected(elected.error());
  EventRecorderConfig event_config;
  event_config.component = manager->options_.event_component;
  event_config.logger = manager->options_.logger;
  manager->events_ = std::make_unique<EventRecorder>(*manager->client_, event_config);
  return manager;
}

Result<void> Manager::make_elector() {
  if (!options_.leader_elect) return {};
  LeaderElectionConfig lc;
  lc.lease_namespace = options_.leader_election_namespace;
  lc.lease_name = options_.leader_election_id;
  lc.identity = options_.leader_election_identity;
  lc.lease_duration = options_.lease_duration;
  lc.renew_deadline = options_.renew_deadline;
  lc.retry_period = options_.retry_period;
  lc.metrics = metrics_;
  lc.logger = options_.logger;
  lc.on_started_leading = [this] {
    std::lock_guard lock(mu_);
    leading_ = true;
    cv_.notify_all();
  };
  lc.on_stopped_leading = [this] {
    std::lock_guard lock(mu_);
    if (!stop_requested_) lost_leadership_ = true;
    cv_.notify_all();
  };
  auto elector = LeaderElector::create(*client_, lc);
  if (!elector) return tl::unexpected(elector.error());
  elector_ = std::move(*elector);
  return {};
}

Manager::Manager(ManagerOptions options)
    : options_(std::move(options)),
      metrics_(options_.metrics != nullptr ? options_.metrics : &Metrics::global()) {}

Manager::~Manager() {
  stop();
  shutdown();
}

Informer& Manager::informer(const GroupVersionKind& gvk, const std::string& label_selector) {
  std::lock_guard lock(mu_);
  auto key = std::make_tuple(gvk.group, gvk.version, gvk.kind, label_selector);
  auto it = informers_.find(key);
  if (it != informers_.end()) return *it->second;
  InformerOptions io;
  io.gvk = gvk;
  io.ns = options_.namespace_;
  io.label_selector = label_selector;
  io.resync_period = options_.sync_period;
  io.logger = options_.logger.with("kind", gvk.kind);
  auto informer = std::make_unique<Informer>(*client_, io);
  Informer& ref = *informer;
  informers_.emplace(key, std::move(informer));
  if (running_) ref.start();
  return ref;
}

Result<Controller*> Manager::add_controller(std::unique_ptr<Controller> controller) {
  std::lock_guard lock(mu_);
  Controller* c = controller.get();
  controllers_.push_back(std::move(controller));
  if (controllers_started_) c->start_workers();
  return c;
}

Result<void> Manager::start_servers() {
  const bool metrics_on =
      options_.metrics_bind_address != "0" && !options_.metrics_bind_address.empty();
  const bool probes_on =
      options_.health_probe_bind_address != "0" && !options_.health_probe_bind_address.empty();
  if (metrics_on) {
    ProbeServerOptions o;
    o.address = options_.metrics_bind_address;
    o.metrics = metrics_;
    o.probes = probes_on && options_.health_probe_bind_address == options_.metrics_bind_address;
    o.logger = options_.logger;
    auto server = ProbeServer::start(o);
    if (!server)
      return tl::unexpected(config_error("--metrics-bind-address: " + server.error().message));
    metrics_server_ = std::move(*server);
  }
  if (probes_on &&
      !(metrics_server_ && options_.health_probe_bind_address == options_.metrics_bind_address)) {
    ProbeServerOptions o;
    o.address = options_.health_probe_bind_address;
    o.logger = options_.logger;
    auto server = ProbeServer::start(o);
    if (!server)
      return tl::unexpected(config_error("--health-probe-bind-address: " + server.error().message));
    probe_server_ = std::move(*server);
  }
  ProbeServer* probes = probe_server_ ? probe_server_.get() : metrics_server_.get();
  if (probes != nullptr && probes_on) {
    probes->add_healthz_check("ping", [] { return std::optional<std::string>(); });
    probes->add_readyz_check("ping", [] { return std::optional<std::string>(); });
    probes->add_readyz_check("informers", [this]() -> std::optional<std::string> {
      std::lock_guard lock(mu_);
      for (const auto& [key, informer] : informers_) {
        if (!informer->has_synced()) return std::get<2>(key) + " informer has not synced yet";
      }
      return std::nullopt;
    });
  }
  return {};
}

Result<void> Manager::run() {
  {
    std::lock_guard lock(mu_);
    if (running_) return tl::unexpected(config_error("manager is already running"));
    if (stop_requested_) return {};
  }
  if (auto servers = start_servers(); !servers) {
    shutdown();
    return servers;
  }
  {
    std::lock_guard lock(mu_);
    running_ = true;
    for (auto& [key, informer] : informers_) informer->start();
  }
  options_.logger.info("manager started",
                       {{"controllers", controllers_.size()},
                        {"namespace", options_.namespace_.empty() ? "(all)" : options_.namespace_},
                        {"leaderElection", options_.leader_elect},
                        {"metricsPort", metrics_port()},
                        {"probePort", probe_port()}});
  const bool leading = !options_.leader_elect;
  if (elector_) elector_->start();
  {
    std::unique_lock lock(mu_);
    if (leading) leading_ = true;
    while (true) {
      cv_.wait(lock, [this] {
        return stop_requested_ || lost_leadership_ || (leading_ && !controllers_started_);
      });
      if (stop_requested_ || lost_leadership_) break;
      // Leading: start the workers once every cache has synced, as controller-runtime does,
      // so that a reconcile never sees a half-filled cache.
      lock.unlock();
      const bool synced = wait_for_caches();
      lock.lock();
      if (!synced) continue;  // stop requested meanwhile
      controllers_started_ = true;
      for (auto& c : controllers_) c->start_workers();
      options_.logger.info("controllers started", {{"controllers", controllers_.size()}});
    }
  }
  const bool lost = lost_leadership_;
  shutdown();
  if (lost) {
    return tl::unexpected(make_error(
        ErrorKind::kCancelled, "leader election lost: lease " + options_.leader_election_namespace +
                                   "/" + options_.leader_election_id +
                                   " could not be renewed within the renew deadline"));
  }
  return {};
}

bool Manager::wait_for_caches() {
  std::vector<Informer*> list;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, informer] : informers_) list.push_back(informer.get());
  }
  for (Informer* informer : list) {
    while (!informer->wait_for_sync(std::chrono::milliseconds(100))) {
      std::lock_guard lock(mu_);
      if (stop_requested_ || lost_leadership_) return false;
    }
  }
  return true;
}

void Manager::stop() {
  std::lock_guard lock(mu_);
  if (!stop_requested_) options_.logger.info("shutdown requested");
  stop_requested_ = true;
  cv_.notify_all();
}

void Manager::shutdown() {
  std::unique_lock lock(mu_);
  if (shut_down_) return;
  shut_down_ = true;
  lock.unlock();
  const auto deadline = std::chrono::steady_clock::now() + options_.graceful_shutdown_timeout;
  // 1. Intake stops and in-flight reconciles finish (or are abandoned at the deadline).
  for (auto& c : controllers_) {
    if (!c->stop(deadline)) {
      abandoned_ = true;
      // Its detached workers still use it (and the client): deliberately never destroyed.
      static_cast<void>(c.release());
    }
  }
  std::erase(controllers_, nullptr);
  // 2. Caches stop.
  for (auto& [key, informer] : informers_) informer->stop();
  // 3. Pending events are written (briefly), then the lease is released so that another
  //    replica takes over at once instead of after the lease duration.
  if (events_) {
    events_->flush(std::chrono::milliseconds(1000));
    events_->stop();
  }
  if (elector_) elector_->stop();
  // 4. The endpoints close last, so that probes see the shutdown in progress.
  if (metrics_server_) metrics_server_->stop();
  if (probe_server_) probe_server_->stop();
  options_.logger.info("manager stopped", {{"abandonedWork", abandoned_.load()}});
}

bool Manager::is_leader() const {
  if (!options_.leader_elect) {
    std::lock_guard lock(mu_);
    return running_;
  }
  return elector_ && elector_->is_leader();
}

std::uint16_t Manager::metrics_port() const {
  return metrics_server_ ? metrics_server_->port() : 0;
}

std::uint16_t Manager::probe_port() const {
  if (probe_server_) return probe_server_->port();
  if (metrics_server_ && options_.health_probe_bind_address == options_.metrics_bind_address)
    return metrics_server_->port();
  return 0;
}

}  // namespace cairn::kube
